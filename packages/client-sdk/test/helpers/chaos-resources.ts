import { promisify } from 'node:util';

/** The resource types a chat client, a server or a proxy can leave behind. */
export const WATCHED_RESOURCES = ['Timeout', 'Immediate', 'TCPSocketWrap', 'TCPServerWrap'] as const;

/** Counts of `process.getActiveResourcesInfo()` by type, for the {@link WATCHED_RESOURCES} (ref'ed handles only). */
export function activeResources(): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(WATCHED_RESOURCES.map((type) => [type, 0]));
  for (const type of process.getActiveResourcesInfo()) if (type in counts) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

/** Timers created while tracking, still pending; see {@link trackTimers}. */
export interface TimerTracker {
  /** Creation stacks of the timers (intervals included) still pending that `owned` claims. */
  pending(): string[];
  /** Puts the original timer functions back. */
  restore(): void;
}

/**
 * Tracks the timers created from now on. `process.getActiveResourcesInfo()` does not list unref'ed timers, and the SDK
 * unrefs most of its own, so a leaked keep-alive or backoff timer would go unseen there. This wraps the global timer
 * functions (as fake-timer libraries do) and keeps each pending timer's creation stack; `owned(stack)` picks the
 * timers that matter (created from this repository's code, not the test runner's).
 */
export function trackTimers(owned: (stack: string) => boolean): TimerTracker {
  const original = {
    setTimeout: globalThis.setTimeout,
    setInterval: globalThis.setInterval,
    clearTimeout: globalThis.clearTimeout,
    clearInterval: globalThis.clearInterval,
  };
  const pending = new Map<unknown, Error>();
  const stackLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 40;

  type Create = (callback: (...args: any[]) => void, ms?: number, ...args: any[]) => unknown;
  function track(create: Create, once: boolean): Create {
    return (callback, ms, ...args) => {
      // The Error is cheap until its stack is read; only leftovers are formatted.
      const origin = new Error('timer created');
      const timer = create(
        (...callArgs: unknown[]) => {
          if (once) pending.delete(timer);
          callback(...callArgs);
        },
        ms,
        ...args,
      );
      pending.set(timer, origin);
      return timer;
    };
  }
  const clear = (timer: unknown) => {
    if (typeof timer === 'number' || typeof timer === 'string') {
      for (const key of pending.keys()) if (Number(key) === Number(timer)) pending.delete(key);
    } else pending.delete(timer);
  };

  globalThis.setTimeout = Object.assign(track(original.setTimeout as Create, true), {
    [promisify.custom]: (original.setTimeout as unknown as Record<symbol, unknown>)[promisify.custom],
  }) as unknown as typeof setTimeout;
  globalThis.setInterval = track(original.setInterval as Create, false) as unknown as typeof setInterval;
  globalThis.clearTimeout = ((timer: Parameters<typeof clearTimeout>[0]) => {
    clear(timer);
    original.clearTimeout(timer);
  }) as typeof clearTimeout;
  globalThis.clearInterval = ((timer: Parameters<typeof clearInterval>[0]) => {
    clear(timer);
    original.clearInterval(timer);
  }) as typeof clearInterval;

  return {
    pending() {
      return [...pending.values()].map((error) => error.stack ?? '').filter(owned);
    },
    restore() {
      Object.assign(globalThis, original);
      Error.stackTraceLimit = stackLimit;
    },
  };
}
