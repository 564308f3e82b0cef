import type { Queue, Worker } from 'bullmq';
import type { JobQueue, RunJob } from '../job-queue.js';

/** Options of {@link createBullmqJobQueue}. */
export interface BullmqJobQueueOptions {
  /** `redis://...` of the Redis the instances share; BullMQ opens its own connections (workers need blocking ones). */
  url: string;
  /** Queue name (default `runs`). */
  name?: string;
  /** Key prefix (default `chatwire:queue`). */
  prefix?: string;
  /** Jobs this process drives at once (default 100): the per-instance limit; more wait in the queue. */
  concurrency?: number;
}

// Reconnect within a second once Redis is back (BullMQ's default backs off up to 20 s).
const retryStrategy = (times: number) => Math.min(times * 100, 1000);

/**
 * A {@link JobQueue} on BullMQ: polling runs wait in a Redis list and any instance's worker takes them, at most
 * `concurrency` at once per instance. A job's id is its run id, so queuing a run twice queues it once; jobs are removed
 * when done, whatever their outcome (the run itself keeps the result). A worker that dies mid-job leaves the job
 * stalled; BullMQ hands it to another worker, which finds the run already ended (`interrupted`) and drops it.
 *
 * The alternative to `createRedisJobQueue` (the default of `createRedisBackend`, far fewer Redis commands per
 * job) for apps that want BullMQ's tooling. Needs the `bullmq` package, loaded when the queue is made.
 *
 * @example
 * const jobQueue = createBullmqJobQueue({ url: process.env.REDIS_URL!, concurrency: 50 });
 */
export function createBullmqJobQueue(options: BullmqJobQueueOptions): JobQueue {
  const name = options.name ?? 'runs';
  const prefix = options.prefix ?? 'chatwire:queue';
  // Loaded when the queue is made, not with `@chatwire/server-kit/redis`: only this queue needs `bullmq` installed.
  const bullmq = import('bullmq').catch((error: unknown) => {
    throw new Error('createBullmqJobQueue needs the bullmq package: npm install bullmq', { cause: error });
  });
  const queue: Promise<Queue<RunJob>> = bullmq.then(({ Queue }) => {
    const made = new Queue<RunJob>(name, {
      connection: { url: options.url, maxRetriesPerRequest: 1, connectTimeout: 2000, retryStrategy },
      prefix,
      // The queue's event stream is for dashboards; keep it short.
      streams: { events: { maxLen: 100 } },
      defaultJobOptions: { attempts: 1, removeOnComplete: true, removeOnFail: true },
    });
    made.on('error', () => {});
    return made;
  });
  // Reported by the calls that need the queue (enqueue, ping), not as an unhandled rejection.
  queue.catch(() => {});
  let worker: Promise<Worker<RunJob>> | undefined;

  return {
    async enqueue(job) {
      await (await queue).add('run', job, { jobId: job.info.id });
    },
    process(handler) {
      if (worker) throw new Error('the job queue already has a handler');
      worker = bullmq.then(({ Worker }) => {
        const made = new Worker<RunJob>(name, (job) => handler(job.data), {
          connection: { url: options.url, retryStrategy },
          prefix,
          concurrency: options.concurrency ?? 100,
        });
        // Connection errors are retried by BullMQ; without a listener they would crash the process.
        made.on('error', () => {});
        return made;
      });
      worker.catch(() => {});
    },
    async ping() {
      await (await queue).getWaitingCount();
    },
    async close() {
      await (await worker?.catch(() => undefined))?.close();
      await (await queue.catch(() => undefined))?.close();
    },
  };
}
