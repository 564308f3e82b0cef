import type { Redis } from 'ioredis';
import type { JobQueue, RunJob } from '../job-queue.js';
import { awaitBlocking, duplicateConnection } from '../stores/redis-connection.js';
import type { RedisRunStore } from '../stores/redis.js';
import { scriptsOf } from '../stores/redis-scripts.js';

/** Options of {@link createRedisJobQueue}. */
export interface RedisJobQueueOptions {
  /** Jobs this process drives at once (default 100): the per-instance limit; more wait in the queue. */
  concurrency?: number;
  /**
   * A job taken by a worker that has not been heard of for this long (its process died between taking the job and
   * claiming the run) is taken by another worker (default 30 s). Live workers renew their jobs every third of it.
   */
  reclaimAfterMs?: number;
}

// The consumer group all instances read the job stream in.
const GROUP = 'workers';
// How long one blocking read waits before it is sent again (a closing queue does not wait for it).
const BLOCK_MS = 5000;
// How long a job's "queued once" mark lives at most (the job is normally done, and the mark removed, long before).
const MARK_TTL_MS = 24 * 60 * 60_000;
// A consumer with nothing pending and silent this long is removed from the group (a process that is gone).
const FORGET_CONSUMER_AFTER = 10;

type StreamEntry = [id: string, fields: string[]];

/**
 * A {@link JobQueue} on a Redis Stream next to the runs (`<prefix>jobs`), read by every instance in one consumer group:
 * a job costs three round trips (queued, taken, done) and no polling. A polling run waits in the stream until a worker
 * with a free slot takes it (at most `concurrency` at once per instance); a run id is queued once at a time. A job
 * taken by a process that died before it claimed the run is taken by another worker after `reclaimAfterMs`; one whose
 * run that process had claimed ends with `interrupted` through the run's lease, and the worker that takes the job
 * finds the run ended and drops it. What a closing instance has not taken stays for the others.
 *
 * Replaces BullMQ (`createBullmqJobQueue`) as the default of `createRedisBackend`: a BullMQ job took about 55
 * Redis commands in 6 script calls, and its worker's blocking connection woke for every job and every marker.
 *
 * @example
 * const store = createRedisRunStore({ url: process.env.REDIS_URL });
 * const kit = createChatKit({ store, jobQueue: createRedisJobQueue(store, { concurrency: 50 }) });
 */
