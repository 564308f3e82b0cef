import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { JobQueue, RunJob } from '../src/index.js';
import { createRedisJobQueue, createRedisRunStore, type RedisRunStore } from '../src/redis.js';
import { startRedisServer, type TestRedis } from './helpers/redis-server.js';

let redis: TestRedis;
let admin: Redis;
let opened: Array<{ store: RedisRunStore; queue: JobQueue }> = [];
let prefixes = 0;

beforeAll(async () => {
  redis = await startRedisServer();
  admin = new Redis(redis.url);
});
afterEach(async () => {
  for (const { store, queue } of opened) {
    await queue.close();
    await store.close();
  }
  opened = [];
});
afterAll(async () => {
  admin?.disconnect();
  await redis?.stop();
});

/** `count` queues of one instance each (a store and a queue), on a prefix of their own. */
function instances(count: number, options: Parameters<typeof createRedisJobQueue>[1] = {}) {
  const prefix = `jobs${++prefixes}:`;
  return Array.from({ length: count }, () => {
    const store = createRedisRunStore({ url: redis.url, prefix });
    const queue = createRedisJobQueue(store, options);
    opened.push({ store, queue });
    return { store, queue, prefix };
  });
}

const job = (id: string): RunJob => ({
  info: { id, owner: 'u', model: 'sim/instant', mode: 'polling', created_at: new Date(0).toISOString() },
  request: { messages: [{ role: 'user', content: id }], model: 'sim/instant' },
});

