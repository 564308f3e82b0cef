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
  /**
   * Whether a cancel may have been published while this process was not subscribed (before its first subscription,
   * or while its connection was down), and not checked for since. Returns `undefined` if not, else a function to call
   * once the runs' hashes were read successfully: it clears the answer if the subscription was in place when this was
   * asked (a cancel published after that was heard) and has not dropped since.
   */
  mayHaveMissed(): (() => void) | undefined;
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
  // Set until a check after the subscription is in place; set again whenever its connection drops.
  let missed = true;
  let drops = 0;
  // Whether Redis has confirmed the subscription on the current connection.
  let listening = false;
  let everListened = false;
  connection.on('close', () => {
    missed = true;
    drops += 1;
    listening = false;
  });
  // ioredis resubscribes on its own after a reconnection but reports nothing when Redis confirms it: asking again
  // (a no-op for Redis) gives the confirmation to wait for.
  connection.on('ready', () => {
    if (!everListened || listening) return;
    connection.subscribe(channel).then(
      () => {
        listening = connection.status === 'ready';
      },
      () => {},
    );
  });

  const dispatch = (id: string) => {
    const set = listeners.get(id);
    if (!set) return unheard?.(id);
    for (const listener of [...set]) listener();
  };
  connection.on('message', (_channel: string, id: string) => dispatch(id));
  // ioredis resubscribes after a reconnection, but only to a subscription that once succeeded. A first SUBSCRIBE in
  // flight when the connection drops may never be answered (this connection resends nothing): it is given up then,
  // and the next call asks again.
  const ready = () =>
    (subscribed ??= new Promise<void>((resolve, reject) => {
      const dropped = () => reject(new Error('the cancel subscription connection closed'));
      connection.once('close', dropped);
      connection.subscribe(channel).then(
        () => {
          connection.off('close', dropped);
          listening = everListened = true;
          resolve();
        },
        (error: unknown) => {
          connection.off('close', dropped);
          reject(error as Error);
        },
      );
    }).catch((error: unknown) => {
      subscribed = undefined;
      throw error;
    }));
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
    mayHaveMissed() {
      if (!missed) return undefined;
      const wasListening = listening;
      const dropsThen = drops;
      return () => {
        if (wasListening && drops === dropsThen) missed = false;
      };
    },
    close: () => connection.disconnect(),
  };
}
