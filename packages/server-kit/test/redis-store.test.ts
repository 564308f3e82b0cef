import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { ChatError } from '../src/index.js';
import { createRedisRunCounter, createRedisRunStore } from '../src/redis.js';
import { startRedisServer } from './helpers/redis-server.js';
import { useRedisStores } from './helpers/redis-stores.js';
import { done, info, start, token } from './helpers/run-events.js';

const fixture = useRedisStores('t');
const { open, fresh, begin } = fixture;

describe('redis run store', () => {
  it('keeps state and events in seq order, readable from another instance', async () => {
    fresh();
    const [a, b] = [open(), open()];
    await begin(a, 'r1');
    await a.append(token('r1', 1, 'Hel'));
    await a.append(token('r1', 2, 'lo: "x"\n'));
    expect(await b.get('r1')).toMatchObject({
      status: 'processing',
      partial: 'Hello: "x"\n',
      last_seq: 2,
      info: info('r1'),
    });
    expect((await b.read('r1', 0))?.map((event) => event.seq)).toEqual([1, 2]);
    expect((await b.read('r1', -1, 2))?.map((event) => event.seq)).toEqual([0, 1]);
    expect(await b.read('r1', 1, 0)).toEqual([]);
    await expect(a.append(token('r1', 5, 'x'))).rejects.toThrow(ChatError);
    await a.append(done('r1', 3));
    expect(await b.get('r1')).toMatchObject({ status: 'completed', terminal: { type: 'done', seq: 3 } });
    await expect(a.append(token('r1', 4, 'late'))).rejects.toThrow(ChatError);
    expect(await b.get('nope')).toBeUndefined();
    expect(await b.read('nope', -1)).toBeUndefined();
  });

  it("answers a run's writer from its own mirror, with no Redis read, until another instance writes the run", async () => {
    fresh();
    const writer = open({ leaseMs: 1_500 });
    const reaper = open({ leaseMs: 300 });
    await begin(writer, 'm1');
    await writer.append(token('m1', 1, 'mine'));
    await fixture.admin.config('RESETSTAT');
    expect(await writer.read('m1', 0)).toEqual([token('m1', 1, 'mine')]);
    expect(await writer.get('m1')).toMatchObject({
      status: 'processing',
      partial: 'mine',
      last_seq: 1,
      info: info('m1'),
    });
    await writer.waitForEvents('m1', 0, { timeoutMs: 5_000 });
    const stats = await fixture.admin.info('commandstats');
    expect(stats).not.toMatch(/cmdstat_(xrange|hgetall|hmget|get):/);
    // Events from before the claim are not mirrored: Redis answers those.
    expect((await writer.read('m1', -1))?.map((event) => event.seq)).toEqual([0, 1]);

    // Longer than the test may take: only the writer noticing its lost lease can end this wait.
    const waited = writer.waitForEvents('m1', 1, { timeoutMs: 60_000 });
    // The writer's lease runs out (as after a long pause) and the other instance ends its run. (A renewal of the
    // writer's landing between the two steps would save the run: set the deadline again until it is reaped.)
    while (!(await reaper.get('m1'))?.terminal) {
      await fixture.admin.zadd(`${fixture.prefix}instances`, 0, writer.instanceId);
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    await waited;
    const ended = { type: 'error', code: 'interrupted', retryable: true, seq: 2 };
    expect(await writer.get('m1')).toMatchObject({ status: 'failed', partial: 'mine', terminal: ended });
    expect(await writer.read('m1', 1)).toMatchObject([ended]);
    await expect(writer.append(token('m1', 2, 'late'))).rejects.toThrow(ChatError);
    expect(await reaper.get('m1')).toMatchObject({ terminal: ended });
  });

  it('wakes a waiter on another instance when an event lands, and resolves on timeout or abort', async () => {
    fresh();
    const [a, b] = [open(), open()];
    await begin(a, 'w1');
    const waiting = b.waitForEvents('w1', 0, { timeoutMs: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await a.append(token('w1', 1, 'x'));
    await waiting;
    expect((await b.read('w1', 0))?.map((event) => event.seq)).toEqual([1]);
    const controller = new AbortController();
    const aborted = b.waitForEvents('w1', 1, { timeoutMs: 60_000, signal: controller.signal });
    controller.abort();
    await aborted;
    await b.waitForEvents('w1', 1, { timeoutMs: 5 });
    // Many runs followed at once by one instance: each waiter wakes for its own run.
    const ids = Array.from({ length: 20 }, (_, index) => `m${index}`);
    for (const id of ids) await begin(a, id);
    const waits = ids.map((id) => b.waitForEvents(id, 0, { timeoutMs: 10_000 }).then(() => id));
    await new Promise((resolve) => setTimeout(resolve, 50));
    for (const id of ids.reverse()) await a.append(done(id, 1));
    expect((await Promise.all(waits)).sort()).toEqual([...ids].sort());
  });

  it('keeps waking waiters on another instance after Redis restarted', async () => {
    fresh();
    const [a, b] = [open(), open()];
    await begin(a, 'before');
    // b's tail is in a blocking read for this run when Redis goes away.
    const abandoned = b.waitForEvents('before', 0, { timeoutMs: 60_000 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await fixture.redis.stop();
    await fixture.redis.restart();
    await waitUntil(
      () =>
        begin(a, 'after').then(
          () => true,
          () => false,
        ),
      10_000,
    );
    // Far shorter than the wait's own timeout: only a tail reading again after the restart wakes it in time.
    const woken = b.waitForEvents('after', 0, { timeoutMs: 60_000 }).then(() => 'woken');
    await new Promise((resolve) => setTimeout(resolve, 100));
    await a.append(token('after', 1, 'x'));
    const late = new Promise((resolve) => setTimeout(() => resolve('still waiting'), 10_000));
    expect(await Promise.race([woken, late])).toBe('woken');
    expect((await b.read('after', 0))?.map((event) => event.seq)).toEqual([1]);
    void abandoned;
  });

  it('shares idempotency keys across instances', async () => {
    fresh();
    const [a, b] = [open(), open()];
    expect(await a.create(info('i1'), { key: 'p:k', fingerprint: 'f1' })).toEqual({ created: true });
    expect(await b.create(info('i2'), { key: 'p:k', fingerprint: 'f2' })).toEqual({
      created: false,
      runId: 'i1',
      fingerprint: 'f1',
    });
    expect(await b.findIdempotent('p:k')).toEqual({ runId: 'i1', fingerprint: 'f1' });
    expect(await b.get('i2')).toBeUndefined();
  });

  it('carries a cancel from any instance to the writer, and ends a run nobody claimed yet by itself', async () => {
    fresh();
    const [a, b] = [open(), open()];
    await a.create(info('c1'));
    await a.append(start('c1'));
    let heard = 0;
    a.onCancel('c1', () => heard++);
    expect(await a.claim('c1')).toBe(true);
    expect(await b.claim('c1')).toBe(false);
    expect(await b.requestCancel('c1')).toBe(true);
    await waitUntil(() => heard === 1);
    await a.append({ id: 'c1', seq: 1, type: 'error', code: 'cancelled', message: 'cancelled', retryable: false });
    expect(await b.requestCancel('c1')).toBe(false);
    expect(await b.requestCancel('nope')).toBe(false);

    await a.create(info('q1'));
    await a.append(start('q1'));
    expect(await b.requestCancel('q1')).toBe(true);
    expect(await a.get('q1')).toMatchObject({
      status: 'cancelled',
      terminal: { type: 'error', code: 'cancelled', seq: 1, id: 'q1' },
    });
    expect(await a.claim('q1')).toBe(false);
  });

  it("hears a cancel published while its subscription was down, and reads no run's cancel flag otherwise", async () => {
    fresh();
    const [a, b] = [open({ leaseMs: 300 }), open()];
    await begin(a, 'm1');
    let heard = 0;
    a.onCancel('m1', () => heard++);
    const hgets = async () => {
      const stats = String(await fixture.admin.info('commandstats'));
      return Number(stats.match(/cmdstat_hget:calls=(\d+)/)?.[1] ?? 0);
    };
    // Lease renewals every 100 ms with a run in progress: none reads the run's cancel flag while nothing was missed
    // (every renewal did before, a command per running run every second).
    await new Promise((resolve) => setTimeout(resolve, 400));
    const before = await hgets();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await hgets()).toBe(before);
    // `a`'s subscription drops; the cancel is published before it can be back (ioredis waits 100 ms to reconnect).
    await fixture.admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    expect(await b.requestCancel('m1')).toBe(true);
    // Only the check after the subscription is back (a read of the flag) can make `a` hear it.
    await waitUntil(() => heard === 1);
    expect(await hgets()).toBeGreaterThan(before);
  });

  it('creates a run with its start event and claim in one step, and a cancel heard before the driver listens still reaches it', async () => {
    fresh();
    const [a, b] = [open(), open()];
    // (store-bursts.test.ts counts the script calls of a whole chat.)
    expect(await a.create(info('o1'), undefined, { start: start('o1'), claim: true })).toEqual({
      created: true,
      started: true,
      claimed: true,
    });
    expect(await a.claim('o1')).toBe(true);
    // Written by `a` from the creation on: another instance cannot claim it, and reads the start from Redis.
    expect(await b.claim('o1')).toBe(false);
    expect(await b.read('o1', -1)).toEqual([start('o1')]);
    expect(await a.get('o1')).toMatchObject({ status: 'pending', last_seq: 0 });
    await a.append(token('o1', 1, 'hi'));
    expect((await b.get('o1'))?.partial).toBe('hi');

    // Cancelled between the creation and the moment its driver listens: the driver hears it when it starts listening.
    await a.create(info('o2'), undefined, { start: start('o2'), claim: true });
    expect(await b.requestCancel('o2')).toBe(true);
    // The cancel message has reached `a` once a later one has (one channel, one connection, in order).
    let later = 0;
    a.onCancel('o1', () => later++);
    expect(await b.requestCancel('o1')).toBe(true);
    await waitUntil(() => later === 1);
    let heard = 0;
    a.onCancel('o2', () => heard++);
    await waitUntil(() => heard === 1);
    expect(await a.claim('o2')).toBe(true);

    // Without a claim, the start is appended and the run left to whichever instance claims it.
    expect(await a.create(info('o3'), undefined, { start: start('o3') })).toEqual({
      created: true,
      started: true,
      claimed: false,
    });
    expect(await b.claim('o3')).toBe(true);
    expect(await b.read('o3', -1)).toEqual([start('o3')]);
  });

  it('ends the runs of an instance that stopped renewing its lease with a retryable interrupted', async () => {
    fresh();
    const client = new Redis(fixture.redis.url, { maxRetriesPerRequest: 1, retryStrategy: () => null });
    client.on('error', () => {});
    const dying = createRedisRunStore({ client, prefix: fixture.prefix, leaseMs: 300 });
    const survivor = open({ leaseMs: 300 });
    await begin(dying, 'd1');
    await dying.append(token('d1', 1, 'partial'));
    const waited = survivor.waitForEvents('d1', 1, { timeoutMs: 10_000 });
    // The process "dies": its connection is gone and its lease is never renewed again.
    client.disconnect();
    await waited;
    expect(await survivor.get('d1')).toMatchObject({
      status: 'failed',
      partial: 'partial',
      terminal: { type: 'error', code: 'interrupted', retryable: true, seq: 2 },
    });
    await dying.close();
  });

  it('keeps alive an instance that writes events, however late its lease renewals', async () => {
    fresh();
    // Renewals every 10 s: the lease below would run out long before the next one.
    const busy = open({ leaseMs: 30_000 });
    const reaper = open({ leaseMs: 300 });
    await begin(busy, 'b1');
    const [seconds, micros] = await fixture.admin.time();
    const soon = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000) + 300;
    await fixture.admin.zadd(`${fixture.prefix}instances`, soon, busy.instanceId);
    for (let seq = 1; seq <= 15; seq++) {
      await busy.append(token('b1', seq, 'x'));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await reaper.get('b1')).toMatchObject({ status: 'processing', last_seq: 15 });
    expect(Number(await fixture.admin.zscore(`${fixture.prefix}instances`, busy.instanceId))).toBeGreaterThan(
      soon + 20_000,
    );
  });

  it('expires every key of an ended run after the TTL and caps event streams', async () => {
    fresh();
    const a = open({ ttlMs: 300, maxEventsPerRun: 100 });
    await a.create(info('e1'), { key: 'p:e', fingerprint: 'f' });
    await a.append(start('e1'));
    await a.claim('e1');
    for (let seq = 1; seq <= 400; seq++) await a.append(token('e1', seq, 'x'));
    expect(await fixture.admin.xlen(a.keys.events('e1'))).toBeLessThan(250);
    expect((await a.get('e1'))?.partial).toHaveLength(400);
    await a.append(done('e1', 401));
    await a.close();
    fixture.stores.splice(0);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(await fixture.admin.keys(`${fixture.prefix}*`)).toEqual([]);
  });

  it('keeps a run that is written alive without extending its keys at every event, and drops it once idle', async () => {
    fresh();
    const a = open();
    await begin(a, 'x1');
    await a.append(token('x1', 1, 'first'));
    // Every key of the run, the text created by the first token too, expires: none is left without a TTL.
    for (const key of [a.keys.meta('x1'), a.keys.events('x1'), a.keys.text('x1')])
      expect(await fixture.admin.pttl(key)).toBeGreaterThan(0);
    await fixture.admin.config('RESETSTAT');
    for (let seq = 2; seq <= 20; seq++) await a.append(token('x1', seq, ' more'));
    expect(await fixture.admin.info('commandstats')).not.toMatch(/cmdstat_pexpire/);
    expect(await a.get('x1')).toMatchObject({ last_seq: 20, partial: `first${' more'.repeat(19)}` });

    // A run with no event for longer than activeTtlMs (and the tenth it may be kept beyond) is dropped.
    const short = open({ activeTtlMs: 300 });
    await begin(short, 'x2');
    for (let seq = 1; seq <= 5; seq++) await short.append(token('x2', seq, 'x'));
    const keys = [short.keys.meta('x2'), short.keys.events('x2'), short.keys.text('x2')];
    for (const key of keys) expect(await fixture.admin.pttl(key)).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 600));
    for (const key of keys) expect(await fixture.admin.exists(key)).toBe(0);
  });

  it('admits a run without looking at each run in progress, and prunes vanished runs once the count is full', async () => {
    fresh();
    const a = open();
    const counter = createRedisRunCounter(a);
    for (const id of ['s1', 's2', 's3']) {
      expect(await counter.acquire('p', id, 5)).toBe(true);
      await begin(a, id);
    }
    await fixture.admin.config('RESETSTAT');
    expect(await counter.acquire('p', 's4', 5)).toBe(true);
    expect(await fixture.admin.info('commandstats')).not.toMatch(/cmdstat_(hget|hmget|zrange):/);
    // A run admitted long ago that never came to be (its instance died between admission and creation) holds a slot
    // until the count is full; then it is dropped, and the new run fits.
    await fixture.admin.zadd(a.keys.active('p'), 1, 'gone');
    expect(await counter.acquire('p', 's5', 5)).toBe(true);
    expect(await fixture.admin.zscore(a.keys.active('p'), 'gone')).toBeNull();
    expect(await counter.acquire('p', 's6', 5)).toBe(false);
  });

  it('answers ping, and fails with a retryable 503 error while Redis is away', async () => {
    fresh();
    const a = open();
    await a.ping();
    const other = await startRedisServer();
    const b = createRedisRunStore({ url: other.url, prefix: fixture.prefix });
    fixture.stores.push(b);
    await b.ping();
    await other.stop();
    const failure = await b.get('x').catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'overloaded', status: 503, retryable: true });
    await expect(b.ping()).rejects.toMatchObject({ code: 'overloaded' });
  });
});

async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
