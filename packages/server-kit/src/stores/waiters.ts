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
      clearTimeout(timer);
      aborts?.delete(finish);
      waiters.delete(finish);
      resolve();
    };
    const timer = setTimeout(finish, timeoutMs);
    const aborts = signal ? abortWaitersOf(signal) : undefined;
    aborts?.add(finish);
    waiters.add(finish);
  });
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
