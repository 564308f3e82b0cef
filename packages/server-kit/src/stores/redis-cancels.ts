import type { Redis } from 'ioredis';

/** This process's end of the cancel channel: one subscription, dispatched to the local listeners of each run. */
export interface RedisCancels {
  /** Resolves once subscribed; a subscription that failed (Redis away) is tried again. */
  ready(): Promise<void>;
  /** Calls `listener` when a cancel for run `id` arrives; returns the unsubscribe function. */
  on(id: string, listener: () => void): () => void;
  /** Calls run `id`'s local listeners now. */
  dispatch(id: string): void;
  /** Runs that have a local listener (their writers are in this process). */
  listened(): string[];
  close(): void;
}

/**
 * Subscribes `connection` (a connection of its own) to `channel`, whose messages are run ids. Every instance hears
 * every cancel; cancels are rare, and the one writing the run acts on it. `unheard` is told of a cancel for a run with
 * no listener here.
 */
export function createRedisCancels(connection: Redis, channel: string, unheard?: (id: string) => void): RedisCancels {
  const listeners = new Map<string, Set<() => void>>();
  let subscribed: Promise<void> | undefined;

  const dispatch = (id: string) => {
    const set = listeners.get(id);
    if (!set) return unheard?.(id);
    for (const listener of [...set]) listener();
  };
  connection.on('message', (_channel: string, id: string) => dispatch(id));
  // ioredis resubscribes after a reconnection, but only to a subscription that once succeeded.
  const ready = () =>
    (subscribed ??= connection.subscribe(channel).then(
      () => undefined,
      (error: unknown) => {
        subscribed = undefined;
        throw error;
      },
    ));
  ready().catch(() => {});

  return {
    ready,
    dispatch,
    on(id, listener) {
      const set = listeners.get(id) ?? new Set();
      set.add(listener);
      listeners.set(id, set);
      return () => {
        set.delete(listener);
        if (set.size === 0 && listeners.get(id) === set) listeners.delete(id);
      };
    },
    listened: () => [...listeners.keys()],
    close: () => connection.disconnect(),
  };
}
