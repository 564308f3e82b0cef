import type { RunEvent } from '@chatwire/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryRunStore, type Provider, type RunStore } from '../src/index.js';
import { createRedisRunStore } from '../src/redis.js';
import { rawChat, textOf } from './helpers/raw-modes.js';
import { startRedisServer, type TestRedis } from './helpers/redis-server.js';
import { startKit, type TestServer } from './helpers/start-kit.js';

// A model that sends its answer in bursts, several tokens in one turn of the event loop (as a network chunk from Groq
// or a burst of the simulated model does), and sends the next burst only once the store holds the previous one, so
// no burst ever meets a write in flight: how many token events a burst becomes depends on the store alone.
const BURSTS = [
  ['Hello', ',', ' world'],
  [' and', ' good', ' morning', '.'],
  [' How', ' are', ' you'],
  ['?', ' Fine', '.'],
];

/** `store` with a hook that tells the model which token text it holds so far. */
function watched(store: RunStore): { store: RunStore; stored: (text: string) => Promise<void> } {
  let text = '';
  const waiting = new Set<() => void>();
  return {
    // Spread, so the store's own properties (such as `batchesAppends`) come along.
    store: {
      ...store,
      async append(event: RunEvent) {
        await store.append(event);
        if (event.type === 'token') text += event.text;
        for (const wake of [...waiting]) wake();
      },
    },
    async stored(expected) {
      while (!text.endsWith(expected)) await new Promise<void>((resolve) => waiting.add(resolve));
      waiting.clear();
    },
  };
}

function burstProvider(stored: (text: string) => Promise<void>): Provider {
  return {
    name: 'bursts',
    defaultModel: 'bursts',
    listModels: () => Promise.resolve([{ id: 'bursts', provider: 'simulated' }]),
    async *stream() {
      let sent = '';
      for (const burst of BURSTS) {
        for (const text of burst) yield { type: 'token', text };
        sent += burst.join('');
        await stored(sent);
      }
      yield {
        type: 'done',
        finish_reason: 'stop',
        usage: { prompt_tokens: 1, completion_tokens: 13, total_tokens: 14 },
      };
    },
  };
}

const tokenTexts = (events: RunEvent[]) => events.flatMap((event) => (event.type === 'token' ? [event.text] : []));

let redis: TestRedis;
let onRedis: TestServer;
let inMemory: TestServer;

beforeAll(async () => {
  redis = await startRedisServer();
  const redisStore = watched(createRedisRunStore({ url: redis.url, prefix: 'bursts:' }));
  onRedis = await startKit({ provider: burstProvider(redisStore.stored), store: redisStore.store });
  const memoryStore = watched(createMemoryRunStore());
  inMemory = await startKit({ provider: burstProvider(memoryStore.stored), store: memoryStore.store });
});
afterAll(async () => {
  await onRedis?.close();
  await inMemory?.close();
  await redis?.stop();
});

describe.each(['sse', 'ws', 'polling'] as const)('token events of a model burst, in mode %s', (mode) => {
  it('on a store that batches appends (Redis), each burst is one token event', async () => {
    const outcome = await rawChat(mode, onRedis, { message: 'hi' });
    if (!outcome.ok) throw new Error(JSON.stringify(outcome));
    expect(tokenTexts(outcome.events)).toEqual(BURSTS.map((burst) => burst.join('')));
    expect(outcome.events.map((event) => event.seq)).toEqual(outcome.events.map((_, index) => index));
    expect(outcome.events.at(-1)).toMatchObject({ type: 'done', finish_reason: 'stop' });
  });

  it('on the memory store, each token is its own event', async () => {
    const outcome = await rawChat(mode, inMemory, { message: 'hi' });
    if (!outcome.ok) throw new Error(JSON.stringify(outcome));
    expect(tokenTexts(outcome.events)).toEqual(BURSTS.flat());
    expect(textOf(outcome.events)).toBe(BURSTS.flat().join(''));
  });
});
