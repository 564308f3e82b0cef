/**
 * The disconnect policy: while a streaming run has followers nothing happens; when the last one leaves, the run keeps
 * going for `graceMs` so it can be resumed (from any mode), then `onExpire` cancels it so nobody pays for tokens
 * nobody reads.
 */
export interface DisconnectPolicy {
  /** A follower starts reading `id`; returns the function to call when it stops. */
  attach(id: string): () => void;
  /** Forget `id` (the run ended). */
  forget(id: string): void;
  /** Clears every timer. */
  close(): void;
}

/** Creates the policy; `isActive` says whether the run is still going, `onExpire` cancels it. */
export function createDisconnectPolicy(
  graceMs: number,
  isActive: (id: string) => boolean,
  onExpire: (id: string) => void,
): DisconnectPolicy {
  const followers = new Map<string, number>();
  const timers = new Map<string, NodeJS.Timeout>();

  const clear = (id: string) => {
    const timer = timers.get(id);
    if (timer) clearTimeout(timer);
    timers.delete(id);
  };

  return {
    attach(id) {
      followers.set(id, (followers.get(id) ?? 0) + 1);
      clear(id);
      let detached = false;
      return () => {
        if (detached) return;
        detached = true;
        const count = (followers.get(id) ?? 1) - 1;
        if (count > 0) return void followers.set(id, count);
        followers.delete(id);
        if (!isActive(id)) return;
        const timer = setTimeout(() => {
          timers.delete(id);
          if (!followers.has(id) && isActive(id)) onExpire(id);
        }, graceMs);
        timer.unref();
        timers.set(id, timer);
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
