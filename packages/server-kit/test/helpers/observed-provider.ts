import type { Provider, ProviderChunk, ProviderRequest } from '../../src/index.js';

/** Wraps a provider to record what it was asked and when its signal aborted (what "the provider saw"). */
export interface ObservedProvider extends Provider {
  readonly calls: ProviderRequest[];
  readonly aborts: number[];
  /** Resolves with the time the next (or a past, not yet awaited) abort was seen. */
  nextAbort(): Promise<number>;
}

export function observeProvider(inner: Provider, options: { delayMs?: number } = {}): ObservedProvider {
  const calls: ProviderRequest[] = [];
  const aborts: number[] = [];
  let waiting: Array<(time: number) => void> = [];
  let consumed = 0;
  return {
    name: inner.name,
    defaultModel: inner.defaultModel,
    calls,
    aborts,
    listModels: (signal) => inner.listModels(signal),
    nextAbort() {
      if (aborts.length > consumed) return Promise.resolve(aborts[consumed++] as number);
      return new Promise((resolve) => waiting.push((time) => (consumed++, resolve(time))));
    },
    async *stream(request: ProviderRequest, signal: AbortSignal): AsyncIterable<ProviderChunk> {
      calls.push(request);
      signal.addEventListener(
        'abort',
        () => {
          const time = performance.now();
          aborts.push(time);
          const listeners = waiting;
          waiting = [];
          for (const listener of listeners) listener(time);
        },
        { once: true },
      );
      for await (const chunk of inner.stream(request, signal)) {
        if (options.delayMs && chunk.type === 'token') {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, options.delayMs);
            signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
          });
          if (signal.aborted) return;
        }
        yield chunk;
      }
    },
  };
}
