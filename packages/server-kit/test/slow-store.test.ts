import type { RunEvent } from '@chatwire/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryRunStore, createSimulatedProvider, type RunStore } from '../src/index.js';
import { rawChat, textOf } from './helpers/raw-modes.js';
import { startKit, type TestServer } from './helpers/start-kit.js';

// A store with a round trip, like Redis over a network: every append takes 5 ms. The model sends a token about every
// half millisecond, ten times faster than the store takes them.
const WRITE_MS = 5;
const steady = { tokensPerSecond: 2000, firstTokenMs: { min: 0, max: 0 }, burstIntervalMs: 1 };
const provider = createSimulatedProvider({
  defaultModel: 'sim/steady',
  profiles: { 'sim/steady': steady, 'sim/flaky-steady': steady },
  faults: (request) => (request.model === 'sim/flaky-steady' ? { failAfterTokens: 40 } : undefined),
});
let server: TestServer;

function createSlowStore(): RunStore {
  const store = createMemoryRunStore();
  return {
    ...store,
    async append(event) {
      await new Promise((resolve) => setTimeout(resolve, WRITE_MS));
      await store.append(event);
    },
  };
}

/** The model's own tokens for `message`, read straight from the provider, up to its end or failure. */
async function modelTokens(message: string, model: string): Promise<string[]> {
  const tokens: string[] = [];
  try {
    for await (const chunk of provider.stream(
      { model, messages: [{ role: 'user', content: message }] },
      new AbortController().signal,
    )) {
      if (chunk.type === 'token') tokens.push(chunk.text);
    }
  } catch {
    // the flaky model fails after its tokens
  }
  return tokens;
}

beforeAll(async () => {
  server = await startKit({ provider, store: createSlowStore() });
});
afterAll(() => server.close());

describe.each(['sse', 'ws', 'polling'] as const)('a store slower than the model, in mode %s', (mode) => {
  it('merges the tokens that arrive during a write into the next event, losing and reordering none', async () => {
    const message = 'Explain how DNS resolution works.';
    const tokens = await modelTokens(message, 'sim/steady');
    const outcome = await rawChat(mode, server, { message, max_tokens: 300 });
    if (!outcome.ok) throw new Error(JSON.stringify(outcome));
    expect(outcome.events.map((event) => event.seq)).toEqual(outcome.events.map((_, index) => index));
    expect(textOf(outcome.events)).toBe(tokens.slice(0, 300).join(''));
    const done = outcome.events.at(-1);
    expect(done).toMatchObject({ type: 'done', usage: { completion_tokens: Math.min(300, tokens.length) } });
    const tokenEvents = outcome.events.filter((event) => event.type === 'token');
    // Far fewer writes than tokens: the model was never made to wait for the store.
    expect(tokenEvents.length).toBeLessThan(Math.min(300, tokens.length) / 2);
  });

  it('writes every token read before a model failure, then the error', async () => {
    const message = 'Tell me about TCP.';
    const tokens = await modelTokens(message, 'sim/flaky-steady');
    expect(tokens).toHaveLength(40);
    const outcome = await rawChat(mode, server, { message, model: 'sim/flaky-steady' });
    if (!outcome.ok) throw new Error(JSON.stringify(outcome));
    const events: RunEvent[] = outcome.events;
    expect(textOf(events)).toBe(tokens.join(''));
    expect(events.at(-1)).toMatchObject({ type: 'error', code: 'upstream_unavailable', retryable: true });
    expect(events.filter((event) => event.type === 'error')).toHaveLength(1);
  });
});
