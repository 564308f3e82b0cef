import type { ProviderRequest } from './provider.js';
import type { RunInfo } from './store.js';

/** A run waiting for a worker: the run (already created, with its `start` event stored) and what to ask the model. */
export interface RunJob {
  info: RunInfo;
  request: ProviderRequest;
}

/**
 * Where polling-mode runs (background tasks nobody streams) wait for a worker. Without one, the engine drives them in
 * the process that accepted them. With a shared queue (`createRedisJobQueue` in `@chatwire/server-kit/redis`), the
 * accepting instance drives a run itself while it has a free slot (`reserve`) and any instance's workers take the rest,
 * each instance running at most its own `concurrency` at once.
 */
export interface JobQueue {
  /** Queues `job`; resolves once the queue holds it. Queuing the same run id twice queues it once. */
  enqueue(job: RunJob): Promise<void>;
  /**
   * Starts this process's workers: `handler` drives one run to its end and is called for at most the queue's
   * concurrency jobs at once. Called once, by the engine.
   */
  process(handler: (job: RunJob) => Promise<void>): void;
  /**
   * Takes one of this process's worker slots for a run the engine drives here at once instead of queuing it (the
   * instance that accepted a polling run drives it when it has a free slot; only the overflow waits in the queue).
   * Returns the slot's release, called once when the run ends, or `undefined` when every slot is taken or the queue
   * is closing. A queue without it has every polling run go through the queue.
   */
  reserve?(): (() => void) | undefined;
  /** Resolves when the queue answers, rejects when it cannot be reached (`/readyz`). */
  ping?(): Promise<void>;
  /** Stops taking jobs, waits for the running handlers to return, and releases connections. */
  close(): Promise<void>;
}
