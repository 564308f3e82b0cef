import type { RunEvent } from '@chatwire/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryRunStore, type Provider, type RunStore } from '../src/index.js';
import { Redis } from 'ioredis';
import { createRedisRunCounter, createRedisRunStore } from '../src/redis.js';
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
      // A pause before the first token (longer than the store's write-behind window), as a model's time to first token.
      await new Promise((resolve) => setTimeout(resolve, 50));
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

// A model that sends its whole answer and its end in one turn, without waiting for anything.
function allAtOnceProvider(): Provider {
  return {
    name: 'at-once',
    defaultModel: 'at-once',
    listModels: () => Promise.resolve([{ id: 'at-once', provider: 'simulated' }]),
    async *stream() {
      await new Promise((resolve) => setTimeout(resolve, 50));
      for (const text of BURSTS.flat()) yield { type: 'token', text };
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
let admin: Redis;
let onRedis: TestServer;
let atOnce: TestServer;
let inMemory: TestServer;

beforeAll(async () => {
  redis = await startRedisServer();
  admin = new Redis(redis.url);
  // A lease far longer than the tests: no renewal (heartbeat and reap scripts) lands among the commands counted below.
  const raw = createRedisRunStore({ url: redis.url, prefix: 'bursts:', leaseMs: 600_000, syncRunWindowMs: 100 });
  const redisStore = watched(raw);
  onRedis = await startKit({
    provider: burstProvider(redisStore.stored),
    store: redisStore.store,
    runLimits: { counter: createRedisRunCounter(raw) },
  });
  const quick = createRedisRunStore({ url: redis.url, prefix: 'at-once:', leaseMs: 600_000 });
  atOnce = await startKit({
    provider: allAtOnceProvider(),
    store: quick,
    runLimits: { counter: createRedisRunCounter(quick) },
  });
  const memoryStore = watched(createMemoryRunStore());
  inMemory = await startKit({ provider: burstProvider(memoryStore.stored), store: memoryStore.store });
});
afterAll(async () => {
  admin?.disconnect();
  await onRedis?.close();
  await atOnce?.close();
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

// Script calls of a chat on the instance that writes it: admit, create (with the `start` event and the claim: no job
// queue here, so polling runs too are driven where they are created), one per burst (each burst is stored before the
// next comes) and the terminal event: 7 in every mode. For streams, the follower count goes up with the first burst's
// batch, 50 ms after the reader came (a change to the count of a run this instance writes waits for its next batch),
// and is not counted down once the reader has the end. No release (the terminal event freed the run's slot), and no read: the run's readers here
// are answered by its mirror, from its creation to after the run has ended.
const SCRIPT_CALLS = { sync: '7', polling: '7', sse: '7', ws: '7' };

describe.each(['sync', 'polling', 'sse', 'ws'] as const)('Redis round trips of a chat, in mode %s', (mode) => {
  it('reads nothing from Redis on the instance writing the run, and calls one script per step', async () => {
    // A first chat loads every script into Redis (a script's first call is an EVALSHA refused, then an EVAL).
    expect((await rawChat(mode, onRedis, { message: 'hi' })).ok).toBe(true);
    await admin.config('RESETSTAT');
    const outcome = await rawChat(mode, onRedis, { message: 'hi' });
    if (!outcome.ok) throw new Error(JSON.stringify(outcome));
    const stats = await admin.info('commandstats');
    // What `read` and `get` send (the scripts' own HEXISTS, HMGET and GET count in these statistics too).
    expect(stats).not.toMatch(/cmdstat_(xrange|xread|hgetall):/);
    expect(stats).toMatch(new RegExp(`cmdstat_evalsha:calls=${SCRIPT_CALLS[mode]},`));
  });
});

// The model's `done` right behind its last tokens: it goes to Redis in the same script call as them (admit, create,
// then one call for the tokens and the end), not in a round trip of its own after theirs.
describe.each(['sync', 'polling', 'sse', 'ws'] as const)('the end of a chat on Redis, in mode %s', (mode) => {
  it('writes the last tokens and the done event in one script call', async () => {
    expect((await rawChat(mode, atOnce, { message: 'hi' })).ok).toBe(true);
    await admin.config('RESETSTAT');
    const outcome = await rawChat(mode, atOnce, { message: 'hi' });
    if (!outcome.ok) throw new Error(JSON.stringify(outcome));
    expect(textOf(outcome.events)).toBe(BURSTS.flat().join(''));
    expect(outcome.events.at(-1)).toMatchObject({ type: 'done', finish_reason: 'stop' });
    expect(outcome.events.map((event) => event.seq)).toEqual(outcome.events.map((_, index) => index));
    expect(await admin.info('commandstats')).toMatch(/cmdstat_evalsha:calls=3,/);
  });
});
