import { MODES, type Mode } from '@chatwire/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createChatClient, isChatError, type ChatClient, type ChatEvent, type ChatStream } from '../src/index.js';
import {
  createTestProvider,
  expectedText,
  FLAKY_MODEL,
  LIMITED_MODEL,
  RATE_LIMIT_RETRY_MS,
  SLOW_MODEL,
  waitUntil,
} from './helpers/fixtures.js';
import { startServer, type TestServer } from './helpers/start-server.js';

const provider = createTestProvider();
const question = 'Explain how server-sent events differ from WebSockets, with a list.';
let server: TestServer;
const clients: ChatClient[] = [];

beforeAll(async () => {
  server = await startServer({ provider, bodyLimitBytes: 64 * 1024, wsMaxPayloadBytes: 64 * 1024 });
});
afterAll(() => server.close());
afterEach(() => {
  for (const client of clients.splice(0)) client.close();
});

function newClient(baseUrl = server.url): ChatClient {
  const client = createChatClient({ baseUrl });
  clients.push(client);
  return client;
}

/** Iterates a stream to its end, returning the events and the error it threw. */
async function drain(stream: ChatStream): Promise<{ events: ChatEvent[]; error?: unknown }> {
  const events: ChatEvent[] = [];
  try {
    for await (const event of stream) events.push(event);
    return { events };
  } catch (error) {
    return { events, error };
  }
}

const tokensOf = (events: ChatEvent[]) => events.flatMap((event) => (event.type === 'token' ? [event.text] : []));

