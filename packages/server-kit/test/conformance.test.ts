import { MODES, type Mode, type RunEvent } from '@chatwire/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createSimulatedProvider, type ChatKitOptions } from '../src/index.js';
import { createBullmqJobQueue, createRedisBackend, createRedisRunStore } from '../src/redis.js';
import { observeProvider } from './helpers/observed-provider.js';
import { nextFrame, openSocket, post, rawChat, readSse, type RawOutcome } from './helpers/raw-modes.js';
import { startRedisServer } from './helpers/redis-server.js';
import { ADAPTERS, startKit, type Adapter, type TestServer } from './helpers/start-kit.js';

// A slow model (50 tokens/s) so a run is still going when a test cancels it.
const slowProfile = { tokensPerSecond: 50, firstTokenMs: { min: 5, max: 5 }, burstIntervalMs: 20 };
const provider = observeProvider(
  createSimulatedProvider({ defaultModel: 'sim/instant', profiles: { 'sim/slow': slowProfile } }),
);
const request = { message: 'Explain how server-sent events differ from WebSockets, with a list.' };
let server: TestServer;

/**
 * The same suite runs through every adapter (Koa, node:http, Express 5, Fastify 5, Hono via kit.fetch) on the memory
 * store, once under a basePath, and on a real redis-server (one instance) with the default job queue (a stream next to
 * the runs) and with the BullMQ one.
 */
interface Setup {
  store: 'memory' | 'redis' | 'redis-bullmq';
  adapter: Adapter;
  basePath?: string;
}
const setups: Array<[string, Setup]> = [
  ...ADAPTERS.map((adapter): [string, Setup] => [`${adapter}, memory store`, { store: 'memory', adapter }]),
  ['express under basePath /chat, memory store', { store: 'memory', adapter: 'express', basePath: '/chat' }],
  ['hono under basePath /v1/chat, memory store', { store: 'memory', adapter: 'hono', basePath: '/v1/chat' }],
  ['koa, redis store', { store: 'redis', adapter: 'koa' }],
  ['koa, redis store, BullMQ job queue', { store: 'redis-bullmq', adapter: 'koa' }],
];

async function startBackend(store: Setup['store']): Promise<{ options: ChatKitOptions; stop(): Promise<void> }> {
  if (store === 'memory') return { options: {}, stop: async () => {} };
  const redis = await startRedisServer();
  if (store === 'redis') return { options: createRedisBackend({ url: redis.url }), stop: () => redis.stop() };
  const runStore = createRedisRunStore({ url: redis.url });
  return { options: { store: runStore, jobQueue: createBullmqJobQueue({ url: redis.url }) }, stop: () => redis.stop() };
}

async function expected(body: { message: string; model?: string }): Promise<string> {
  let text = '';
  const model = body.model ?? 'sim/instant';
  for await (const chunk of provider.stream(
    { model, messages: [{ role: 'user', content: body.message }] },
    new AbortController().signal,
  )) {
    if (chunk.type === 'token') text += chunk.text;
  }
  return text;
}

function expectWellFormed(events: RunEvent[]): void {
  expect(events[0]?.type).toBe('start');
  expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index));
  expect(new Set(events.map((event) => event.id)).size).toBe(1);
  const terminal = events.filter((event) => event.type === 'done' || event.type === 'error');
  expect(terminal).toHaveLength(1);
  expect(events.at(-1)).toBe(terminal[0]);
}

