/** A push-to-pull bridge: a producer pushes items, one consumer iterates them in order. */
export interface EventQueue<T> extends AsyncIterable<T> {
  push(item: T): void;
  /** Ends the iteration after the items already pushed. */
  end(): void;
  /** Ends the iteration with `error`, after the items already pushed. */
  fail(error: unknown): void;
}

/** Creates an {@link EventQueue}; items pushed before iteration starts are kept. */
export function createEventQueue<T>(): EventQueue<T> {
  const items: T[] = [];
  let finished: { error?: unknown } | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };
  return {
    push(item) {
      if (finished) return;
      items.push(item);
      notify();
    },
    end() {
      finished ??= {};
      notify();
    },
    fail(error) {
      finished ??= { error };
      notify();
    },
    async *[Symbol.asyncIterator]() {
      for (;;) {
        const item = items.shift();
        if (item !== undefined) {
          yield item;
          continue;
        }
        if (finished) {
          if ('error' in finished) throw finished.error;
          return;
        }
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
  };
}
