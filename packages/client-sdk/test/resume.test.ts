import type { Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createChatClient, type ChatClient, type ChatEvent, type ChatStream } from '../src/index.js';
import { createTestProvider, expectedText, SLOW_MODEL, waitUntil } from './helpers/fixtures.js';
import { startServer, type TestServer } from './helpers/start-server.js';
import { startTcpProxy, type TcpProxy } from './helpers/tcp-proxy.js';

const provider = createTestProvider();
const message = 'Walk me through TCP congestion control in detail, with a list and an example.';
const request = { messages: [{ role: 'user' as const, content: message }], model: SLOW_MODEL };
let server: TestServer;
let expected: string;
const cleanups: Array<() => unknown> = [];

beforeAll(async () => {
  server = await startServer({ provider });
  expected = await expectedText(provider, request);
});
afterAll(() => server.close());
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function through(proxy: Promise<TcpProxy>): Promise<{ proxy: TcpProxy; client: ChatClient }> {
  const ready = await proxy;
  const client = createChatClient({ baseUrl: ready.url, retry: { initialDelayMs: 20, maxDelayMs: 200 } });
  cleanups.push(
    () => ready.close(),
    () => client.close(),
  );
  return { proxy: ready, client };
}

/** Reads a stream to its end, calling `onToken` with the count of tokens so far. */
async function collect(stream: ChatStream, onToken: (count: number) => void = () => {}): Promise<ChatEvent[]> {
  const events: ChatEvent[] = [];
  for await (const event of stream) {
    events.push(event);
    if (event.type === 'token') onToken(events.length - 1);
  }
  return events;
}

function expectWhole(events: ChatEvent[]): void {
  expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index));
  expect(events.map((event) => (event.type === 'token' ? event.text : '')).join('')).toBe(expected);
  expect(events.at(-1)?.type).toBe('done');
}

describe.each(['sse', 'ws'] as const)('%s mode, connection cut mid-stream', (mode) => {
  it('resumes through a proxy that reset the TCP connection, with the exact text', async () => {
    const { proxy, client } = await through(startTcpProxy(server.port));
    const calls = provider.calls.length;
    const stream = client.chat({ mode, ...request });
    let dropped = 0;
    const events = await collect(stream, (count) => {
      if (count === 10) dropped = proxy.dropAll();
    });
    expect(dropped).toBeGreaterThan(0);
    expectWhole(events);
    expect(await stream.text()).toBe(expected);
    expect(stream.stats.reconnects).toBeGreaterThanOrEqual(1);
    expect(proxy.connections).toBeGreaterThanOrEqual(2);
    // One run on the server, resumed, not a second run.
    expect(provider.calls.length - calls).toBe(1);
  });

  it('resumes when the server cuts the connection', async () => {
    const client = createChatClient({ baseUrl: server.url, retry: { initialDelayMs: 20 } });
    cleanups.push(() => client.close());
    const stream = client.chat({ mode, ...request });
    const events = await collect(stream, (count) => {
      if (count === 10) server.dropConnections();
    });
    expectWhole(events);
    expect(stream.stats.reconnects).toBeGreaterThanOrEqual(1);
  });

  it('fails with a network error, keeping what arrived, when the server stays unreachable', async () => {
    const { proxy, client } = await through(startTcpProxy(server.port));
    const stream = client.chat({ mode, ...request });
    const events: ChatEvent[] = [];
    const error = await (async () => {
      for await (const event of stream) {
        events.push(event);
        if (events.length === 5) {
          await proxy.close(); // nothing listens there any more
          proxy.dropAll();
        }
      }
    })().catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'network', retryable: true });
    expect(events.length).toBeGreaterThanOrEqual(5);
    await fetch(`${server.url}/api/runs/${events[0]?.id}/cancel`, { method: 'POST' });
  });
});