describe.each(MODES)('mode %s', (mode: Mode) => {
  it('streams start, the tokens and done, and the same answer through text() and result()', async () => {
    const stream = newClient().chat({ mode, message: question });
    const { events, error } = await drain(stream);
    expect(error).toBeUndefined();
    const expected = await expectedText(provider, { messages: [{ role: 'user', content: question }] });
    expect(expected.length).toBeGreaterThan(200);
    expect(tokensOf(events).join('')).toBe(expected);
    expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index));
    expect(events[0]?.type).toBe('start');
    expect(events.at(-1)?.type).toBe('done');
    expect(new Set(events.map((event) => event.id)).size).toBe(1);
    if (mode === 'sync') expect(events.map((event) => event.type)).toEqual(['start', 'token', 'done']);
    else expect(events.filter((event) => event.type === 'token').length).toBeGreaterThan(20);

    expect(await stream.text()).toBe(expected);
    const result = await stream.result();
    expect(result).toMatchObject({ runId: events[0]?.id, model: 'sim/instant', text: expected, finishReason: 'stop' });
    expect(result.usage.completion_tokens).toBeGreaterThan(20);
    expect(stream.runId).toBe(result.runId);
    // A second iteration replays the same events.
    expect((await drain(stream)).events).toEqual(events);

    const { stats } = stream;
    expect(stats.mode).toBe(mode);
    expect(stats.requests).toBeGreaterThanOrEqual(1);
    expect(stats.bytesReceived).toBeGreaterThan(expected.length);
    expect(stats.reconnects).toBe(0);
    expect(stats.tokens).toBe(tokensOf(events).length);
    expect(stats.timeToFirstTokenMs).toBeTypeOf('number');
    expect(stats.totalMs).toBeGreaterThanOrEqual(stats.timeToFirstTokenMs ?? Number.NaN);
  });

  it('sends messages, model and max_tokens as the protocol request', async () => {
    const messages = [
      { role: 'system' as const, content: 'Be brief.' },
      { role: 'user' as const, content: 'List ten facts about TCP.' },
    ];
    const stream = newClient().chat({ mode, messages, model: 'sim/gpt-oss-20b', max_tokens: 12 });
    const result = await stream.result();
    expect(result.finishReason).toBe('length');
    expect(result.usage.completion_tokens).toBe(12);
    expect(result.model).toBe('sim/gpt-oss-20b');
    expect(result.text).toBe(await expectedText(provider, { messages, model: 'sim/gpt-oss-20b', max_tokens: 12 }));
  });

  it('throws a typed ChatError from the iterator for a bad request, and keeps working', async () => {
    const client = newClient();
    const { events, error } = await drain(client.chat({ mode, message: 'hi', temperature: 3 }));
    expect(events).toEqual([]);
    expect(isChatError(error)).toBe(true);
    expect(error).toMatchObject({ name: 'ChatError', code: 'invalid_request', status: 400, retryable: false });
    expect((error as Error).message).toContain('temperature');
    await expect(client.chat({ mode, message: 'hi', model: 'no-such-model' }).text()).rejects.toMatchObject({
      code: 'invalid_model',
      status: 400,
    });
    expect(await client.chat({ mode, message: 'hi' }).text()).toBe(
      await expectedText(provider, { messages: [{ role: 'user', content: 'hi' }] }),
    );
  });

  it('throws the provider failure as a retryable ChatError after the tokens that came', async () => {
    const stream = newClient().chat({ mode, message: question, model: FLAKY_MODEL });
    const { events, error } = await drain(stream);
    expect(error).toMatchObject({ code: 'upstream_unavailable', status: 503, retryable: true });
    // Streaming modes deliver what the model said before failing; sync has nothing to show.
    expect(tokensOf(events)).toHaveLength(mode === 'sync' ? 0 : 5);
    if (mode !== 'sync') expect((error as { runId?: string }).runId).toBe(events[0]?.id);
    await expect(stream.text()).rejects.toBe(error);
  });

  it('refuses an oversize request with payload_too_large, and keeps working', async () => {
    const client = newClient();
    await expect(client.chat({ mode, message: 'x'.repeat(80 * 1024) }).text()).rejects.toMatchObject({
      code: 'payload_too_large',
      status: 413,
      retryable: false,
    });
    expect(await client.chat({ mode, message: 'hi' }).text()).toBe(
      await expectedText(provider, { messages: [{ role: 'user', content: 'hi' }] }),
    );
  });

  it("surfaces the upstream's retry delay as retryAfterMs", async () => {
    const error = await newClient()
      .chat({ mode, message: 'hi', model: LIMITED_MODEL })
      .text()
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'upstream_rate_limited', retryable: true, retryAfterMs: RATE_LIMIT_RETRY_MS });
  });

  it('cancel() stops the run on the server and ends the stream with a cancelled error', async () => {
    const aborted = provider.nextAbort();
    const calls = provider.calls.length;
    const stream = newClient().chat({ mode, message: 'Tell me everything about HTTP caching.', model: SLOW_MODEL });
    const firstToken = (async () => {
      for await (const event of stream) if (event.type === 'token') return;
    })().catch(() => {});
    if (mode === 'sync') await waitUntil(() => provider.calls.length > calls);
    else await firstToken;
    await stream.cancel();
    const error = await stream.text().catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'cancelled', retryable: false });
    await aborted; // the provider itself was stopped
    if (mode !== 'sync') {
      const snapshot = await (await fetch(`${server.url}/api/runs/${stream.runId}`)).json();
      expect(snapshot).toMatchObject({ status: 'cancelled', error: { code: 'cancelled' } });
    }
    expect(stream.stats.totalMs).toBeTypeOf('number');
  });

  it('an aborted signal cancels the chat like cancel()', async () => {
    const aborted = provider.nextAbort();
    const controller = new AbortController();
    const calls = provider.calls.length;
    const stream = newClient().chat({
      mode,
      message: 'Another long story.',
      model: SLOW_MODEL,
      signal: controller.signal,
    });
    await waitUntil(() => provider.calls.length > calls);
    controller.abort();
    await expect(stream.text()).rejects.toMatchObject({ code: 'cancelled' });
    await aborted;
  });

  it('fails with a network ChatError when the server is down', async () => {
    const down = await startServer();
    const url = down.url;
    await down.close();
    const error = await newClient(url)
      .chat({ mode, message: 'hi' })
      .text()
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ name: 'ChatError', code: 'network', status: 0, retryable: true });
    expect((error as Error).message).toContain(new URL(url).host);
  });
});

describe('across modes', () => {
  it('gives the identical text, token by token, for the same request in all four modes at once', async () => {
    const client = newClient();
    const request = {
      messages: [{ role: 'user' as const, content: 'How does long polling work? Show code.' }],
      temperature: 0.3,
    };
    const outcomes = await Promise.all(MODES.map((mode) => drain(client.chat({ mode, ...request }))));
    for (const outcome of outcomes) expect(outcome.error).toBeUndefined();
    const texts = outcomes.map((outcome) => tokensOf(outcome.events).join(''));
    expect(new Set(texts).size).toBe(1);
    expect(texts[0]).toBe(await expectedText(provider, request));
    // The streaming modes deliver the very same events, token boundaries included.
    const streamed = outcomes
      .slice(1)
      .map((outcome) => outcome.events.map((event) => (event.type === 'token' ? event.text : event.type)));
    expect(streamed[1]).toEqual(streamed[0]);
    expect(streamed[2]).toEqual(streamed[0]);
  });
});
