import { RateLimiterRedis } from 'rate-limiter-flexible';
import type { RunCounter } from '../run-limits.js';
import { storeUnavailable } from './redis-keys.js';
import { defineScripts } from './redis-scripts.js';
import type { RedisRunStore } from './redis.js';

// A slot taken for a run that does not exist yet (admitted, not yet created) is kept this long before it counts as lost.
const MISSING_RUN_GRACE_MS = 60_000;
// Runs leave the set when they end; the TTL only bounds a set whose runs all vanished without ending.
const SET_TTL_MS = 2 * 60 * 60_000;

/**
 * A {@link RunCounter} in Redis: each principal's runs in progress are a sorted set shared by every instance. Before
 * counting, runs that have ended (anywhere, or ended by a reaper after their instance died) are dropped, so a slot
 * never leaks and a polling run queued on one instance and driven on another counts until it really ends.
 *
 * @example
 * createRunLimits({ counter: createRedisRunCounter(store), rateLimiter: createRedisRateLimiter(store) });
 */
export function createRedisRunCounter(store: RedisRunStore): RunCounter {
  const run = defineScripts(store.client);
  const { keys } = store;
  return {
    async acquire(key, runId, max) {
      try {
        return (await run('admit', keys.prefix, keys.active(key), runId, max, MISSING_RUN_GRACE_MS, SET_TTL_MS)) === 1;
      } catch (error) {
        throw storeUnavailable(error);
      }
    },
    release(key, runId) {
      // A run created here leaves the set with its terminal event, wherever it ends: nothing to do now.
      if (store.forgetCreated(runId)) return;
      // Only frees the slot if the run has ended or never came to be; a queued run keeps it until it ends.
      run('release', keys.prefix, keys.active(key), runId).catch(() => {});
    },
  };
}

/** Options of {@link createRedisRateLimiter}. */
export interface RedisRateLimiterOptions {
  /** Run creations per principal per window (default 60). */
  points?: number;
  /** The window in seconds (default 60). */
  durationSeconds?: number;
}

// How long a rate-limit check waits for the connection to be ready (it is asked together with the run count, which
// waits for the connection the same way) before it is refused as unavailable.
const READY_WAIT_MS = 2000;

/**
 * A rate-limiter-flexible limiter on the store's Redis, so `runsPerMinute` holds across instances. A check made while
 * the connection is still being opened waits for it (at most 2 s) instead of being refused at once; while Redis is
 * away, checks are refused at once.
 */
export function createRedisRateLimiter(store: RedisRunStore, options: RedisRateLimiterOptions = {}): RateLimiterRedis {
  const client = store.client;
  const ready = (): Promise<void> | undefined => {
    if (client.status !== 'connecting' && client.status !== 'connect' && client.status !== 'wait') return undefined;
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        client.off('ready', done);
        resolve();
      };
      const timer = setTimeout(done, READY_WAIT_MS);
      client.once('ready', done);
    });
  };
  class StoreRateLimiter extends RateLimiterRedis {
    override consume(...args: Parameters<RateLimiterRedis['consume']>): ReturnType<RateLimiterRedis['consume']> {
      const waiting = ready();
      return waiting ? waiting.then(() => super.consume(...args)) : super.consume(...args);
    }
  }
  return new StoreRateLimiter({
    storeClient: client,
    keyPrefix: store.keys.rate,
    points: options.points ?? 60,
    duration: options.durationSeconds ?? 60,
    // Refuse at once while Redis is away instead of queueing behind reconnection.
    rejectIfRedisNotReady: true,
  });
}
