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
}

/** Admission control for run creations; reads (polls, resumes) never pass through it. */
export interface RunLimits {
  /** Admits one new run for `principal` or throws; call the returned function when the run ends. */
  admit(principal: Principal): Promise<() => void>;
  /** Runs admitted and not yet released. */
  active(): number;
}

/** Creates the run admission limits. */
export function createRunLimits(options: RunLimitsOptions = {}): RunLimits {
  const maxRuns = options.maxConcurrentRuns ?? 2000;
  const maxPerPrincipal = options.maxConcurrentRunsPerPrincipal ?? 10;
  const limiter = options.rateLimiter ?? new RateLimiterMemory({ points: options.runsPerMinute ?? 60, duration: 60 });
  const perPrincipal = new Map<string, number>();
  let total = 0;

  return {
    async admit(principal) {
      const key = principal.rateKey ?? principal.id;
      if (total >= maxRuns) {
        throw new ChatError('overloaded', 'the server is at capacity; retry shortly', { retryAfterMs: 1000 });
      }
      if ((perPrincipal.get(key) ?? 0) >= maxPerPrincipal) {
        throw new ChatError('rate_limited', `at most ${maxPerPrincipal} runs may be in progress at once`, { retryAfterMs: 1000 });
      }
      try {
        await limiter.consume(key);
      } catch (error) {
        if (error instanceof RateLimiterRes) {
          const retryAfterMs = Math.max(1, error.msBeforeNext);
          throw new ChatError('rate_limited', 'too many runs started; slow down', { retryAfterMs, cause: error });
        }
        throw new ChatError('internal', 'the rate limiter failed', { cause: error });
      }
      total++;
      perPrincipal.set(key, (perPrincipal.get(key) ?? 0) + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        total--;
        const count = (perPrincipal.get(key) ?? 1) - 1;
        if (count > 0) perPrincipal.set(key, count);
        else perPrincipal.delete(key);
      };
    },
    active: () => total,
  };
}
