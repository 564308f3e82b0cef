import type { RunEvent, RunSnapshot } from '@chatwire/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Provider } from '../src/index.js';
import { createRedisRunStore } from '../src/redis.js';
import { rawChat, textOf } from './helpers/raw-modes.js';
import { startRedisServer, type TestRedis } from './helpers/redis-server.js';
import { startKit, type TestServer } from './helpers/start-kit.js';

// A model that sends BURSTS bursts of three tokens, 5 ms apart, whatever the store does (as Groq or the simulated
// model do), or bursts until it is stopped when asked for `forever`.
const BURSTS = 20;
const burst = (index: number) => [` w${index}a`, ` w${index}b`, ` w${index}c`];
const FULL_TEXT = Array.from({ length: BURSTS }, (_, index) => burst(index).join('')).join('');

function pacedProvider(): Provider {
  return {
    name: 'paced',
    defaultModel: 'paced',
    listModels: () => Promise.resolve([{ id: 'paced', provider: 'simulated' }]),
    async *stream(request, signal) {
      const forever = request.messages.at(-1)?.content === 'forever';
      for (let index = 0; forever || index < BURSTS; index++) {
        if (signal.aborted) return;
        for (const text of burst(index)) yield { type: 'token', text };
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      yield {
        type: 'done',
        finish_reason: 'stop',
        usage: { prompt_tokens: 1, completion_tokens: 60, total_tokens: 61 },
      };
    },
  };
}

const tokenEvents = (events: RunEvent[]) => events.filter((event) => event.type === 'token');

/** Every event of run `id`, read by a poll once it has ended (any mode's run can be polled). */
async function storedEvents(server: TestServer, id: string): Promise<RunEvent[]> {
  const response = await fetch(`${server.url}/api/async/status/${id}?after=-1`);
  const snapshot = (await response.json()) as RunSnapshot;
  return snapshot.events ?? [];
}

let redis: TestRedis;
let server: TestServer;

beforeAll(async () => {
  redis = await startRedisServer();
  // A window far longer than the tests' timeout: a run that waited it out would fail its test, so every write after
  // the first token that the tests see was cut short by the end of the run or by its cancel.
  const store = createRedisRunStore({
    url: redis.url,
    prefix: 'quiet:',
    quietRunWindowMs: 120_000,
    syncRunWindowMs: 120_000,
  });
  server = await startKit({ provider: pacedProvider(), store });
});
afterAll(async () => {
  await server?.close();
  await redis?.stop();
});

describe('runs nobody streams live, on Redis', () => {
  it('sync: every token gathers into one event written when the model ends (its client reads nothing sooner), and the answer is whole', async () => {
    const response = await fetch(`${server.url}/api/sync/chat`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ message: 'hi' }),
    });
    const body = (await response.json()) as { id: string; response: string };
    expect(body.response).toBe(FULL_TEXT);
    const events = await storedEvents(server, body.id);
    expect(tokenEvents(events)).toHaveLength(1);
    expect(textOf(events)).toBe(FULL_TEXT);
    expect(events.map((event) => event.seq)).toEqual([0, 1, 2]);
    expect(events.at(-1)).toMatchObject({ type: 'done', finish_reason: 'stop' });
  });

  it('polling: the poller gets the first token, then the rest with the end, nothing lost or repeated', async () => {
    const outcome = await rawChat('polling', server, { message: 'hi' });
    if (!outcome.ok) throw new Error(JSON.stringify(outcome));
    expect(outcome.text).toBe(FULL_TEXT);
    expect(tokenEvents(outcome.events)).toHaveLength(2);
    expect(tokenEvents(outcome.events)[0]).toMatchObject({ seq: 1 });
    expect(outcome.events.at(-1)).toMatchObject({ type: 'done' });
  });

  it('a streamed run (SSE) is written burst by burst, as before', async () => {
    const outcome = await rawChat('sse', server, { message: 'hi' });
    if (!outcome.ok) throw new Error(JSON.stringify(outcome));
    expect(outcome.text).toBe(FULL_TEXT);
    expect(tokenEvents(outcome.events).length).toBeGreaterThan(5);
  });

  it('a cancel writes the tokens gathered so far before its error, without waiting out the window', async () => {
    const created = await fetch(`${server.url}/api/async/chat`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ message: 'forever' }),
    });
    const { task_id: id } = (await created.json()) as { task_id: string };
    // The first token is there at once; then the model keeps streaming into the window.
    const first = (await (await fetch(`${server.url}/api/async/status/${id}?after=0&wait=5`)).json()) as RunSnapshot;
    expect(tokenEvents(first.events ?? [])).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await fetch(`${server.url}/api/runs/${id}/cancel`, { method: 'POST' })).status).toBeLessThan(300);
    const events: RunEvent[] = [];
    while (events.at(-1)?.type !== 'error') {
      const after = events.at(-1)?.seq ?? -1;
      const poll = (await (
        await fetch(`${server.url}/api/async/status/${id}?after=${after}&wait=5`)
      ).json()) as RunSnapshot;
      events.push(...(poll.events ?? []));
    }
    expect(events.at(-1)).toMatchObject({ type: 'error', code: 'cancelled' });
    const tokens = tokenEvents(events);
    expect(tokens).toHaveLength(2);
    // About twenty bursts streamed during the 100 ms; every one of them reached the store before the error.
    expect(textOf(events).length).toBeGreaterThan(burst(0).join('').length * 5);
    expect(textOf(events)).toMatch(/^ w0a w0b w0c w1a/);
  });
});
