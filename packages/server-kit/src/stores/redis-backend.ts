import type { JobQueue } from '../job-queue.js';
import { createRedisJobQueue } from '../queues/redis-stream.js';
import type { RunLimitsOptions } from '../run-limits.js';
import { createRedisRateLimiter, createRedisRunCounter } from './redis-run-limits.js';
import { createRedisRunStore, type RedisRunStore, type RedisRunStoreOptions } from './redis.js';

/** Options of {@link createRedisBackend}. */
export interface RedisBackendOptions extends Omit<RedisRunStoreOptions, 'client'> {
  url: string;
  /** Run creations per principal per minute, counted across instances (default 60). */
  runsPerMinute?: number;
  /** Polling runs this instance's workers drive at once (default 100). */
  queueConcurrency?: number;
}

/** The chat kit options that make several instances one service; spread them into `createChatKit`. */
export interface RedisBackend {
  store: RedisRunStore;
  jobQueue: JobQueue;
  /** The shared per-principal run counter and rate limiter; add your own numbers next to them. */
  runLimits: RunLimitsOptions;
}

/**
 * Everything several instances behind a load balancer share, on one Redis: the run store (runs, events, leases,
 * cancels, idempotency keys), the job queue for polling runs (a stream next to the runs, `createRedisJobQueue`), and
 * the per-principal limits.
 *
 * @example
 * const kit = createChatKit({ provider, ...createRedisBackend({ url: process.env.REDIS_URL! }) });
 */
export function createRedisBackend(options: RedisBackendOptions): RedisBackend {
  const { runsPerMinute, queueConcurrency, ...storeOptions } = options;
  const store = createRedisRunStore(storeOptions);
  const jobQueue = createRedisJobQueue(store, queueConcurrency === undefined ? {} : { concurrency: queueConcurrency });
  const runLimits: RunLimitsOptions = {
    counter: createRedisRunCounter(store),
    rateLimiter: createRedisRateLimiter(store, runsPerMinute === undefined ? {} : { points: runsPerMinute }),
  };
  return { store, jobQueue, runLimits };
}
