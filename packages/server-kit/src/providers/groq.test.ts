import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FAKE_GROQ_API_KEY, startFakeGroq, type FakeGroq, type FakeGroqOptions } from '../../test/fake-groq/index.js';
import { ChatError } from '../chat-error.js';
import type { ProviderChunk, ProviderRequest } from '../provider.js';
import { createGroqProvider, GROQ_FALLBACK_MODELS, type GroqProviderOptions } from './groq.js';

const REQUEST: ProviderRequest = {
  model: 'openai/gpt-oss-20b',
  messages: [{ role: 'user', content: 'Say hello in French' }],
};

let fake: FakeGroq;

async function useFake(options: FakeGroqOptions = {}): Promise<void> {
  await fake.close();
  fake = await startFakeGroq(options);
}

function provider(options: Partial<GroqProviderOptions> = {}) {
  return createGroqProvider({ apiKey: FAKE_GROQ_API_KEY, baseURL: fake.url, ...options });
}

async function collect(
  options: Partial<GroqProviderOptions> = {},
  request = REQUEST,
  signal = new AbortController().signal,
) {
  const chunks: ProviderChunk[] = [];
  for await (const chunk of provider(options).stream(request, signal)) chunks.push(chunk);
  return chunks;
}

/** The ChatError a run ends with, plus the tokens that arrived before it. */
async function failure(options: Partial<GroqProviderOptions> = {}, request = REQUEST, signal?: AbortSignal) {
  const tokens: string[] = [];
  try {
    for await (const chunk of provider(options).stream(request, signal ?? new AbortController().signal)) {
      if (chunk.type === 'token') tokens.push(chunk.text);
    }
  } catch (error) {
    expect(error).toBeInstanceOf(ChatError);
    return { error: error as ChatError, tokens };
  }
  throw new Error('the stream ended without an error');
}

function text(chunks: ProviderChunk[]): string {
  return chunks.map((chunk) => (chunk.type === 'token' ? chunk.text : '')).join('');
}

beforeEach(async () => {
  fake = await startFakeGroq();
});

afterEach(async () => {
  await fake.close();
});

describe('createGroqProvider: streaming', () => {
  it('streams the tokens in order, then one done with the mapped usage', async () => {
    const tokens = ['Bon', 'jour', ' le', ' monde', ' 🌍', '\n', '"ok"'];
    fake.script({ kind: 'stream', tokens, usage: { prompt_tokens: 21, completion_tokens: 7 } });
    const chunks = await collect();
    expect(
      chunks.filter((chunk) => chunk.type === 'token').map((chunk) => chunk.type === 'token' && chunk.text),
    ).toEqual(tokens);
    expect(text(chunks)).toBe('Bonjour le monde 🌍\n"ok"');
    expect(chunks.at(-1)).toEqual({
      type: 'done',
      finish_reason: 'stop',
      usage: { prompt_tokens: 21, completion_tokens: 7, total_tokens: 28 },
    });
    expect(chunks.filter((chunk) => chunk.type === 'done')).toHaveLength(1);
  });

  it('passes the finish reason through', async () => {
    fake.script({ kind: 'stream', tokens: ['a', 'b'], finishReason: 'length' });
    expect((await collect()).at(-1)).toMatchObject({ type: 'done', finish_reason: 'length' });
  });

  it('counts the content chunks as completion tokens when Groq reports no usage', async () => {
    fake.script({ kind: 'stream', tokens: ['one', ' two', ' three'], usage: false });
    expect((await collect()).at(-1)).toEqual({
      type: 'done',
      finish_reason: 'stop',
      usage: { prompt_tokens: 0, completion_tokens: 3, total_tokens: 3 },
    });
  });

  it('sends the model, messages, temperature and max_completion_tokens with the Bearer key', async () => {
    const messages = [
      { role: 'system' as const, content: 'Be brief' },
      { role: 'user' as const, content: 'Hi' },
    ];
    await collect({}, { model: 'openai/gpt-oss-120b', messages, temperature: 0.3, max_tokens: 64 });
    expect(fake.requests).toHaveLength(1);
    const [received] = fake.requests;
    expect(received?.headers.authorization).toBe(`Bearer ${FAKE_GROQ_API_KEY}`);
    expect(received?.body).toMatchObject({
      model: 'openai/gpt-oss-120b',
      messages,
      temperature: 0.3,
      max_completion_tokens: 64,
      stream: true,
    });
    expect(received?.body).not.toHaveProperty('max_tokens');
  });

  it('leaves temperature and max_completion_tokens out when the request has none', async () => {
    await collect();
    expect(fake.requests[0]?.body).not.toHaveProperty('temperature');
    expect(fake.requests[0]?.body).not.toHaveProperty('max_completion_tokens');
  });

  it("sends groq-sdk's headers, with the retry count of a retried request", async () => {
    fake.script({ kind: 'server-error', status: 500 });
    expect(text(await collect({ maxRetryAfterMs: 50 }))).toBe('Bonjour!');
    const [first, second] = fake.requests;
    expect(first?.headers['user-agent']).toMatch(/^Groq\/JS /);
    expect(first?.headers['content-type']).toBe('application/json');
    expect(first?.headers['x-stainless-retry-count']).toBe('0');
    expect(second?.headers['x-stainless-retry-count']).toBe('1');
  });

  it('uses the injected fetch', async () => {
    const urls: string[] = [];
    const fetch: typeof globalThis.fetch = (input, init) => {
      urls.push(String(input instanceof Request ? input.url : input));
      return globalThis.fetch(input, init);
    };
    expect(text(await collect({ fetch }))).toBe('Bonjour!');
    expect(urls).toEqual([`${fake.url}/openai/v1/chat/completions`]);
  });
});