describe.each(setups)('%s', (_label, setup) => {
  const name = setup.store;
  let stopBackend: () => Promise<void>;
  beforeAll(async () => {
    const started = await startBackend(setup.store);
    stopBackend = started.stop;
    const options: ChatKitOptions = { provider, bodyLimitBytes: 64 * 1024, wsMaxPayloadBytes: 64 * 1024 };
    if (setup.basePath) options.basePath = setup.basePath;
    server = await startKit({ ...options, ...started.options }, setup.adapter);
  });
  afterAll(async () => {
    await server.close();
    await stopBackend();
  });

  describe.each(MODES)('mode %s', (mode: Mode) => {
    it('streams the whole answer, in order, ending with exactly one done', async () => {
      const outcome = await rawChat(mode, server, request);
      if (!outcome.ok) throw new Error(`chat failed: ${JSON.stringify(outcome)}`);
      expect(outcome.text).toBe(await expected(request));
      expect(outcome.text.length).toBeGreaterThan(200);
      expectWellFormed(outcome.events);
      const done = outcome.events.at(-1);
      expect(done?.type).toBe('done');
      if (done?.type !== 'done') return;
      expect(done.finish_reason).toBe('stop');
      expect(done.usage.total_tokens).toBe(done.usage.prompt_tokens + done.usage.completion_tokens);
      expect(done.usage.completion_tokens).toBeGreaterThan(20);
      if (mode === 'sync') return;
      const tokenEvents = outcome.events.filter((event) => event.type === 'token').length;
      // In memory every model token is its own event. A store with a round trip (Redis) merges the tokens that arrive
      // while a write is in flight, so this zero-delay model comes in a few larger events.
      if (name === 'memory') expect(tokenEvents).toBe(done.usage.completion_tokens);
      else expect(tokenEvents).toBeGreaterThan(0);
      expect(tokenEvents).toBeLessThanOrEqual(done.usage.completion_tokens);
    });

    it('honours model and max_tokens', async () => {
      const outcome = await rawChat(mode, server, {
        messages: [{ role: 'user', content: 'List ten facts about TCP.' }],
        model: 'sim/gpt-oss-20b',
        max_tokens: 12,
      });
      if (!outcome.ok) throw new Error(JSON.stringify(outcome));
      const done = outcome.events.at(-1);
      expect(done?.type === 'done' && done.finish_reason).toBe('length');
      expect(done?.type === 'done' && done.usage.completion_tokens).toBe(12);
      if (mode !== 'sync')
        expect(outcome.events[0]?.type === 'start' && outcome.events[0].model).toBe('sim/gpt-oss-20b');
    });

    const bad: Array<[string, unknown, string]> = [
      ['invalid JSON', '{"message": "hi"', 'invalid_json'],
      ['neither message nor messages', { model: 'sim/instant' }, 'invalid_request'],
      ['both message and messages', { message: 'a', messages: [{ role: 'user', content: 'b' }] }, 'invalid_request'],
      ['a wrong role', { messages: [{ role: 'wizard', content: 'hi' }] }, 'invalid_request'],
      ['temperature out of range', { message: 'hi', temperature: 3 }, 'invalid_request'],
      ['an unknown model', { message: 'hi', model: 'llama-3.1-8b-instant' }, 'invalid_model'],
    ];
    it.each(bad)('refuses %s with a structured error and keeps serving', async (_name, body, code) => {
      let outcome: RawOutcome;
      if (mode === 'ws' && typeof body === 'string') {
        const socket = await openSocket(server.wsUrl);
        socket.send(body);
        const frame = await nextFrame(socket);
        expect(frame).toMatchObject({ type: 'error', code, retryable: false });
        // The socket stays open and usable after a malformed frame.
        socket.send(JSON.stringify({ type: 'chat', message: 'still there?' }));
        expect((await nextFrame(socket)).type).toBe('start');
        socket.close();
        outcome = { ok: false, status: 0, error: { code: code as never, message: '', retryable: false }, requests: 0 };
      } else {
        outcome = await rawChat(mode, server, body);
      }
      expect(outcome.ok).toBe(false);
      if (outcome.ok) return;
      expect(outcome.error.code).toBe(code);
      if (mode !== 'ws') expect(outcome.status).toBe(400);
      if (code === 'invalid_model') expect(outcome.error.message).toContain('sim/gpt-oss-20b');
      const after = await rawChat(mode, server, { message: 'hi' });
      expect(after.ok).toBe(true);
    });

    it('refuses an oversize body (HTTP 413, WS close 1009) and keeps serving', async () => {
      const huge = { message: 'x'.repeat(80 * 1024) };
      if (mode === 'ws') {
        const socket = await openSocket(server.wsUrl);
        const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
        socket.send(JSON.stringify({ type: 'chat', ...huge }));
        expect(await closed).toBe(1009);
      } else {
        const outcome = await rawChat(mode, server, huge);
        expect(outcome).toMatchObject({ ok: false, status: 413, error: { code: 'payload_too_large' } });
      }
      expect((await rawChat(mode, server, { message: 'hi' })).ok).toBe(true);
    });
  });

  describe('across modes', () => {
    it('gives the identical text for the same request in all four modes', async () => {
      const body = {
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'How does long polling work? Show code.' },
        ],
        temperature: 0.3,
      };
      const texts = await Promise.all(
        MODES.map(async (mode) => {
          const outcome = await rawChat(mode, server, body);
          return outcome.ok ? outcome.text : `failed: ${JSON.stringify(outcome)}`;
        }),
      );
      expect(new Set(texts).size).toBe(1);
      expect(texts[0]?.length).toBeGreaterThan(50);
    });

    it.each(['sse', 'ws', 'polling'] as const)(
      'cancel over HTTP aborts the provider of a run started in %s',
      async (mode) => {
        const aborted = provider.nextAbort();
        const { id, events } = await startSlowRun(mode);
        const response = await post(`${server.url}/api/runs/${id}/cancel`, '');
        expect(response.status).toBe(200);
        expect(await response.json()).toEqual({ id, cancelled: true, status: 'cancelled' });
        await aborted;
        const rest = await events;
        expect(rest.at(-1)).toMatchObject({ type: 'error', code: 'cancelled', retryable: false });
        const snapshot = await (await fetch(`${server.url}/api/runs/${id}`)).json();
        expect(snapshot).toMatchObject({ status: 'cancelled', error: { code: 'cancelled' } });
        expect(snapshot.partial.length).toBeGreaterThan(0);
      },
    );

    it('a WS cancel frame from another socket aborts an SSE run', async () => {
      const aborted = provider.nextAbort();
      const { id, events } = await startSlowRun('sse');
      const socket = await openSocket(server.wsUrl);
      socket.send(JSON.stringify({ type: 'cancel', id }));
      await aborted;
      expect((await events).at(-1)).toMatchObject({ type: 'error', code: 'cancelled' });
      socket.close();
    });

    it('a sync client that disconnects aborts the provider', async () => {
      const aborted = provider.nextAbort();
      const controller = new AbortController();
      const request = fetch(`${server.url}/api/sync/chat`, {
        method: 'POST',
        body: JSON.stringify({ message: 'long story please', model: 'sim/slow' }),
        signal: controller.signal,
      });
      await waitUntil(() => provider.calls.length > 0 && provider.calls.at(-1)?.model === 'sim/slow');
      await new Promise((resolve) => setTimeout(resolve, 100));
      controller.abort();
      await expect(request).rejects.toThrow();
      await aborted;
    });

    it('answers 404 not_found for an unknown run in every read path', async () => {
      for (const path of ['/api/runs/nope', '/api/async/status/nope', '/api/sse/chat/nope']) {
        const response = await fetch(`${server.url}${path}`);
        expect(response.status).toBe(404);
        expect(await response.json()).toMatchObject({ error: { code: 'not_found', retryable: false } });
      }
      expect((await post(`${server.url}/api/runs/nope/cancel`, '')).status).toBe(404);
      const socket = await openSocket(server.wsUrl);
      socket.send(JSON.stringify({ type: 'resume', id: 'nope', after: -1 }));
      expect(await nextFrame(socket)).toMatchObject({ type: 'error', code: 'not_found', id: 'nope' });
      socket.close();
    });
  });
});

