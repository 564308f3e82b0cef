import type { RunEvent } from '@chatwire/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ChatError,
  createMemoryRunStore,
  createSimulatedProvider,
  type Provider,
  type RunStore,
} from '../src/index.js';
import { appendsNow, type AppendFunction } from '../src/store.js';
import { rawChat, textOf } from './helpers/raw-modes.js';
import { startKit, type TestServer } from './helpers/start-kit.js';

// The engine stores a run's tokens through the synchronous append an in-process store carries on its `append`
// (no promise per token). These tests hold that path to the same rules as the promise one.

const simulated = createSimulatedProvider({
  defaultModel: 'sim/steady',
  profiles: { 'sim/steady': { tokensPerSecond: 2000, firstTokenMs: { min: 0, max: 0 }, burstIntervalMs: 1 } },
});
let server: TestServer | undefined;
afterEach(() => server?.close());

/** The simulated model, noting whether the engine aborted each stream it asked for. */
function watchedProvider(): Provider & { aborted: boolean[] } {
  const aborted: boolean[] = [];
  return {
    ...simulated,
    aborted,
    async *stream(request, signal) {
      const index = aborted.push(false) - 1;
      signal.addEventListener('abort', () => (aborted[index] = true));
      yield* simulated.stream(request, signal);
    },
  };
}

/** A memory store whose synchronous append refuses the token after the first `keep`. */
function storeFailingAfter(keep: number): RunStore {
  const store = createMemoryRunStore();
  const inner = (store.append as AppendFunction)[appendsNow];
  if (!inner) throw new Error('the memory store should carry a synchronous append');
  let tokens = 0;
  const appendNow = (event: RunEvent) => {
    if (event.type === 'token' && ++tokens > keep) throw new ChatError('overloaded', 'the store is full');
    inner(event);
  };
  const append: AppendFunction = (event) => {
    try {
      appendNow(event);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  };
  append[appendsNow] = appendNow;
  return { ...store, append };
}

describe.each(['sse', 'polling'] as const)('a store that appends at once, in mode %s', (mode) => {
  it('keeps every token as its own event, in seq order', async () => {
    server = await startKit({ provider: simulated, store: createMemoryRunStore() });
    const outcome = await rawChat(mode, server, { message: 'Explain how DNS resolution works.', max_tokens: 120 });
    if (!outcome.ok) throw new Error(JSON.stringify(outcome));
    const { events } = outcome;
    expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index));
    expect(events.filter((event) => event.type === 'token')).toHaveLength(120);
    expect(events.at(-1)).toMatchObject({ type: 'done', usage: { completion_tokens: 120 } });
  });

  it('stops the model when the store fails mid-run, keeps what was stored, and ends with one error', async () => {
    const provider = watchedProvider();
    server = await startKit({ provider, store: storeFailingAfter(20) });
    const outcome = await rawChat(mode, server, { message: 'Tell me about TCP.', max_tokens: 300 });
    if (!outcome.ok) throw new Error(JSON.stringify(outcome));
    const { events } = outcome;
    expect(events.filter((event) => event.type === 'token')).toHaveLength(20);
    expect(textOf(events).length).toBeGreaterThan(0);
    expect(events.at(-1)).toMatchObject({ type: 'error', code: 'overloaded' });
    expect(events.filter((event) => event.type === 'error' || event.type === 'done')).toHaveLength(1);
    expect(provider.aborted).toEqual([true]);
  });
});

it('a store that wraps append gets every event through its wrapper, not around it', async () => {
  const store = createMemoryRunStore();
  const seen: string[] = [];
  server = await startKit({
    provider: simulated,
    store: {
      ...store,
      append(event) {
        seen.push(event.type);
        return store.append(event);
      },
    },
  });
  const outcome = await rawChat('sse', server, { message: 'Tell me about UDP.', max_tokens: 50 });
  if (!outcome.ok) throw new Error(JSON.stringify(outcome));
  expect(seen).toEqual(outcome.events.map((event) => event.type));
  expect(seen.filter((type) => type === 'token').length).toBeGreaterThan(0);
});
