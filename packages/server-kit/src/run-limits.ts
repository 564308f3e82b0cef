import { RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { ChatError } from './chat-error.js';
import type { Principal } from './principal.js';

/** Options of {@link createRunLimits}. */
export interface RunLimitsOptions {
  /** Runs this server drives at once, all principals together (default 2,000); past it `503 overloaded`. */
  maxConcurrentRuns?: number;
  /** Runs one principal may have going at once (default 10); past it `429 rate_limited`. */
  maxConcurrentRunsPerPrincipal?: number;
  /** Run creations per principal per minute (default 60); past it `429 rate_limited`. */
  runsPerMinute?: number;
  /** A rate-limiter-flexible limiter to use instead (e.g. a Redis one shared by several instances). */
  rateLimiter?: RateLimiterAbstract;
  /** Where runs in progress are counted per principal (default: in this process; a Redis one shares the count). */
  counter?: RunCounter;
}

/** Counts each principal's runs in progress, for `maxConcurrentRunsPerPrincipal`. */
export interface RunCounter {
  /** Counts run `runId` for `key` unless `key` already has `max` runs in progress; false when it has. */
  acquire(key: string, runId: string, max: number): Promise<boolean>;
  /** Stops counting run `runId` (a shared counter may instead keep it until the run has ended, wherever it runs). */
  release(key: string, runId: string): void;
}

/** Admission control for run creations; reads (polls, resumes) never pass through it. */
export interface RunLimits {
  /** Admits run `runId` for `principal` or throws; call the returned function when the run ends. */
  admit(principal: Principal, runId?: string): Promise<() => void>;
  /** Runs admitted and not yet released. */
  active(): number;
  /** Forgets this process's rate-limit windows, so no timer outlives the kit. */
  close?(): Promise<void>;
}

/** Creates the run admission limits. */
export function createRunLimits(options: RunLimitsOptions = {}): RunLimits {
  const maxRuns = options.maxConcurrentRuns ?? 2000;
  const maxPerPrincipal = options.maxConcurrentRunsPerPrincipal ?? 10;
  const limiter = options.rateLimiter ?? new RateLimiterMemory({ points: options.runsPerMinute ?? 60, duration: 60 });
  const counter = options.counter ?? createMemoryRunCounter();
  // The memory limiter keeps a timer per key until its window ends; remember the keys to clear them on close.
  const ownLimiter = options.rateLimiter === undefined;
  const limitedKeys = new Set<string>();
  let total = 0;
  let anonymousRuns = 0;

  return {
    async admit(principal, runId = `run-${++anonymousRuns}`) {
      const key = principal.rateKey ?? principal.id;
      if (total >= maxRuns) {
        throw new ChatError('overloaded', 'the server is at capacity; retry shortly', { retryAfterMs: 1000 });
      }
      // The count and the rate limit are asked at once (with a shared store, one round trip for both); a run refused
      // for the count gets its rate-limit point back, so a refused run costs none of the principal's budget in the end
      // (until the refund lands, a request of the same principal at its very last point may be refused).
      const [acquired, consumed] = await Promise.allSettled([
        counter.acquire(key, runId, maxPerPrincipal),
        limiter.consume(key),
      ]);
      // Bounded: past 10,000 principals the remaining windows simply run out (their timers are unref'd).
      if (ownLimiter && limitedKeys.size < 10_000) limitedKeys.add(key);
      if (acquired.status === 'rejected' || !acquired.value) {
        // A rate limiter counts a refused consume too: the point goes back either way, unless the limiter could not
        // count it at all (unreachable).
        if (consumed.status === 'fulfilled' || consumed.reason instanceof RateLimiterRes) {
          limiter.reward(key, 1).catch(() => {});
        }
        if (acquired.status === 'rejected') throw acquired.reason;
        throw new ChatError('rate_limited', `at most ${maxPerPrincipal} runs may be in progress at once`, {
          retryAfterMs: 1000,
        });
      }
      if (consumed.status === 'rejected') {
        const error: unknown = consumed.reason;
        counter.release(key, runId);
        if (error instanceof RateLimiterRes) {
          const retryAfterMs = Math.max(1, error.msBeforeNext);
          throw new ChatError('rate_limited', 'too many runs started; slow down', { retryAfterMs, cause: error });
        }
        // A shared limiter that cannot be reached (Redis away): a retryable refusal, not a bug.
        throw new ChatError('overloaded', 'the rate limiter is unavailable; retry shortly', {
          retryAfterMs: 1000,
          cause: error,
        });
      }
      total++;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        total--;
        counter.release(key, runId);
      };
    },
    active: () => total,
    async close() {
      await Promise.all([...limitedKeys].map((key) => limiter.delete(key).catch(() => false)));
      limitedKeys.clear();
    },
  };
}

/** The default {@link RunCounter}: this process's runs only. */
function createMemoryRunCounter(): RunCounter {
  const perKey = new Map<string, Set<string>>();
  return {
    async acquire(key, runId, max) {
      const runs = perKey.get(key) ?? new Set<string>();
      if (runs.size >= max) return false;
      runs.add(runId);
      perKey.set(key, runs);
      return true;
    },
    release(key, runId) {
      const runs = perKey.get(key);
      runs?.delete(runId);
      if (runs?.size === 0) perKey.delete(key);
    },
  };
}
