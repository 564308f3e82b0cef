/**
 * What a closing kit waits for before it closes connections: every HTTP response and WS follow still delivering a
 * run's events. Without it, a shutdown that ends the runs and then closes sockets cuts the last events of every stream
 * whose follower had not yet read them (a follower reads one event-loop turn after a wake).
 */
export interface Drain {
  /** True once the kit has begun to close: long polls then hold until their run ends, responses close connections. */
  readonly closing: boolean;
  /** Marks the start of the shutdown. */
  begin(): void;
  /**
   * Calls `callback` when the kit stops waiting (at once if it has): deliveries still open end then (streams without
   * their terminal event, so the client resumes elsewhere; long polls answer what they have). Returns a function that
   * stops listening. A set of callbacks, not an AbortSignal's listeners: every open stream registers one, and an
   * EventTarget keeps a listener record of its own per registration and removes it by a linear search.
   */
  onAbort(callback: () => void): () => void;
  /** Counts `delivery` as in flight until it settles. */
  track(delivery: Promise<unknown>): void;
  /** How many deliveries are in flight. */
  readonly size: number;
  /** Resolves once nothing tracked is in flight (including what was tracked meanwhile), or after `timeoutMs`. */
  settled(timeoutMs: number): Promise<void>;
  /** Stops waiting: calls every {@link Drain.onAbort} callback. */
  abort(): void;
}

/** Creates a {@link Drain}. */
export function createDrain(): Drain {
  const callbacks = new Set<() => void>();
  let aborted = false;
  const inFlight = new Set<Promise<unknown>>();
  let idle: (() => void) | undefined;
  let closing = false;
  return {
    get closing() {
      return closing;
    },
    begin() {
      closing = true;
    },
    onAbort(callback) {
      if (aborted) {
        callback();
        return noop;
      }
      // A wrapper of its own, so the same callback registered twice is two registrations.
      const entry = (): void => callback();
      callbacks.add(entry);
      return () => callbacks.delete(entry);
    },
    track(delivery) {
      // One reaction, not a then() and a finally(): a stream is tracked for as long as it is open.
      const forget = (): void => {
        inFlight.delete(settled);
        if (inFlight.size === 0) idle?.();
      };
      const settled: Promise<void> = delivery.then(forget, forget);
      inFlight.add(settled);
    },
    get size() {
      return inFlight.size;
    },
    async settled(timeoutMs) {
      if (inFlight.size === 0) return;
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        idle = resolve;
        timer = setTimeout(resolve, timeoutMs);
      });
      idle = undefined;
      clearTimeout(timer);
    },
    abort() {
      if (aborted) return;
      aborted = true;
      const pending = [...callbacks];
      callbacks.clear();
      for (const callback of pending) callback();
    },
  };
}

function noop(): void {}
