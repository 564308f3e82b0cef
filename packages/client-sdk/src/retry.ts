/** How a transport retries after a dropped connection or a failed poll. */
export interface RetryOptions {
  /** Consecutive failed attempts before the chat fails with the last error (default 5). */
  attempts?: number;
  /** Delay before the first retry; it doubles on each further failure (default 250 ms). */
  initialDelayMs?: number;
  /** Upper bound of the doubling delay; a server's `Retry-After` may ask for longer (default 5 s). */
  maxDelayMs?: number;
}

/** {@link RetryOptions} with every default applied. */
export type RetryPolicy = Required<RetryOptions>;

/** The defaults of {@link RetryOptions}. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { attempts: 5, initialDelayMs: 250, maxDelayMs: 5000 };

/** Applies defaults to {@link RetryOptions}. */
export function resolveRetryPolicy(options: RetryOptions = {}): RetryPolicy {
  return { ...DEFAULT_RETRY_POLICY, ...options };
}

/**
 * Milliseconds to wait before retry number `attempt` (1-based): exponential backoff with jitter (so many clients
 * dropped at once do not come back at once), and never less than what the server asked for with `Retry-After`.
 *
 * @example
 * retryDelay(3, DEFAULT_RETRY_POLICY); // between 500 and 1000
 * retryDelay(1, DEFAULT_RETRY_POLICY, 2000); // 2000
 */
export function retryDelay(
  attempt: number,
  policy: RetryPolicy,
  retryAfterMs?: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.max(0, attempt - 1));
  const backoff = Math.round(ceiling / 2 + (random() * ceiling) / 2);
  return Math.max(backoff, retryAfterMs ?? 0);
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Lets a Node process exit while `timer` is pending (a no-op in browsers, whose timers are numbers). */
export function unrefTimer(timer: unknown): void {
  (timer as { unref?: () => void } | null)?.unref?.();
}
