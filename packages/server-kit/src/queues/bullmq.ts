import { Queue, Worker } from 'bullmq';
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
 * @example
 * const jobQueue = createBullmqJobQueue({ url: process.env.REDIS_URL!, concurrency: 50 });
 */
export function createBullmqJobQueue(options: BullmqJobQueueOptions): JobQueue {
  const name = options.name ?? 'runs';
  const prefix = options.prefix ?? 'chatwire:queue';
  const queue = new Queue<RunJob>(name, {
    connection: { url: options.url, maxRetriesPerRequest: 1, connectTimeout: 2000, retryStrategy },
    prefix,
    // The queue's event stream is for dashboards; keep it short.
    streams: { events: { maxLen: 100 } },
    defaultJobOptions: { attempts: 1, removeOnComplete: true, removeOnFail: true },
  });
  queue.on('error', () => {});
  let worker: Worker<RunJob> | undefined;

  return {
    async enqueue(job) {
      await queue.add('run', job, { jobId: job.info.id });
    },
    process(handler) {
      if (worker) throw new Error('the job queue already has a handler');
      worker = new Worker<RunJob>(name, (job) => handler(job.data), {
        connection: { url: options.url, retryStrategy },
        prefix,
        concurrency: options.concurrency ?? 100,
      });
      // Connection errors are retried by BullMQ; without a listener they would crash the process.
      worker.on('error', () => {});
    },
    async ping() {
      await queue.getWaitingCount();
    },
    async close() {
      await worker?.close();
      await queue.close();
    },
  };
}