/** A handler that records the runs it was given and holds each until `release(id)`. */
function holdingHandler() {
  const taken: string[] = [];
  const releases = new Map<string, () => void>();
  const waiters: Array<() => void> = [];
  return {
    taken,
    handle: (next: RunJob) =>
      new Promise<void>((resolve) => {
        taken.push(next.info.id);
        releases.set(next.info.id, resolve);
        for (const wake of waiters.splice(0)) wake();
      }),
    release: (id: string) => releases.get(id)?.(),
    /** Resolves once `count` jobs have been taken in all. */
    async until(count: number) {
      while (taken.length < count) await new Promise<void>((resolve) => waiters.push(resolve));
    },
  };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the Redis job queue (a stream in one consumer group)', () => {
  it('gives each job to one worker, at most `concurrency` per instance, the rest as slots free up', async () => {
    const [a, b] = instances(2, { concurrency: 2 });
    const handlers = [holdingHandler(), holdingHandler()];
    a!.queue.process(handlers[0]!.handle);
    b!.queue.process(handlers[1]!.handle);
    for (let index = 0; index < 6; index++) await a!.queue.enqueue(job(`run-${index}`));
    await handlers[0]!.until(2);
    await handlers[1]!.until(2);
    // Four slots, six jobs: two wait.
    await pause(100);
    expect(handlers[0]!.taken.length + handlers[1]!.taken.length).toBe(4);
    for (const id of [...handlers[0]!.taken]) handlers[0]!.release(id);
    await handlers[0]!.until(4);
    const all = [...handlers[0]!.taken, ...handlers[1]!.taken].sort();
    expect(all).toEqual(['run-0', 'run-1', 'run-2', 'run-3', 'run-4', 'run-5']);
    for (const handler of handlers) for (const id of all) handler.release(id);
  });

  it('queues a run once while its job waits or runs, and removes what it has done', async () => {
    const [a] = instances(1);
    const handler = holdingHandler();
    await a!.queue.enqueue(job('once'));
    await a!.queue.enqueue(job('once'));
    a!.queue.process(handler.handle);
    await handler.until(1);
    await a!.queue.enqueue(job('once'));
    await pause(100);
    expect(handler.taken).toEqual(['once']);
    handler.release('once');
    const stream = `${a!.prefix}jobs`;
    await expect.poll(() => admin.xlen(stream)).toBe(0);
    expect(await admin.exists(`${a!.prefix}job:{once}`)).toBe(0);
    expect(await admin.xpending(stream, 'workers')).toEqual([0, null, null, null]);
  });

  it('gives a job taken by a worker that died to another one, and never takes a live worker’s job', async () => {
    const [a, b] = instances(2, { reclaimAfterMs: 300 });
    const stream = `${a!.prefix}jobs`;
    // A process takes a job and dies before it drives it: the job sits in its pending list.
    await a!.queue.enqueue(job('orphan'));
    await admin.xgroup('CREATE', stream, 'workers', '0', 'MKSTREAM');
    const taken = (await admin.xreadgroup('GROUP', 'workers', 'dead', 'COUNT', 1, 'STREAMS', stream, '>')) as unknown[];
    expect(taken).toHaveLength(1);
    const survivor = holdingHandler();
    b!.queue.process(survivor.handle);
    await survivor.until(1);
    expect(survivor.taken).toEqual(['orphan']);
    // The survivor holds the job far longer than the reclaim delay; another worker never takes it.
    const other = holdingHandler();
    a!.queue.process(other.handle);
    await pause(1500);
    expect(other.taken).toEqual([]);
    survivor.release('orphan');
  });

  it('removes the consumers of processes that are gone from the group, not one that still holds a job', async () => {
    const [a] = instances(1, { concurrency: 1, reclaimAfterMs: 100 });
    const stream = `${a!.prefix}jobs`;
    const consumers = async () =>
      ((await admin.xinfo('CONSUMERS', stream, 'workers')) as Array<Array<string | number>>)
        .map((fields) => String(fields[fields.indexOf('name') + 1]))
        .sort();
    // The worker's one slot is busy, so it reclaims nobody's job while the test runs.
    const worker = holdingHandler();
    await a!.queue.enqueue(job('mine'));
    a!.queue.process(worker.handle);
    await worker.until(1);
    try {
      // One process took a job and went silent (its job pends); another joined the group, read nothing and is gone.
      await a!.queue.enqueue(job('held'));
      expect(await admin.xreadgroup('GROUP', 'workers', 'holder', 'COUNT', 1, 'STREAMS', stream, '>')).toHaveLength(1);
      await admin.xgroup('CREATECONSUMER', stream, 'workers', 'gone');
      expect(await consumers()).toEqual([a!.store.instanceId, 'gone', 'holder'].sort());
      // Silent for ten reclaim delays (1 s here) with nothing pending: removed at a renewal; the holder stays.
      const deadline = Date.now() + 10_000;
      while ((await consumers()).includes('gone') && Date.now() < deadline) await pause(100);
      expect(await consumers()).toEqual([a!.store.instanceId, 'holder'].sort());
    } finally {
      worker.release('mine');
    }
  });

  it('leaves what it has not taken to the others when it closes, and waits for its running jobs', async () => {
    const [a, b] = instances(2, { concurrency: 1 });
    const handlers = [holdingHandler(), holdingHandler()];
    a!.queue.process(handlers[0]!.handle);
    await a!.queue.enqueue(job('first'));
    await a!.queue.enqueue(job('second'));
    await handlers[0]!.until(1);
    let closed = false;
    const closing = a!.queue.close().then(() => (closed = true));
    await pause(50);
    expect(closed).toBe(false);
    handlers[0]!.release('first');
    await closing;
    b!.queue.process(handlers[1]!.handle);
    await handlers[1]!.until(1);
    expect(handlers[1]!.taken).toEqual(['second']);
    expect(handlers[0]!.taken).toEqual(['first']);
    handlers[1]!.release('second');
  });

  it('counts the runs its process takes on itself (reserve) against its concurrency', async () => {
    const [a] = instances(1, { concurrency: 2 });
    const handler = holdingHandler();
    // Not a worker yet: every run goes through the queue.
    expect(a!.queue.reserve?.()).toBeUndefined();
    a!.queue.process(handler.handle);
    const first = a!.queue.reserve?.();
    const second = a!.queue.reserve?.();
    expect(first).toBeTypeOf('function');
    expect(second).toBeTypeOf('function');
    expect(a!.queue.reserve?.()).toBeUndefined();
    await a!.queue.enqueue(job('queued'));
    await pause(200);
    expect(handler.taken).toEqual([]);
    // Releasing twice frees one slot, once.
    first!();
    first!();
    await handler.until(1);
    expect(handler.taken).toEqual(['queued']);
    expect(a!.queue.reserve?.()).toBeUndefined();
    second!();
    handler.release('queued');
  });

  it('gives back jobs a read brought in beyond the slots left after a reserve, for another worker', async () => {
    const [a, b] = instances(2, { concurrency: 2 });
    const stream = `${a!.prefix}jobs`;
    const handlers = [holdingHandler(), holdingHandler()];
    a!.queue.process(handlers[0]!.handle);
    // Let a's worker block on its read (two free slots), then take one slot while it waits.
    await pause(200);
    const slot = a!.queue.reserve?.();
    expect(slot).toBeTypeOf('function');
    // Two jobs land together, so the waiting read gets both.
    const entry = (id: string) => ['job', JSON.stringify(job(id)), 'mark', `${a!.prefix}job:{${id}}`];
    await admin
      .multi()
      .set(`${a!.prefix}job:{one}`, '1')
      .set(`${a!.prefix}job:{two}`, '1')
      .xadd(stream, '*', ...entry('one'))
      .xadd(stream, '*', ...entry('two'))
      .exec();
    await handlers[0]!.until(1);
    await pause(200);
    expect(handlers[0]!.taken).toEqual(['one']);
    b!.queue.process(handlers[1]!.handle);
    await handlers[1]!.until(1);
    expect(handlers[1]!.taken).toEqual(['two']);
    for (const id of ['one', 'two']) for (const handler of handlers) handler.release(id);
    slot!();
    await expect.poll(() => admin.xlen(stream)).toBe(0);
    expect(await admin.xpending(stream, 'workers')).toEqual([0, null, null, null]);
    expect(await admin.exists(`${a!.prefix}job:{one}`, `${a!.prefix}job:{two}`)).toBe(0);
  });

  it('takes jobs again after Redis restarted empty', async () => {
    const [a] = instances(1);
    const handler = holdingHandler();
    a!.queue.process(handler.handle);
    await a!.queue.enqueue(job('before'));
    await handler.until(1);
    handler.release('before');
    await redis.stop();
    await redis.restart();
    await expect
      .poll(
        async () =>
          a!.queue.enqueue(job('after')).then(
            () => true,
            () => false,
          ),
        { timeout: 10_000 },
      )
      .toBe(true);
    await handler.until(2);
    expect(handler.taken).toEqual(['before', 'after']);
    handler.release('after');
    admin.disconnect();
    admin = new Redis(redis.url);
  });
});