describe('polling mode, failed polls', () => {
  const statusRequest = (chunk: Buffer) => chunk.toString('latin1').startsWith('GET /api/async/status/');

  it('retries a poll answered 503 with Retry-After instead of failing the chat', async () => {
    let polls = 0;
    const body = JSON.stringify({ error: { code: 'overloaded', message: 'busy', retryable: true } });
    const { client } = await through(
      startTcpProxy(server.port, {
        intercept(chunk, socket: Socket) {
          if (!statusRequest(chunk) || ++polls !== 3) return false;
          socket.end(
            `HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Type: application/json\r\n` +
              `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
          );
          return true;
        },
      }),
    );
    const stream = client.chat({ mode: 'polling', ...request });
    expectWhole(await collect(stream));
    expect(polls).toBeGreaterThan(3);
    expect(stream.stats.reconnects).toBe(1);
  });

  it('retries a poll, and a creation with an idempotency key, whose answer was cut off mid-body', async () => {
    let polls = 0;
    let creations = 0;
    const cutOff = (socket: Socket) =>
      socket.end(
        'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 300\r\nConnection: close\r\n\r\n{"task_id":"',
      );
    const { client } = await through(
      startTcpProxy(server.port, {
        intercept(chunk, socket) {
          const request = chunk.toString('latin1');
          const cut = request.startsWith('POST /api/async/chat')
            ? ++creations === 1
            : statusRequest(chunk) && ++polls === 2;
          if (cut) cutOff(socket);
          return cut;
        },
      }),
    );
    const stream = client.chat({ mode: 'polling', ...request, idempotencyKey: `cut-body-${Date.now()}` });
    expectWhole(await collect(stream));
    expect(creations).toBe(2);
    expect(polls).toBeGreaterThan(2);
    expect(stream.stats.reconnects).toBe(2);
  });

  it('retries a poll whose connection was reset, with nothing lost or repeated', async () => {
    let polls = 0;
    const { client } = await through(
      startTcpProxy(server.port, {
        intercept(chunk, socket) {
          if (!statusRequest(chunk) || ++polls % 4 !== 2) return false;
          socket.resetAndDestroy();
          return true;
        },
      }),
    );
    const stream = client.chat({ mode: 'polling', ...request });
    expectWhole(await collect(stream));
    expect(stream.stats.reconnects).toBeGreaterThanOrEqual(1);
  });
});

describe.each(['polling', 'sse', 'ws'] as const)('%s mode with an idempotency key', (mode) => {
  it('sends the creation again after a drop that hid its answer, and gets the same run', async () => {
    const { proxy, client } = await through(startTcpProxy(server.port));
    if (mode === 'ws') await client.connection.connect();
    proxy.holdResponses(true);
    const calls = provider.calls.length;
    const stream = client.chat({ mode, ...request, idempotencyKey: `retry-${mode}-${Date.now()}` });
    await waitUntil(() => provider.calls.length > calls); // the server started the run; the client heard nothing
    proxy.dropAll();
    proxy.holdResponses(false);
    expectWhole(await collect(stream));
    expect(provider.calls.length - calls).toBe(1);
    expect(proxy.connections).toBeGreaterThanOrEqual(2);
  });
});

describe('resume(runId, { mode, after })', () => {
  it.each(['polling', 'sse', 'ws'] as const)(
    'yields exactly the events after `after` of a finished run, in %s mode',
    async (mode) => {
      const client = createChatClient({ baseUrl: server.url });
      cleanups.push(() => client.close());
      const original = await collect(client.chat({ mode: 'sse', message: 'A short answer please.' }));
      const runId = original[0]?.id ?? '';
      const resumed = client.resume(runId, { mode, after: 7 });
      expect(await collect(resumed)).toEqual(original.slice(8));
      expect(await resumed.text()).toBe(
        original
          .slice(8)
          .map((event) => (event.type === 'token' ? event.text : ''))
          .join(''),
      );
      expect((await resumed.result()).runId).toBe(runId);
    },
  );

  it.each(['polling', 'sse', 'ws'] as const)(
    'follows a run still going that another mode started, in %s mode',
    async (mode) => {
      const client = createChatClient({ baseUrl: server.url });
      cleanups.push(() => client.close());
      const first = client.chat({ mode: 'polling', ...request });
      const head: ChatEvent[] = [];
      for await (const event of first) {
        head.push(event);
        if (head.length === 4) break; // leaves the run going
      }
      const tail = await collect(client.resume(head[0]?.id ?? '', { mode, after: 3 }));
      expectWhole([...head, ...tail]);
    },
  );

  it('answers not_found for an unknown run and invalid_request for sync mode', async () => {
    const client = createChatClient({ baseUrl: server.url });
    cleanups.push(() => client.close());
    for (const mode of ['polling', 'sse', 'ws'] as const) {
      await expect(client.resume('no-such-run', { mode }).text()).rejects.toMatchObject({ code: 'not_found' });
    }
    const sync = client.resume('no-such-run', { mode: 'sync' as never });
    await expect(sync.text()).rejects.toMatchObject({ code: 'invalid_request' });
  });
});