describe('createGroqProvider: cancellation and timeouts', () => {
  it('throws cancelled soon after an abort mid-stream, and closes the upstream connection', async () => {
    await useFake({ delayMs: 100, tokens: Array.from({ length: 30 }, (_, index) => `t${index} `) });
    const controller = new AbortController();
    const tokens: string[] = [];
    let abortedAt = 0;
    const run = (async () => {
      for await (const chunk of provider().stream(REQUEST, controller.signal)) {
        if (chunk.type !== 'token') continue;
        tokens.push(chunk.text);
        if (tokens.length === 2) {
          abortedAt = Date.now();
          controller.abort();
        }
      }
    })();
    const error = await run.then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(ChatError);
    expect((error as ChatError).code).toBe('cancelled');
    // The rest of the answer would take about 2.8 s.
    expect(Date.now() - abortedAt).toBeLessThan(1000);
    expect(tokens).toEqual(['t0 ', 't1 ']);
    expect(await fake.requests[0]?.closed).toBe('aborted');
  });

  it('throws cancelled without calling Groq when the signal is already aborted', async () => {
    const { error } = await failure({}, REQUEST, AbortSignal.abort());
    expect(error.code).toBe('cancelled');
    expect(fake.requests).toHaveLength(0);
  });

  it('closes the upstream connection when the consumer stops reading', async () => {
    await useFake({ delayMs: 50, tokens: Array.from({ length: 40 }, () => 'x') });
    for await (const chunk of provider().stream(REQUEST, new AbortController().signal))
      if (chunk.type === 'token') break;
    expect(await fake.requests[0]?.closed).toBe('aborted');
  });

  it('fails with upstream_timeout when the stream stalls longer than idleTimeoutMs', async () => {
    fake.script({ kind: 'stall', tokens: ['Bon'] });
    const started = Date.now();
    const { error, tokens } = await failure({ idleTimeoutMs: 200 });
    expect(error.code).toBe('upstream_timeout');
    expect(tokens).toEqual(['Bon']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(await fake.requests[0]?.closed).toBe('aborted');
  });

  it('fails with upstream_timeout when Groq sends no headers within timeoutMs, without retrying', async () => {
    fake.script({ kind: 'hang' });
    const started = Date.now();
    const { error } = await failure({ timeoutMs: 300 });
    expect(error.code).toBe('upstream_timeout');
    expect(Date.now() - started).toBeLessThan(3000);
    expect(fake.requests).toHaveLength(1);
  });

  it('closes a request that timed out waiting for its headers once the signal aborts', async () => {
    fake.script({ kind: 'hang' });
    const controller = new AbortController();
    const { error } = await failure({ timeoutMs: 200 }, REQUEST, controller.signal);
    expect(error.code).toBe('upstream_timeout');
    controller.abort();
    expect(await fake.requests[0]?.closed).toBe('aborted');
  });

  it('is not cut by the idle timeout while chunks keep coming', async () => {
    await useFake({ delayMs: 60, tokens: Array.from({ length: 8 }, (_, index) => String(index)) });
    expect(text(await collect({ idleTimeoutMs: 200 }))).toBe('01234567');
  });
});

describe('createGroqProvider: upstream failures', () => {
  it('maps a 429 to upstream_rate_limited with retryAfterMs, failing at once when retry-after exceeds the cap', async () => {
    fake.script({ kind: 'rate-limit', retryAfter: '3600' });
    const started = Date.now();
    const { error } = await failure();
    expect(error.code).toBe('upstream_rate_limited');
    expect(error.retryAfterMs).toBe(3_600_000);
    expect(error.message).toBe('Groq rate limit reached; retry in 60 min');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(fake.requests).toHaveLength(1);
  });

  it('retries once after a short retry-after and then streams the answer', async () => {
    fake.script({ kind: 'rate-limit', retryAfter: '0.3' });
    const chunks = await collect();
    expect(text(chunks)).toBe('Bonjour!');
    expect(fake.requests).toHaveLength(2);
    const [first, second] = fake.requests;
    expect((second?.receivedAt ?? 0) - (first?.receivedAt ?? 0)).toBeGreaterThanOrEqual(250);
  });

  it('gives up with upstream_rate_limited when the retry is rate limited too', async () => {
    fake.script({ kind: 'rate-limit', retryAfter: '0.1' }, { kind: 'rate-limit', retryAfter: '0.1' });
    const { error } = await failure();
    expect(error).toMatchObject({ code: 'upstream_rate_limited', retryAfterMs: 100, retryable: true, status: 429 });
    expect(fake.requests).toHaveLength(2);
  });

  it('reads the wait from x-ratelimit-reset-* when there is no retry-after', async () => {
    const body = { error: { message: 'Rate limit reached', type: 'tokens', code: 'rate_limit_exceeded' } };
    fake.script(
      {
        kind: 'status',
        status: 429,
        body,
        headers: { 'x-ratelimit-reset-tokens': '2m59.56s', 'x-ratelimit-reset-requests': '1s' },
      },
      { kind: 'status', status: 429, body, headers: { 'x-ratelimit-reset-tokens': '525ms' } },
    );
    expect((await failure({ maxRetries: 0 })).error.retryAfterMs).toBe(179_560);
    const { error } = await failure({ maxRetries: 0 });
    expect(error.retryAfterMs).toBe(525);
    expect(error.message).toBe('Groq rate limit reached; retry in 525 ms');
  });

  it('maps a wrong key to upstream_auth without retrying and without revealing the key', async () => {
    const apiKey = 'gsk_wrong_secret_4f9a8b7c6d5e';
    const { error } = await failure({ apiKey });
    expect(error.code).toBe('upstream_auth');
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]?.headers.authorization).toBe(`Bearer ${apiKey}`);
    expect(error.message).not.toContain(apiKey);
    expect(JSON.stringify(error.toPayload())).not.toContain(apiKey);
    expect(JSON.stringify(error.toPayload())).not.toContain('Invalid API Key');
  });

  it('maps decommissioned and unknown models to invalid_model', async () => {
    const retired = await failure({}, { ...REQUEST, model: 'llama-3.1-8b-instant' });
    expect(retired.error.code).toBe('invalid_model');
    expect(retired.error.message).toBe('the model "llama-3.1-8b-instant" is not available on Groq');
    fake.script({ kind: 'decommissioned', status: 400 });
    expect((await failure({}, { ...REQUEST, model: 'mixtral-8x7b-32768' })).error.code).toBe('invalid_model');
    expect((await failure({}, { ...REQUEST, model: 'no-such-model' })).error.code).toBe('invalid_model');
    expect(fake.requests).toHaveLength(3);
  });

  it('maps a 400 to invalid_request', async () => {
    const body = { error: { message: 'messages: must not be empty', type: 'invalid_request_error', code: null } };
    fake.script({ kind: 'status', status: 400, body });
    const { error } = await failure();
    expect(error.code).toBe('invalid_request');
    expect(error.message).not.toContain('must not be empty');
  });

  it('maps a 503 to upstream_unavailable after one retry', async () => {
    fake.script({ kind: 'server-error', status: 503 }, { kind: 'server-error', status: 503 });
    const { error } = await failure({ maxRetryAfterMs: 50 });
    expect(error.code).toBe('upstream_unavailable');
    expect(fake.requests).toHaveLength(2);
  });

  it('recovers from a 500 by retrying', async () => {
    fake.script({ kind: 'server-error', status: 500 });
    expect(text(await collect({ maxRetryAfterMs: 50 }))).toBe('Bonjour!');
  });

  it('maps an error event inside the stream to upstream_error, after the tokens before it', async () => {
    fake.script({ kind: 'stream-error-event', tokens: ['Bon', 'jour'] });
    const { error, tokens } = await failure();
    expect(error.code).toBe('upstream_error');
    expect(tokens).toEqual(['Bon', 'jour']);
    expect(error.message).not.toContain('Internal Server Error');
    expect(fake.requests).toHaveLength(1);
  });

  it('maps a chunk carrying x_groq.error to upstream_error, even one with a finish reason', async () => {
    fake.script(
      { kind: 'x-groq-error', tokens: ['Bon'] },
      { kind: 'x-groq-error', tokens: ['Bon'], finishReason: 'stop' },
    );
    const { error, tokens } = await failure();
    expect(error.code).toBe('upstream_error');
    expect(tokens).toEqual(['Bon']);
    expect((await failure()).error.code).toBe('upstream_error');
    expect(error.message).not.toContain('upstream model error');
  });

  it('fails with a ChatError when the connection is cut mid-stream', async () => {
    fake.script({ kind: 'cut', tokens: ['Bon', 'jour'] });
    const { error, tokens } = await failure();
    expect(['upstream_unavailable', 'upstream_error']).toContain(error.code);
    expect(tokens).toEqual(['Bon', 'jour']);
    // Tokens were already delivered, so a retry would repeat them.
    expect(fake.requests).toHaveLength(1);
  });

  it('fails with upstream_error when the stream ends without a finish reason', async () => {
    fake.script({ kind: 'end-early', tokens: ['Bon'] });
    const { error } = await failure();
    expect(error.code).toBe('upstream_error');
    expect(error.message).toBe('the upstream stream ended early');
  });

  it('does not follow a redirect: it fails like a lost connection', async () => {
    const location = `${fake.url}/openai/v1/chat/completions`;
    fake.script({ kind: 'status', status: 307, body: {}, headers: { location } });
    const { error } = await failure({ maxRetries: 0 });
    expect(error.code).toBe('upstream_unavailable');
    expect(fake.requests).toHaveLength(1);
  });

  it('maps an unreachable Groq to upstream_unavailable', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const { error } = await failure({ baseURL: `http://127.0.0.1:${port}`, maxRetries: 0 });
    expect(error.code).toBe('upstream_unavailable');
  });
});