/** Starts a slow run in `mode` and returns its id once tokens flow, plus a promise of the rest of its events. */
async function startSlowRun(mode: 'sse' | 'ws' | 'polling'): Promise<{ id: string; events: Promise<RunEvent[]> }> {
  const body = JSON.stringify({ message: 'Tell me everything about HTTP caching in detail.', model: 'sim/slow' });
  if (mode === 'sse') {
    const response = await post(`${server.url}/api/sse/chat`, body);
    let resolveId!: (id: string) => void;
    const idPromise = new Promise<string>((resolve) => (resolveId = resolve));
    const events = readSse(response, (event) => {
      if (event.type === 'token') resolveId(event.id);
    });
    return { id: await idPromise, events };
  }
  if (mode === 'ws') {
    const socket = await openSocket(server.wsUrl);
    socket.send(JSON.stringify({ type: 'chat', ...JSON.parse(body) }));
    const start = await nextFrame(socket);
    const id = (start as RunEvent).id;
    const events = (async () => {
      const all: RunEvent[] = [start as RunEvent];
      for (;;) {
        const frame = (await nextFrame(socket)) as RunEvent;
        all.push(frame);
        if (frame.type === 'done' || frame.type === 'error') break;
      }
      socket.close();
      return all;
    })();
    await waitUntil(async () => (await (await fetch(`${server.url}/api/runs/${id}`)).json()).status === 'processing');
    return { id, events };
  }
  const created = await (await post(`${server.url}/api/async/chat`, body)).json();
  const id = created.task_id as string;
  await waitUntil(async () => (await (await fetch(`${server.url}/api/runs/${id}`)).json()).status === 'processing');
  const events = (async () => {
    const snapshot = await (await fetch(`${server.url}/api/async/status/${id}?after=-1&wait=10`)).json();
    let all: RunEvent[] = snapshot.events;
    while (!['done', 'error'].includes(all.at(-1)?.type ?? '')) {
      const next = await (await fetch(`${server.url}/api/async/status/${id}?after=${all.at(-1)?.seq}&wait=10`)).json();
      all = [...all, ...next.events];
    }
    return all;
  })();
  return { id, events };
}

async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export { WebSocket };