export function createRedisJobQueue(store: RedisRunStore, options: RedisJobQueueOptions = {}): JobQueue {
  const client = store.client;
  const stream = `${store.keys.prefix}jobs`;
  const mark = (runId: string) => `${store.keys.prefix}job:{${runId}}`;
  const concurrency = Math.max(1, options.concurrency ?? 100);
  const reclaimAfterMs = Math.max(100, options.reclaimAfterMs ?? 30_000);
  const consumer = store.instanceId;
  // The store registered the queue's scripts with its own (JOB_ENQUEUE and JOB_DONE in redis-scripts.ts).
  const run = scriptsOf(client);

  let handler: ((job: RunJob) => Promise<void>) | undefined;
  let reader: Redis | undefined;
  let closed = false;
  let groupReady: Promise<void> | undefined;
  // Entry ids of the jobs this process drives, and what wakes the read loop when one of them ends.
  const inFlight = new Map<string, Promise<void>>();
  // Runs the engine drives here without queuing them (`reserve`): they take slots like the jobs.
  let reserved = 0;
  let slotFreed: (() => void) | undefined;
  let stopReading: (() => void) | undefined;
  let renewTimer: NodeJS.Timeout | undefined;
  let renewals = 0;
  let loop: Promise<void> | undefined;

  function ensureGroup(): Promise<void> {
    groupReady ??= client.xgroup('CREATE', stream, GROUP, '0', 'MKSTREAM').then(
      () => undefined,
      (error: unknown) => {
        if (String(error).includes('BUSYGROUP')) return;
        groupReady = undefined;
        throw error;
      },
    );
    return groupReady;
  }

  /** Drives the job of `entry` in the background; the entry is acknowledged and removed whatever the outcome. */
  function start([entryId, fields]: StreamEntry): void {
    const field = (name: string) => fields[fields.indexOf(name) + 1];
    const markKey = field('mark') ?? '';
    let job: RunJob | undefined;
    try {
      job = JSON.parse(field('job') ?? '') as RunJob;
    } catch {
      // Not a job this queue wrote: dropped.
    }
    const running = (async () => {
      try {
        if (job) await (handler as (job: RunJob) => Promise<void>)(job);
      } catch {
        // The run records its own failure; the job is done either way (one attempt, as with BullMQ's `attempts: 1`).
      }
      await run('jobDone', stream, markKey, GROUP, entryId).catch(() => {});
    })().finally(() => {
      inFlight.delete(entryId);
      slotFreed?.();
    });
    inFlight.set(entryId, running);
  }

  async function readLoop(): Promise<void> {
    let failures = 0;
    while (!closed) {
      const free = concurrency - inFlight.size - reserved;
      if (free <= 0) {
        await new Promise<void>((resolve) => (slotFreed = resolve));
        slotFreed = undefined;
        continue;
      }
      try {
        await ensureGroup();
        const answer = await readJobs(free);
        failures = 0;
        // Runs this process took on itself while the read waited may have left fewer slots than it asked for: the
        // jobs beyond them go back to the stream at once, for any worker.
        const room = Math.max(0, concurrency - inFlight.size - reserved);
        // Taken, so in this process's pending list: driven even if the queue is closing (close waits for them).
        for (const entry of answer.slice(0, room)) start(entry);
        if (answer.length > room) await giveBack(answer.slice(room));
      } catch (error) {
        if (closed) return;
        // Redis restarted empty: the group is gone with the stream.
        if (String(error).includes('NOGROUP')) groupReady = undefined;
        failures += 1;
        await new Promise((resolve) => setTimeout(resolve, Math.min(failures * 100, 1000)));
      }
    }
  }

  /** One blocking read of up to `count` new jobs; what a read given up (see {@link awaitBlocking}) took is reclaimed. */
  async function readJobs(count: number): Promise<StreamEntry[]> {
    const connection = (reader ??= duplicateConnection(client));
    const reply = connection
      .xreadgroup('GROUP', GROUP, consumer, 'COUNT', count, 'BLOCK', BLOCK_MS, 'STREAMS', stream, '>')
      .then((answer) => ((answer as Array<[string, StreamEntry[]]> | null)?.[0]?.[1] ?? []) as StreamEntry[]);
    const entries = await awaitBlocking(connection, reply, BLOCK_MS + 2000, (stop) => (stopReading = stop));
    if (entries) return entries;
    if (reader === connection) reader = undefined;
    if (closed) return [];
    // The connection dropped: Redis may have restarted empty, so the group is made sure of again before the next read.
    groupReady = undefined;
    // Through the read loop's back-off: while Redis refuses connections, a new one would close at once.
    throw new Error('the blocking read was given up');
  }

  /** Puts jobs this process took and cannot drive back at the end of the stream, unacknowledged by it. */
  async function giveBack(entries: StreamEntry[]): Promise<void> {
    for (const [entryId, fields] of entries) {
      await run('jobRequeue', stream, GROUP, entryId, ...fields).catch(() => {
        // Left in this process's pending list: renewals take it again (XAUTOCLAIM) once it has been idle long enough.
      });
    }
  }

  /** Renews this process's jobs, takes over those of silent workers, and forgets workers long gone. */
  async function renew(): Promise<void> {
    if (closed) return;
    renewals += 1;
    try {
      await ensureGroup();
      const ids = [...inFlight.keys()];
      // Claiming its own jobs resets their idle time: a live worker's job is never taken from it.
      if (ids.length > 0) await client.xclaim(stream, GROUP, consumer, 0, ...ids, 'JUSTID');
      const free = concurrency - inFlight.size - reserved;
      if (free > 0) {
        const [, entries] = (await client.xautoclaim(
          stream,
          GROUP,
          consumer,
          reclaimAfterMs,
          '0-0',
          'COUNT',
          free,
        )) as [string, Array<StreamEntry | null>];
        const taken = entries.filter((entry): entry is StreamEntry => entry !== null && !inFlight.has(entry[0]));
        // Slots the engine took for itself during the round trips are not free any more.
        const room = closed ? 0 : Math.max(0, concurrency - inFlight.size - reserved);
        for (const entry of taken.slice(0, room)) start(entry);
        if (taken.length > room) await giveBack(taken.slice(room));
      }
      if (renewals % FORGET_CONSUMER_AFTER === 0) await forgetGoneConsumers();
    } catch {
      // Redis is away: the next renewal tries again.
    }
  }

  async function forgetGoneConsumers(): Promise<void> {
    const consumers = (await client.xinfo('CONSUMERS', stream, GROUP)) as Array<Array<string | number>>;
    for (const fields of consumers) {
      const info = (name: string) => fields[fields.indexOf(name) + 1];
      const silentMs = Number(info('idle'));
      if (
        info('name') !== consumer &&
        Number(info('pending')) === 0 &&
        silentMs > reclaimAfterMs * FORGET_CONSUMER_AFTER
      )
        await client.xgroup('DELCONSUMER', stream, GROUP, String(info('name')));
    }
  }

  return {
    async enqueue(job) {
      await run('jobEnqueue', stream, mark(job.info.id), JSON.stringify(job), MARK_TTL_MS);
    },
    reserve() {
      if (closed || !handler || inFlight.size + reserved >= concurrency) return undefined;
      reserved += 1;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        reserved -= 1;
        slotFreed?.();
      };
    },
    process(run) {
      if (handler) throw new Error('the job queue already has a handler');
      handler = run;
      loop = readLoop();
      renewTimer = setInterval(() => void renew(), Math.max(50, Math.floor(reclaimAfterMs / 3)));
      renewTimer.unref();
    },
    async ping() {
      await client.ping();
    },
    async close() {
      closed = true;
      if (renewTimer) clearInterval(renewTimer);
      slotFreed?.();
      // A blocking read cannot be taken back: the connection goes, and what it would have taken stays in the stream.
      stopReading?.();
      reader?.disconnect();
      await loop;
      await Promise.all(inFlight.values());
    },
  };
}
