import { MODES } from '@chatwire/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createChatClient, type ChatClient, type ChatClientOptions, type ConnectionState } from '../src/index.js';
import { createTestProvider, expectedText, SLOW_MODEL, waitUntil } from './helpers/fixtures.js';
import { startServer, type TestServer } from './helpers/start-server.js';
import { startTcpProxy } from './helpers/tcp-proxy.js';

const provider = createTestProvider();
let server: TestServer;
const cleanups: Array<() => unknown> = [];

beforeAll(async () => {
  server = await startServer({ provider });
});
afterAll(() => server.close());
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function newClient(options: Partial<ChatClientOptions> = {}): ChatClient {
  const client = createChatClient({ baseUrl: server.url, ...options });
  cleanups.push(() => client.close());
  return client;
}

function watch(client: ChatClient): ConnectionState[] {
  const states: ConnectionState[] = [client.connection.state];
  client.connection.onStateChange((state) => states.push(state));
  return states;
}

describe('the shared WebSocket', () => {
  it('carries concurrent chats on one socket, each with its own answer', async () => {
    const client = newClient();
    const upgrades = server.upgrades;
    const questions = ['What is TCP?', 'What is UDP?', 'What is QUIC?', 'What is HTTP/3?'];
    const streams = questions.map((question) => client.chat({ mode: 'ws', message: question, model: SLOW_MODEL }));
    const texts = await Promise.all(streams.map((stream) => stream.text()));
    const expected = await Promise.all(
      questions.map((question) =>
        expectedText(provider, { messages: [{ role: 'user', content: question }], model: SLOW_MODEL }),
      ),
    );
    expect(texts).toEqual(expected);
    expect(new Set(texts).size).toBe(questions.length);
    expect(server.upgrades - upgrades).toBe(1);
    // The chat that opened the socket counts the upgrade; the others made no request at all.
    expect(streams.map((stream) => stream.stats.requests).sort()).toEqual([0, 0, 0, 1]);
    expect(new Set(streams.map((stream) => stream.runId)).size).toBe(questions.length);
  });

  it('fails only the chats the server refuses, even when they were sent together', async () => {
    const client = newClient();
    const outcomes = await Promise.allSettled([
      client.chat({ mode: 'ws', message: 'first' }).text(),
      client.chat({ mode: 'ws', message: 'bad', temperature: 3 }).text(),
      client.chat({ mode: 'ws', message: 'unknown model', model: 'nope' }).text(),
      client.chat({ mode: 'ws', message: 'last' }).text(),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect(outcomes[1]).toMatchObject({ reason: { code: 'invalid_request' } });
    expect(outcomes[2]).toMatchObject({ reason: { code: 'invalid_model' } });
    expect(outcomes[3]).toMatchObject({
      value: await expectedText(provider, { messages: [{ role: 'user', content: 'last' }] }),
    });
  });

  it('reports its state: connecting, open, reconnecting after a drop, idle when unused, closed', async () => {
    const proxy = await startTcpProxy(server.port);
    cleanups.push(() => proxy.close());
    const client = newClient({ baseUrl: proxy.url, socketIdleMs: 50, retry: { initialDelayMs: 20 } });
    const states = watch(client);
    await client.connection.connect();
    expect(client.connection.state).toBe('open');
    const stream = client.chat({ mode: 'ws', message: 'Explain backoff.', model: SLOW_MODEL });
    let dropped = false;
    for await (const event of stream) {
      if (event.type === 'token' && !dropped) dropped = proxy.dropAll() > 0;
    }
    await waitUntil(() => client.connection.state === 'idle');
    client.close();
    expect(states).toEqual(['idle', 'connecting', 'open', 'reconnecting', 'open', 'idle', 'closed']);
    await expect(client.chat({ mode: 'ws', message: 'after close' }).text()).rejects.toMatchObject({ code: 'network' });
  });

  it('detects a silent half-open connection with its keep-alive and resumes the run', async () => {
    const proxy = await startTcpProxy(server.port);
    cleanups.push(() => proxy.close());
    const client = newClient({ baseUrl: proxy.url, keepAliveMs: 100, retry: { initialDelayMs: 20 } });
    const request = { messages: [{ role: 'user' as const, content: 'Tell me about keep-alives.' }], model: SLOW_MODEL };
    const stream = client.chat({ mode: 'ws', ...request });
    let frozen = 0;
    for await (const event of stream) {
      if (event.type === 'token' && frozen === 0) frozen = proxy.freezeAll();
    }
    expect(frozen).toBeGreaterThan(0);
    expect(await stream.text()).toBe(await expectedText(provider, request));
    expect(stream.stats.reconnects).toBeGreaterThanOrEqual(1);
  });

  it('opens again when its first opening is cut, for a chat with an idempotency key', async () => {
    let handshakes = 0;
    const proxy = await startTcpProxy(server.port, {
      intercept(chunk, socket) {
        if (!chunk.toString('latin1').startsWith('GET /ws/chat') || ++handshakes > 1) return false;
        socket.resetAndDestroy();
        return true;
      },
    });
    cleanups.push(() => proxy.close());
    const client = newClient({ baseUrl: proxy.url, retry: { initialDelayMs: 20 } });
    const states = watch(client);
    const request = { messages: [{ role: 'user' as const, content: 'What is a handshake?' }] };
    const text = await client.chat({ mode: 'ws', ...request, idempotencyKey: `first-opening-${Date.now()}` }).text();
    expect(text).toBe(await expectedText(provider, request));
    expect(handshakes).toBe(2);
    expect(states.slice(0, 3)).toEqual(['idle', 'connecting', 'open']);
  });

  it('fails a ws chat at once, naming the server, when nothing listens', async () => {
    const down = await startServer();
    await down.close();
    const client = newClient({ baseUrl: down.url });
    const states = watch(client);
    await expect(client.chat({ mode: 'ws', message: 'hi' }).text()).rejects.toMatchObject({
      code: 'network',
      message: expect.stringContaining(`127.0.0.1:${down.port}`),
    });
    expect(states).toEqual(['idle', 'connecting', 'idle']);
    await expect(client.connection.connect()).rejects.toMatchObject({ code: 'network' });
  });
});

describe('the API key', () => {
  it('is sent as a bearer token on every request and on the upgrade, never in a URL or an error', async () => {
    const apiKey = 'sk-test-5ecret';
    const from = server.seen.length;
    const client = newClient({ apiKey });
    for (const mode of ['sync', 'polling', 'sse', 'ws'] as const) await client.chat({ mode, message: 'hi' }).text();
    const error = await client
      .chat({ mode: 'sse', message: 'hi', model: 'nope' })
      .text()
      .catch((caught: unknown) => caught);
    const seen = server.seen.slice(from);
    expect(seen.length).toBeGreaterThanOrEqual(5);
    for (const request of seen) {
      expect(request.headers.authorization).toBe(`Bearer ${apiKey}`);
      expect(request.url).not.toContain(apiKey);
    }
    expect(seen.some((request) => request.headers.upgrade === 'websocket')).toBe(true);
    expect(JSON.stringify(error) + String(error)).not.toContain(apiKey);
  });
});

describe('a server that requires an API key', () => {
  const apiKey = 'key-for-tests';
  let guarded: TestServer;
  beforeAll(async () => {
    guarded = await startServer({ provider, apiKeys: [apiKey] });
  });
  afterAll(() => guarded.close());
  const hi = () => expectedText(provider, { messages: [{ role: 'user', content: 'hi' }] });

  it.each(MODES)('answers %s chats with the key, and refuses them without it as unauthorized', async (mode) => {
    expect(await newClient({ baseUrl: guarded.url, apiKey }).chat({ mode, message: 'hi' }).text()).toBe(await hi());
    for (const client of [newClient({ baseUrl: guarded.url }), newClient({ baseUrl: guarded.url, apiKey: 'wrong' })]) {
      const error = await client
        .chat({ mode, message: 'hi' })
        .text()
        .catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: 'unauthorized', status: 401, retryable: false });
      expect(String(error)).not.toContain('wrong');
    }
  });

  it.each(['ticket', 'subprotocol'] as const)(
    'reaches the WebSocket the way browsers must: %s',
    async (webSocketAuth) => {
      const from = guarded.seen.length;
      const client = newClient({ baseUrl: guarded.url, apiKey, webSocketAuth });
      expect(await client.chat({ mode: 'ws', message: 'hi' }).text()).toBe(await hi());
      const upgrade = guarded.seen.slice(from).find((request) => request.headers.upgrade === 'websocket');
      expect(upgrade?.headers.authorization).toBeUndefined();
      expect(upgrade?.url).not.toContain(apiKey);
      if (webSocketAuth === 'ticket') expect(upgrade?.url).toMatch(/[?&]ticket=/);
      else expect(upgrade?.headers['sec-websocket-protocol']).toContain('chatwire.v1');
    },
  );
});
