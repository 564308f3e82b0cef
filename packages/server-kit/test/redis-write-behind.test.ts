import type { RunEvent } from '@chatwire/protocol';
import { describe, expect, it } from 'vitest';
import { ChatError } from '../src/index.js';
import { useRedisStores } from './helpers/redis-stores.js';
import { done, info, start, token } from './helpers/run-events.js';

// The store's write-behind window (several appends of several runs in one script call), through a real redis-server.
// Windows far longer than any test: a batch that is not sent when it must be hangs the test instead of passing it.
const FOREVER = 600_000;

const fixture = useRedisStores('wb');
const { open, fresh, begin } = fixture;
const seqs = (events: RunEvent[] | undefined) => events?.map((event) => event.seq);
const cancelled = (id: string, seq: number): RunEvent => ({
  id,
  seq,
  type: 'error',
  code: 'cancelled',
  message: 'the run was cancelled',
  retryable: false,
});

describe('redis run store write-behind', () => {
  it('keeps every run in seq order across batch boundaries, interleaved with other runs', async () => {
    fresh();
    // A few events per batch: the 30 appends below cross many batch boundaries.
    const writer = open({ writeBehindMs: FOREVER, writeBehindBytes: 150 });
    const reader = open();
    await begin(writer, 'o1');
    await begin(writer, 'o2');
    const appends: Array<Promise<void>> = [];
    for (let seq = 1; seq <= 15; seq++) {
      appends.push(writer.append(token('o1', seq, `a${seq} `)));
      appends.push(writer.append(token('o2', seq, `b${seq} `)));
    }
    // A done waits like a later token (here for ever); the error ending the other run sends it along.
    appends.push(writer.append(done('o1', 16)), writer.append(cancelled('o2', 16)));
    await Promise.all(appends);
    for (const [id, letter, status] of [
      ['o1', 'a', 'completed'],
      ['o2', 'b', 'cancelled'],
    ] as const) {
      const text = Array.from({ length: 15 }, (_, index) => `${letter}${index + 1} `).join('');
      expect(await reader.get(id)).toMatchObject({ status, partial: text, last_seq: 16 });
      expect(seqs(await reader.read(id, -1))).toEqual(Array.from({ length: 17 }, (_, seq) => seq));
    }
  });

  it("sends a run's first token within writeBehindMs and lets its later tokens wait up to tokenWindowMs", async () => {
    fresh();
    const writer = open({ writeBehindMs: 20, tokenWindowMs: FOREVER });
    const reader = open();
    await begin(writer, 'l1');
    await begin(writer, 'l2');
    // The first token goes within 20 ms (a test that waited out tokenWindowMs would time out).
    await writer.append(token('l1', 1, 'a'));
    expect((await reader.get('l1'))?.partial).toBe('a');
    // Later tokens wait for company...
    const later = [writer.append(token('l1', 2, 'b')), writer.append(token('l1', 3, 'c'))];
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await reader.get('l1'))?.last_seq).toBe(1);
    // ...until an entry due sooner goes: another run's first token takes them along, in the same script call.
    await writer.append(token('l2', 1, 'x'));
    await Promise.all(later);
    expect(await reader.get('l1')).toMatchObject({ last_seq: 3, partial: 'abc' });
    // The model's done waits behind its run's last tokens like another later token...
    const last = [writer.append(token('l2', 2, 'y')), writer.append(done('l2', 3))];
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await reader.get('l2'))?.last_seq).toBe(1);
    // ...and an error (a cancel, a failure) sends what waits at once, the done with it.
    await writer.append(cancelled('l1', 4));
    await Promise.all(last);
    expect(seqs(await reader.read('l2', -1))).toEqual([0, 1, 2, 3]);
    expect(await reader.get('l2')).toMatchObject({ status: 'completed', partial: 'xy', terminal: { type: 'done' } });
    expect(await reader.get('l1')).toMatchObject({ status: 'cancelled', terminal: { seq: 4 } });
  });

  it('sends a lone done within tokenWindowMs, and everything at once once the store is closing', async () => {
    fresh();
    const writer = open({ writeBehindMs: 5, tokenWindowMs: 50 });
    const reader = open();
    await begin(writer, 'e1');
    await begin(writer, 'e2');
    // Nothing else waits: the done goes when its own window is out, not after the 1 s a follower count may wait.
    const sent = performance.now();
    await writer.append(done('e1', 1));
    expect(performance.now() - sent).toBeLessThan(500);
    expect((await reader.get('e1'))?.terminal).toMatchObject({ type: 'done', seq: 1 });
    // A run's end appended while the store closes goes at once, ahead of the connection's QUIT, not rejected by it.
    const closing = writer.close();
    fixture.stores.splice(fixture.stores.indexOf(writer), 1);
    await writer.append(done('e2', 1));
    await closing;
    expect(await reader.get('e2')).toMatchObject({ status: 'completed', terminal: { type: 'done', seq: 1 } });
  });

  it('sends every event at once with no window at all, later tokens too', async () => {
    fresh();
    const writer = open({ writeBehindMs: 0, tokenWindowMs: FOREVER });
    await begin(writer, 'z1');
    // Each append resolves on its own (one that waited out tokenWindowMs would time the test out).
    for (let seq = 1; seq <= 3; seq++) await writer.append(token('z1', seq, String(seq)));
    expect((await open().get('z1'))?.partial).toBe('123');
  });

  it('sends what waits at once with an error, and resumes from the middle of a batch', async () => {
    fresh();
    const writer = open({ writeBehindMs: FOREVER });
    const reader = open();
    await begin(writer, 'f1');
    const appends = [1, 2, 3, 4, 5, 6].map((seq) => writer.append(token('f1', seq, String(seq))));
    // Nothing sent yet: another instance following the run sees no token.
    expect((await reader.get('f1'))?.last_seq).toBe(0);
    const following = reader.waitForEvents('f1', 3, { timeoutMs: FOREVER });
    await writer.append(cancelled('f1', 7));
    await Promise.all(appends);
    await following;
    // A client that had seqs up to 3 of the batch resumes with 4 on, on either instance.
    expect(seqs(await reader.read('f1', 3))).toEqual([4, 5, 6, 7]);
    expect(seqs(await writer.read('f1', 3))).toEqual([4, 5, 6, 7]);
    expect(await reader.get('f1')).toMatchObject({ partial: '123456', terminal: { type: 'error', seq: 7 } });
  });

  it('refuses a batch written after the lease was lost, leaving the run its one interrupted ending', async () => {
    fresh();
    const writer = open({ writeBehindMs: FOREVER, leaseMs: 1_500 });
    const reaper = open({ leaseMs: 300 });
    await begin(writer, 'l1');
    await begin(writer, 'l2');
    const late = [1, 2].map((seq) => writer.append(token('l1', seq, 'late')).catch((error: unknown) => error));
    // The writer's lease runs out while its tokens wait (as in a long pause), and another instance ends its runs.
    while (!(await reaper.get('l1'))?.terminal) {
      await fixture.admin.zadd(`${fixture.prefix}instances`, 0, writer.instanceId);
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    // Anything urgent sends the waiting batch: here the start of another run.
    await writer.create(info('l3'));
    await writer.append(start('l3'));
    for (const outcome of await Promise.all(late)) expect(outcome).toBeInstanceOf(ChatError);
    const ended = { type: 'error', code: 'interrupted', seq: 1 };
    expect(seqs(await reaper.read('l1', -1))).toEqual([0, 1]);
    expect(await reaper.get('l1')).toMatchObject({ status: 'failed', partial: '', terminal: ended });
    expect(await writer.get('l1')).toMatchObject({ terminal: ended });
  });

  it("counts a run's followers in the batch with its events, one script call for both", async () => {
    fresh();
    const writer = open({ writeBehindMs: FOREVER });
    const other = open();
    await begin(writer, 'n1');
    await fixture.admin.config('RESETSTAT');
    const counted = writer.countFollowers('n1', 1);
    const appended = writer.append(token('n1', 1, 'hi'));
    // Nothing sent yet: an error sends the batch, the count with it.
    await writer.append(cancelled('n1', 2));
    expect(await counted).toBe(1);
    await appended;
    // EVALSHA, or EVAL the first time a script runs on this Redis.
    const stats = await fixture.admin.info('commandstats');
    const calls = [...stats.matchAll(/cmdstat_eval(?:sha)?:calls=(\d+)/g)].map((match) => Number(match[1]));
    expect(calls.reduce((sum, count) => sum + count, 0)).toBe(1);
    expect(await other.countFollowers('n1', 0)).toBe(1);
    expect(await other.countFollowers('unknown', 1)).toBe(0);
  });

  it('lands waiting tokens before a cancel, whichever instance asks for it', async () => {
    fresh();
    const writer = open({ writeBehindMs: FOREVER });
    const other = open();
    for (const id of ['c1', 'c2']) await begin(writer, id);
    const heard: string[] = [];
    writer.onCancel('c1', () => heard.push('c1'));
    writer.onCancel('c2', () => heard.push('c2'));

    // Asked on the writer's own instance: the waiting tokens are sent before the cancel flag.
    const own = [1, 2].map((seq) => writer.append(token('c1', seq, 'x')));
    expect(await writer.requestCancel('c1')).toBe(true);
    await Promise.all(own);
    // Heard at once here, and maybe again when the published message comes back: a listener aborts, so twice is fine.
    expect(heard).toContain('c1');
    await writer.append(cancelled('c1', 3));

    // Asked elsewhere: the writer hears it and ends the run, its error sending the tokens still waiting before it.
    const waiting = [1, 2].map((seq) => writer.append(token('c2', seq, 'y')));
    expect(await other.requestCancel('c2')).toBe(true);
    while (!heard.includes('c2')) await new Promise((resolve) => setTimeout(resolve, 10));
    await writer.append(cancelled('c2', 3));
    await Promise.all(waiting);

    for (const [id, text] of [
      ['c1', 'xx'],
      ['c2', 'yy'],
    ] as const) {
      expect(seqs(await other.read(id, -1))).toEqual([0, 1, 2, 3]);
      expect(await other.get(id)).toMatchObject({ status: 'cancelled', partial: text, terminal: { seq: 3 } });
      expect(await other.requestCancel(id)).toBe(false);
    }
  });
});