describe('createGroqProvider: models', () => {
  it('lists the active chat models from Groq and caches them', async () => {
    const groq = provider();
    const expected = ['openai/gpt-oss-20b', 'openai/gpt-oss-120b', 'groq/compound'].map((id) => ({
      id,
      provider: 'groq',
    }));
    expect(await groq.listModels()).toEqual(expected);
    expect(await groq.listModels()).toEqual(expected);
    expect(fake.modelListCalls).toBe(1);
    expect(groq.name).toBe('groq');
    expect(groq.defaultModel).toBe('openai/gpt-oss-20b');
  });

  it('falls back to the known models when Groq refuses the listing', async () => {
    const models = await provider({ apiKey: 'gsk_wrong' }).listModels();
    expect(models.map((model) => model.id)).toEqual([...GROQ_FALLBACK_MODELS]);
  });

  it('refuses an empty API key when created', () => {
    expect(() => createGroqProvider({ apiKey: '', baseURL: fake.url })).toThrow(TypeError);
  });

  it('serves a static list without calling Groq', async () => {
    const groq = provider({ models: ['groq/compound'], defaultModel: 'groq/compound' });
    expect(await groq.listModels()).toEqual([{ id: 'groq/compound', provider: 'groq' }]);
    expect(groq.defaultModel).toBe('groq/compound');
    expect(fake.modelListCalls).toBe(0);
  });
});
