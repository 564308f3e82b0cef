/** Where a wait registers the function that ends it: a `Set`, or a {@link Waiters}. */
export interface WaiterRegistry {
  add(waiter: () => void): unknown;
  delete(waiter: () => void): unknown;
}

/**
 * Waits until something calls the function it adds to `waiters` (a new event), `timeoutMs` passes or `signal` aborts,
 * whichever comes first; it always resolves, and always leaves `waiters` as it found it.
 */
export function waitForWake(waiters: WaiterRegistry, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const finish = () => {
      deadlines.delete(finish);
      aborts?.delete(finish);
      waiters.delete(finish);
      resolve();
    };
    const deadlines = Deadlines.of(timeoutMs);
    deadlines.add(finish);
    const aborts = signal ? abortWaitersOf(signal) : undefined;
    aborts?.add(finish);
    waiters.add(finish);
  });
}

// The longest delay a Node timer takes as it is.
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The waits of one duration, timed by one timer: every held follower waits (30 s at most) between two tokens, and a
 * `Timeout` of its own per wait is about 120 bytes a held stream. Waits of the same duration end in the order they
 * began, so the timer only ever needs the oldest one's deadline; each ends on time, as with a timer of its own.
 */
class Deadlines {
  private static readonly byDuration = new Map<number, Deadlines>();
  /** Each wait's end and its deadline (`performance.now()` ms), oldest first. */
  private readonly waits = new Map<() => void, number>();
  private timer: NodeJS.Timeout | undefined;

  private constructor(private readonly durationMs: number) {}

  static of(durationMs: number): Deadlines {
    let deadlines = Deadlines.byDuration.get(durationMs);
    if (!deadlines) {
      deadlines = new Deadlines(durationMs);
      Deadlines.byDuration.set(durationMs, deadlines);
    }
    return deadlines;
  }

  add(finish: () => void): void {
    this.waits.set(finish, performance.now() + this.durationMs);
    this.timer ??= this.arm(this.durationMs);
  }

  delete(finish: () => void): void {
    if (!this.waits.delete(finish) || this.waits.size > 0) return;
    // Nothing left to time: as when each wait cleared its own timer, nothing keeps the process alive.
    clearTimeout(this.timer);
    this.timer = undefined;
    Deadlines.byDuration.delete(this.durationMs);
  }

  private arm(delayMs: number): NodeJS.Timeout {
    // Armed for the oldest wait; one that went away early leaves it armed, and the next due one re-arms it.
    // Node fires a longer delay (an infinite one, say) after 1 ms: the longest it takes is the most one waits at once.
    return setTimeout(() => this.expire(), Math.min(MAX_TIMER_MS, Math.max(1, Math.ceil(delayMs))));
  }

  private expire(): void {
    this.timer = undefined;
    const now = performance.now();
    for (const [finish, deadline] of this.waits) {
      if (deadline > now) {
        this.timer = this.arm(deadline - now);
        return;
      }
      finish();
    }
  }
}

/**
 * The functions waiting on one run (or one signal), with room for one without allocating: a follower waits once per
 * token, and a `Set` that goes from one entry to none and back allocates a new table each time.
 */
export class Waiters implements WaiterRegistry {
  private first: (() => void) | undefined;
  private rest: Set<() => void> | undefined;

  get size(): number {
    return (this.first === undefined ? 0 : 1) + (this.rest?.size ?? 0);
  }

  add(waiter: () => void): void {
    if (this.first === undefined) this.first = waiter;
    else (this.rest ??= new Set()).add(waiter);
  }

  delete(waiter: () => void): void {
    if (this.first === waiter) this.first = undefined;
    else this.rest?.delete(waiter);
  }

  /** Calls every waiter and keeps them (one added by a call is not called, one removed by a call still is). */
  callAll(): void {
    const { first } = this;
    const rest = this.rest && [...this.rest];
    first?.();
    if (rest) for (const waiter of rest) waiter();
  }

  /** Forgets every waiter. */
  clear(): void {
    this.first = undefined;
    this.rest = undefined;
  }

  /** Forgets every waiter, then calls each (those added meanwhile wait for the next call). */
  wakeAll(): void {
    const { first, rest } = this;
    this.first = undefined;
    this.rest = undefined;
    first?.();
    if (rest) for (const waiter of rest) waiter();
  }
}

// One 'abort' listener per signal for all its waits, not one added and removed per wait: a follow waits on the same
// signal once per token, and each add/remove of a signal's only listener allocates (Node's EventTarget bookkeeping).
const abortWaiters = new WeakMap<AbortSignal, Waiters>();

function abortWaitersOf(signal: AbortSignal): Waiters {
  let waiters = abortWaiters.get(signal);
  if (!waiters) {
    const created = new Waiters();
    abortWaiters.set(signal, created);
    signal.addEventListener('abort', () => created.wakeAll(), { once: true });
    waiters = created;
  }
  return waiters;
}
