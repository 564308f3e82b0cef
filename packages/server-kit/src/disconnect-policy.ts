/**
 * The disconnect policy: while a streaming run has followers nothing happens; when the last one leaves, the run keeps
 * going for `graceMs` so it can be resumed (from any mode), then `onExpire` cancels it so nobody pays for tokens
 * nobody reads.
 */
export interface DisconnectPolicy {
  /**
   * A follower starts reading `id`; returns the function to call when it stops, with `ended` when it stops because it
   * read the run's end (nothing is left to cancel: the shared count is not updated).
   */
  attach(id: string): (ended?: boolean) => void;
  /** Forget `id` (the run ended). */
  forget(id: string): void;
  /** Clears every timer. */
  close(): void;
}

/**
 * Creates the policy; `isActive` says whether this process drives the run, `onExpire` cancels it. With `countShared`
 * (a store's `countFollowers`), readers in every instance count: the last one to leave, wherever it was, starts the
 * grace period, and the run is cancelled only if no instance has a reader when it ends. A follower instance that dies
 * without detaching leaves its readers counted, so such a run runs to its end instead: failing open, not closed.
 */
export function createDisconnectPolicy(
  graceMs: number,
  isActive: (id: string) => boolean,
  onExpire: (id: string) => void,
  countShared?: (id: string, delta: number) => Promise<number>,
): DisconnectPolicy {
  const followers = new Map<string, number>();
  const timers = new Map<string, NodeJS.Timeout>();

  const clear = (id: string) => {
    const timer = timers.get(id);
    if (timer) clearTimeout(timer);
    timers.delete(id);
  };

  const expire = (id: string) => {
    if (followers.has(id)) return;
    if (!countShared) return void (isActive(id) && onExpire(id));
    countShared(id, 0).then(
      (total) => total === 0 && onExpire(id),
      () => {},
    );
  };

  const schedule = (id: string) => {
    clear(id);
    const timer = setTimeout(() => {
      timers.delete(id);
      expire(id);
    }, graceMs);
    timer.unref();
    timers.set(id, timer);
  };

  return {
    attach(id) {
      const local = followers.get(id) ?? 0;
      followers.set(id, local + 1);
      clear(id);
      // This process counts once across instances, however many of its readers follow the run (and counts down
      // once, when the last of them leaves).
      if (local === 0) countShared?.(id, 1).catch(() => {});
      let detached = false;
      return (ended = false) => {
        if (detached) return;
        detached = true;
        const count = (followers.get(id) ?? 1) - 1;
        if (count > 0) return void followers.set(id, count);
        followers.delete(id);
        // The run is over: the count across instances no longer decides anything (and saves a Redis write per run).
        if (ended) return;
        if (!countShared) return void (isActive(id) && schedule(id));
        // Another instance may still have readers: then the last of them starts the grace period there.
        countShared(id, -1).then(
          (total) => total === 0 && !followers.has(id) && schedule(id),
          () => schedule(id),
        );
      };
    },
    forget(id) {
      clear(id);
      followers.delete(id);
    },
    close() {
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
      followers.clear();
    },
  };
}
