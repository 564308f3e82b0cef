import { describe, expect, it } from 'vitest';
import { ChatError } from '../chat-error.js';
import { createMemoryRunStore } from './memory.js';
import { done, info, start, token } from '../../test/helpers/run-events.js';

describe('memory run store', () => {
  it('keeps state and events in seq order and reads after any seq', async () => {
    const store = createMemoryRunStore();
    await store.create(info('a'));
    await store.append(start('a'));
    await store.append(token('a', 1, 'Hel'));
    await store.append(token('a', 2, 'lo'));
    expect(await store.get('a')).toMatchObject({ status: 'processing', partial: 'Hello', last_seq: 2 });
    expect((await store.read('a', 0))?.map((event) => event.seq)).toEqual([1, 2]);
    expect((await store.read('a', -1, 2))?.map((event) => event.seq)).toEqual([0, 1]);
    await expect(store.append(token('a', 5, 'x'))).rejects.toThrow(ChatError);
    await store.append(done('a', 3));
    expect(await store.get('a')).toMatchObject({ status: 'completed', terminal: { type: 'done' } });
    await expect(store.append(token('a', 4, 'late'))).rejects.toThrow(ChatError);
    await store.close();
  });

  it('wakes waiters on new events and resolves on timeout or abort', async () => {
    const store = createMemoryRunStore();
    await store.create(info('a'));
    await store.append(start('a'));
    const waiting = store.waitForEvents('a', 0, { timeoutMs: 5000 });
    await store.append(token('a', 1, 'x'));
    await waiting;
    const controller = new AbortController();
    const aborted = store.waitForEvents('a', 1, { timeoutMs: 60_000, signal: controller.signal });
    controller.abort();
    await aborted;
    await store.waitForEvents('a', 1, { timeoutMs: 5 });
    await store.close();
  });

  it('times each wait out, in order, when waits of the same duration on other runs come and go', async () => {
    const store = createMemoryRunStore();
    for (const id of ['a', 'b', 'c']) {
      await store.create(info(id));
      await store.append(start(id));
    }
    const controller = new AbortController();
    const ended: string[] = [];
    const first = store.waitForEvents('a', 0, { timeoutMs: 40, signal: controller.signal });
    // Later waits end later than the first would have: they share its timer, which is armed for the oldest one.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const second = store.waitForEvents('b', 0, { timeoutMs: 40 }).then(() => ended.push('b'));
    const third = store.waitForEvents('c', 0, { timeoutMs: 40 }).then(() => ended.push('c'));
    // The oldest wait ends early: the others still end when their own time is up, with no event to wake them.
    controller.abort();
    await first;
    await Promise.all([second, third]);
    expect(ended).toEqual(['b', 'c']);
    await store.close();
  });

  it('keeps partial whole however reads and appends interleave', async () => {
    const store = createMemoryRunStore();
    await store.create(info('a'));
    await store.append(start('a'));
    await store.append(token('a', 1, 'Hel'));
    expect((await store.get('a'))?.partial).toBe('Hel');
    await store.append(token('a', 2, 'lo'));
    await store.append(token('a', 3, ' wor'));
    expect((await store.get('a'))?.partial).toBe('Hello wor');
    expect((await store.get('a'))?.partial).toBe('Hello wor');
    await store.append(token('a', 4, 'ld'));
    await store.append(done('a', 5));
    expect(await store.get('a')).toMatchObject({ partial: 'Hello world', status: 'completed' });
    await store.close();
  });

  it('wakes every waiter of a run, and ends the pending one of many waits on one signal when it aborts', async () => {
    const store = createMemoryRunStore();
    await store.create(info('a'));
    await store.append(start('a'));
    const woken: string[] = [];
    const waits = ['first', 'second', 'third'].map((name) =>
      store.waitForEvents('a', 0, { timeoutMs: 60_000 }).then(() => woken.push(name)),
    );
    await store.append(token('a', 1, 'x'));
    await Promise.all(waits);
    expect(woken.sort()).toEqual(['first', 'second', 'third']);
    const controller = new AbortController();
    const { signal } = controller;
    for (let seq = 2; seq <= 4; seq++) {
      const waiting = store.waitForEvents('a', seq - 1, { timeoutMs: 60_000, signal });
      await store.append(token('a', seq, 'x'));
      await waiting;
    }
    const pending = store.waitForEvents('a', 4, { timeoutMs: 60_000, signal });
    const alsoPending = store.waitForEvents('a', 4, { timeoutMs: 60_000, signal });
    controller.abort();
    await Promise.all([pending, alsoPending]);
    await store.close();
  });

  it('expires ended runs after the TTL, never active ones', async () => {
    let time = 0;
    const store = createMemoryRunStore({ ttlMs: 1000, now: () => time });
    await store.create(info('ended'));
    await store.append(start('ended'));
    await store.append(done('ended', 1));
    await store.create(info('active'));
    await store.append(start('active'));
    time = 999;
    expect(await store.get('ended')).toBeDefined();
    time = 1001;
    expect(await store.get('ended')).toBeUndefined();
    expect(await store.read('ended', -1)).toBeUndefined();
    time = 10_000_000;
    expect(await store.get('active')).toBeDefined();
    await store.close();
  });

  it('stays bounded: evicts the oldest ended runs, then refuses with overloaded', async () => {
    const store = createMemoryRunStore({ maxRuns: 3 });
    for (const id of ['a', 'b', 'c']) {
      await store.create(info(id));
      await store.append(start(id));
    }
    await store.append(done('a', 1));
    await store.create(info('d'));
    expect(await store.get('a')).toBeUndefined();
    const refused = await store.create(info('e')).catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: 'overloaded', retryable: true });
    await store.close();
  });

  it('delivers cancel requests to the run writer until the run ends', async () => {
    const store = createMemoryRunStore();
    await store.create(info('a'));
    await store.append(start('a'));
    let heard = 0;
    store.onCancel('a', () => heard++);
    expect(await store.requestCancel('a')).toBe(true);
    expect(heard).toBe(1);
    await store.append(done('a', 1));
    expect(await store.requestCancel('a')).toBe(false);
    expect(await store.requestCancel('nope')).toBe(false);
    expect(heard).toBe(1);
    await store.close();
  });
});
