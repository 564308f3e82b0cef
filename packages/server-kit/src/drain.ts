import { setMaxListeners } from 'node:events';

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
  /** Aborted when the kit stops waiting: deliveries still open end now (streams without their terminal event, so the
   *  client resumes elsewhere; long polls answer what they have). */
  readonly signal: AbortSignal;
  /** Counts `delivery` as in flight until it settles. */
  track(delivery: Promise<unknown>): void;
  /** How many deliveries are in flight. */
  readonly size: number;
  /** Resolves once nothing tracked is in flight (including what was tracked meanwhile), or after `timeoutMs`. */
  settled(timeoutMs: number): Promise<void>;
  /** Aborts {@link Drain.signal}. */
  abort(): void;
}

/** Creates a {@link Drain}. */
export function createDrain(): Drain {
  const controller = new AbortController();
  // Every open stream and held poll listens to it (and stops listening when it ends): thousands at once are normal.
  setMaxListeners(0, controller.signal);
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
    signal: controller.signal,
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
    abort: () => controller.abort(),
  };
}

/** Calls `onAbort` when `signal` aborts (at once if it has); returns a function that stops listening. */
export function onAbort(signal: AbortSignal, onAbort: () => void): () => void {
  if (signal.aborted) {
    onAbort();
    return noop;
  }
  signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}

function noop(): void {}
