import type { Usage } from '@chatwire/protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { ChatError } from '../chat-error.js';
import type { Provider, ProviderRequest } from '../provider.js';
import { planBursts, SIMULATED_PROFILES } from './simulated-profiles.js';
import { createSeededRandom, hashString } from './simulated-random.js';
import { writeSimulatedAnswer } from './simulated-text.js';
import { createSimulatedProvider, type SimulatedProviderOptions } from './simulated.js';

const PROMPTS = [
  'Explain how SSE differs from WebSocket',
  'What is Redis?',
  'Give me a list of tips for streaming APIs',
  'Write a TypeScript example that cancels a request',
  'How do I retry a request when the upstream is rate limited?',
  'Describe the steps to deploy a Koa server behind nginx',
  'Why does my EventSource reconnect every few seconds?',
  'Compare long polling with server-sent events in detail',
  'Show me a curl command for the chat endpoint',
  'What should the JSON frame of a WebSocket chat look like?',
  'Tell me about TCP congestion control',
  'Is HTTP/2 better for streaming than HTTP/1.1?',
  'cats',
  'How do I measure time to first token?',
  'Explain backpressure in Node streams',
  'Which load balancer settings matter for long-lived connections?',
];

interface Collected {
  tokens: string[];
  finishReason: string;
  usage: Usage;
}

function request(content: string, extra: Partial<ProviderRequest> = {}): ProviderRequest {
  return { model: 'sim/instant', messages: [{ role: 'user', content }], ...extra };
}

async function collect(
  provider: Provider,
  input: ProviderRequest,
  signal = new AbortController().signal,
): Promise<Collected> {
  const tokens: string[] = [];
  for await (const chunk of provider.stream(input, signal)) {
    if (chunk.type === 'token') tokens.push(chunk.text);
    else return { tokens, finishReason: chunk.finish_reason, usage: chunk.usage };
  }
  throw new Error('the stream ended without done');
}

async function rejection(promise: Promise<unknown>): Promise<ChatError> {
  const error: unknown = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof ChatError)) throw new Error(`expected a ChatError, got ${String(error)}`);
  return error;
}

/** Tracks timers created while installed; `live` holds those neither fired nor cleared. */
function watchTimers(): { live: Set<unknown>; created: () => number } {
  const realSetTimeout = globalThis.setTimeout;
  const realClearTimeout = globalThis.clearTimeout;
  const live = new Set<unknown>();
  const setSpy = vi.spyOn(globalThis, 'setTimeout').mockImplementation(((callback: () => void, ms?: number) => {
    const handle = realSetTimeout(() => {
      live.delete(handle);
      callback();
    }, ms);
    live.add(handle);
    return handle;
  }) as typeof setTimeout);
  vi.spyOn(globalThis, 'clearTimeout').mockImplementation(((handle: NodeJS.Timeout) => {
    live.delete(handle);
    realClearTimeout(handle);
  }) as typeof clearTimeout);
  return { live, created: () => setSpy.mock.calls.length };
}

const instant = (options: SimulatedProviderOptions = {}): Provider =>
  createSimulatedProvider({ defaultModel: 'sim/instant', ...options });

afterEach(() => {
  vi.restoreAllMocks();
});

describe('simulated answers', () => {
  it('gives the same tokens for the same request, even across provider instances', async () => {
    const input = request('Explain how SSE differs from WebSocket', { temperature: 0.7 });
    const first = await collect(instant(), input);
    const second = await collect(instant(), { ...input, messages: [...input.messages] });
    expect(second).toEqual(first);
    // Golden values: they only change when the vocabulary or the hash does, and prove no per-process state leaks in.
    expect(hashString('hello')).toBe(1335831723);
    const opening = writeSimulatedAnswer(request('Explain how SSE differs from WebSocket')).split('\n')[0];
    expect(opening).toBe("Here's how I'd think about SSE and WebSocket.");
  });

  it('answers different prompts, temperatures and models differently', () => {
    const texts = PROMPTS.map((prompt) => writeSimulatedAnswer(request(prompt)));
    expect(new Set(texts).size).toBe(PROMPTS.length);
    const base = request('Tell me about TCP congestion control');
    expect(writeSimulatedAnswer({ ...base, temperature: 1.5 })).not.toBe(writeSimulatedAnswer(base));
    expect(writeSimulatedAnswer({ ...base, model: 'sim/gpt-oss-120b' })).not.toBe(writeSimulatedAnswer(base));
  });

  it('opens by naming the topic of the last user message, sanitised', () => {
    const answer = writeSimulatedAnswer(request('Explain how SSE differs from WebSocket'));
    const opening = answer.split('\n')[0] ?? '';
    expect(opening).toContain('SSE');
    expect(opening).toContain('WebSocket');
    const hostile = writeSimulatedAnswer(request('Tell me about <script>alert("pwned")</script> and ${process.env}'));
    expect(hostile).not.toMatch(/<script|\$\{process|"pwned"/);
    const conversation = writeSimulatedAnswer({
      model: 'sim/instant',
      messages: [
        { role: 'user', content: 'Tell me about Redis' },
        { role: 'assistant', content: 'Redis is a data store.' },
        { role: 'user', content: 'And what about Kafka?' },
      ],
    });
    expect(conversation.split('\n')[0]).toContain('Kafka');
  });

  it('uses markdown: bulleted and numbered lists, fenced code and emphasis appear across prompts', () => {
    const texts = PROMPTS.map((prompt) => writeSimulatedAnswer(request(prompt)));
    expect(texts.some((text) => /\n- \S/.test(text))).toBe(true);
    expect(texts.some((text) => /\n1\. \S/.test(text))).toBe(true);
    expect(texts.filter((text) => /\n```\w*\n[\s\S]+\n```/.test(text)).length).toBeGreaterThanOrEqual(2);
    expect(texts.some((text) => text.includes('**'))).toBe(true);
    // Prompts that ask for code or a list get one.
    expect(writeSimulatedAnswer(request('Write a TypeScript example that cancels a request'))).toContain('```ts');
    expect(writeSimulatedAnswer(request('Give me a list of tips for streaming APIs'))).toMatch(/\n(?:- |1\. )/);
  });
});

describe('simulated tokens', () => {
  it('streams pieces that join back into the answer and look like BPE tokens', async () => {
    const all: string[] = [];
    for (const prompt of PROMPTS) {
      const { tokens } = await collect(instant(), request(prompt));
      expect(tokens.join('')).toBe(writeSimulatedAnswer(request(prompt)));
      all.push(...tokens);
    }
    expect(all.every((token) => token.length > 0)).toBe(true);
    expect(all.filter((token) => /^ \p{L}/u.test(token)).length / all.length).toBeGreaterThan(0.5);
    expect(all).toContain('\n\n');
    expect(all).toContain(',');
    expect(all.some((token) => token.startsWith(':'))).toBe(true);
    expect(all.some((token) => token.includes('\n'))).toBe(true);
    expect(all.some((token) => /[é—“”"]/.test(token))).toBe(true);
    // Long words come in pieces, and no piece cuts a surrogate pair (emoji must survive every transport).
    expect(all.filter((token) => token === ' Web' || token === 'Socket')).not.toHaveLength(0);
    expect(
      all.some((token) => /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(token)),
    ).toBe(false);
  });

  it('sizes the answer by the prompt and cuts it at max_tokens', async () => {
    for (const greeting of ['hi', 'Hello!', 'thanks', 'hey there', 'Good morning', 'ok', 'thank you!']) {
      const hello = await collect(instant(), request(greeting));
      expect(hello.tokens.length).toBeGreaterThanOrEqual(20);
      expect(hello.tokens.length).toBeLessThanOrEqual(60);
    }
    const typical = await Promise.all(PROMPTS.map((prompt) => collect(instant(), request(prompt))));
    const average = typical.reduce((sum, answer) => sum + answer.tokens.length, 0) / typical.length;
    expect(average).toBeGreaterThanOrEqual(150);
    expect(average).toBeLessThanOrEqual(450);
    const brief = await collect(instant(), request('Kafka partitions'));
    const detailed = await collect(instant(), request('Explain Kafka partitions in detail and list the trade-offs'));
    expect(detailed.tokens.length).toBeGreaterThan(brief.tokens.length);
    expect(brief.finishReason).toBe('stop');

    const cut = await collect(
      instant(),
      request('Explain Kafka partitions in detail and list the trade-offs', { max_tokens: 40 }),
    );
    expect(cut.finishReason).toBe('length');
    expect(cut.tokens).toEqual(detailed.tokens.slice(0, 40));
    expect(cut.usage.completion_tokens).toBe(40);
    const roomy = await collect(instant(), request('hi', { max_tokens: 4096 }));
    expect(roomy.finishReason).toBe('stop');
  });

  it('reports usage consistent with the stream and the prompt', async () => {
    const short = await collect(instant(), request('hi'));
    expect(short.usage.completion_tokens).toBe(short.tokens.length);
    expect(short.usage.total_tokens).toBe(short.usage.prompt_tokens + short.usage.completion_tokens);
    const long = await collect(instant(), request('hi '.repeat(400)));
    expect(long.usage.prompt_tokens).toBeGreaterThan(250);
    const empty = await collect(instant(), {
      model: 'sim/instant',
      messages: [
        { role: 'system', content: '' },
        { role: 'user', content: '' },
      ],
    });
    expect(empty.usage.prompt_tokens).toBeGreaterThanOrEqual(2);
  });
});

describe('simulated pacing', () => {
  it('streams sim/instant without any timer, yet lets the event loop run during a long answer', async () => {
    const timers = watchTimers();
    let ioRan = false;
    setImmediate(() => (ioRan = true));
    let tokensBeforeIo = 0;
    const { tokens } = await (async () => {
      const seen: string[] = [];
      for await (const chunk of instant().stream(
        request('Explain backpressure in Node streams in detail'),
        new AbortController().signal,
      )) {
        if (chunk.type !== 'token') continue;
        seen.push(chunk.text);
        if (!ioRan) tokensBeforeIo = seen.length;
      }
      return { tokens: seen };
    })();
    expect(tokens.length).toBeGreaterThanOrEqual(300);
    expect(timers.created()).toBe(0);
    expect(tokensBeforeIo).toBeLessThan(tokens.length);
  });

  it('makes realistic profiles wait for the first token, then stops promptly on abort, leaking no timer', async () => {
    const timers = watchTimers();
    const onAbort = vi.fn();
    const provider = createSimulatedProvider({ onAbort });
    expect(provider.defaultModel).toBe('sim/gpt-oss-20b');
    const controller = new AbortController();
    const iterator = provider
      .stream(request('Explain how SSE differs from WebSocket', { model: 'sim/gpt-oss-120b' }), controller.signal)
      [Symbol.asyncIterator]();
    const started = performance.now();
    const first = await iterator.next();
    expect(first.value).toMatchObject({ type: 'token' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(100);
    for (let index = 0; index < 10; index++) await iterator.next();
    const pending = iterator.next();
    controller.abort();
    const abortedAt = performance.now();
    const error = await rejection(pending);
    expect(error.code).toBe('cancelled');
    expect(error.message).toBe('the run was cancelled');
    expect(performance.now() - abortedAt).toBeLessThan(50);
    expect(onAbort).toHaveBeenCalledTimes(1);

    // Aborting while the provider sleeps (here: before the first token) clears the sleep's timer at once.
    const waiting = new AbortController();
    const sleeping = provider
      .stream(request('What is Redis?', { model: 'sim/gpt-oss-20b' }), waiting.signal)
      [Symbol.asyncIterator]()
      .next();
    await new Promise((resolve) => setTimeout(resolve, 30));
    waiting.abort();
    const wokeAt = performance.now();
    expect((await rejection(sleeping)).code).toBe('cancelled');
    expect(performance.now() - wokeAt).toBeLessThan(50);
    expect(onAbort).toHaveBeenCalledTimes(2);
    expect(timers.created()).toBeGreaterThan(0);
    expect(timers.live.size).toBe(0);
  });

  it('leaves no timer behind after a realistic run completes', async () => {
    const timers = watchTimers();
    const result = await collect(
      createSimulatedProvider(),
      request('What is Redis?', { model: 'sim/gpt-oss-20b', max_tokens: 30 }),
    );
    expect(result.usage.completion_tokens).toBe(30);
    expect(timers.live.size).toBe(0);
  });

  it('plans bursts of several tokens whose average rate matches the profile', () => {
    for (const model of ['sim/gpt-oss-20b', 'sim/gpt-oss-120b'] as const) {
      const profile = SIMULATED_PROFILES[model];
      const bursts = planBursts(profile, 2000, createSeededRandom(42));
      const [first, ...rest] = bursts;
      expect(first?.delayMs).toBeGreaterThanOrEqual(profile.firstTokenMs.min);
      expect(first?.delayMs).toBeLessThanOrEqual(profile.firstTokenMs.max);
      const streamingMs = rest.reduce((sum, burst) => sum + burst.delayMs, 0);
      const rate = ((2000 - (first?.tokens ?? 0)) / streamingMs) * 1000;
      expect(rate / profile.tokensPerSecond).toBeGreaterThan(0.9);
      expect(rate / profile.tokensPerSecond).toBeLessThan(1.1);
      expect(bursts.reduce((sum, burst) => sum + burst.tokens, 0)).toBe(2000);
      expect(2000 / bursts.length).toBeGreaterThan(3);
      expect(rest.every((burst) => burst.delayMs >= 4)).toBe(true);
    }
  });
});

describe('simulated faults and models', () => {
  it('throws upstream_rate_limited before the first token', async () => {
    const provider = instant({ faults: { rateLimit: { retryAfterMs: 1500 } } });
    const iterator = provider.stream(request('hi'), new AbortController().signal)[Symbol.asyncIterator]();
    const error = await rejection(iterator.next());
    expect(error).toMatchObject({ code: 'upstream_rate_limited', retryAfterMs: 1500, retryable: true });
  });

  it('fails with upstream_unavailable after N tokens, and can fail just one call', async () => {
    const tokens: string[] = [];
    const failing = instant({ faults: (_request, call) => (call === 0 ? { failAfterTokens: 5 } : undefined) });
    const error = await rejection(
      (async () => {
        for await (const chunk of failing.stream(request('What is Redis?'), new AbortController().signal)) {
          if (chunk.type === 'token') tokens.push(chunk.text);
        }
      })(),
    );
    expect(error).toMatchObject({ code: 'upstream_unavailable', retryable: true });
    expect(tokens).toHaveLength(5);
    const retry = await collect(failing, request('What is Redis?'));
    expect(retry.tokens.slice(0, 5)).toEqual(tokens);
    expect(retry.finishReason).toBe('stop');

    const late = instant({ faults: { failAfterTokens: 10_000 } });
    const seen: string[] = [];
    const lateError = await rejection(
      (async () => {
        for await (const chunk of late.stream(request('hi'), new AbortController().signal)) {
          if (chunk.type === 'done') throw new Error('done must not arrive');
          seen.push(chunk.text);
        }
      })(),
    );
    expect(lateError.code).toBe('upstream_unavailable');
    expect(seen.join('')).toBe(writeSimulatedAnswer(request('hi')));
  });

  it('stalls after N tokens until aborted, and reports the abort', async () => {
    const onAbort = vi.fn();
    const onStream = vi.fn();
    const provider = instant({ faults: { stallAfterTokens: 3 }, onAbort, onStream });
    const controller = new AbortController();
    const iterator = provider.stream(request('What is Redis?'), controller.signal)[Symbol.asyncIterator]();
    for (let index = 0; index < 3; index++) expect((await iterator.next()).value).toMatchObject({ type: 'token' });
    const stalled = iterator.next();
    const outcome = await Promise.race([
      stalled.then(() => 'moved'),
      new Promise((resolve) => setTimeout(resolve, 50, 'stalled')),
    ]);
    expect(outcome).toBe('stalled');
    controller.abort();
    expect((await rejection(stalled)).code).toBe('cancelled');
    expect(onAbort).toHaveBeenCalledWith(expect.objectContaining({ model: 'sim/instant' }));
    expect(onStream).toHaveBeenCalledTimes(1);
  });

  it('throws cancelled at once for an already aborted signal', async () => {
    const controller = new AbortController();
    controller.abort();
    const iterator = instant().stream(request('hi'), controller.signal)[Symbol.asyncIterator]();
    expect((await rejection(iterator.next())).code).toBe('cancelled');
  });

  it('lists its models, rejects unknown ones and accepts custom profiles', async () => {
    const provider = createSimulatedProvider({
      profiles: { 'sim/custom': { tokensPerSecond: 50_000, firstTokenMs: { min: 0, max: 1 }, burstIntervalMs: 5 } },
    });
    expect(provider.name).toBe('simulated');
    expect(await provider.listModels()).toEqual([
      { id: 'sim/gpt-oss-20b', provider: 'simulated' },
      { id: 'sim/gpt-oss-120b', provider: 'simulated' },
      { id: 'sim/instant', provider: 'simulated' },
      { id: 'sim/custom', provider: 'simulated' },
    ]);
    const custom = await collect(provider, request('What is Redis?', { model: 'sim/custom' }));
    expect(custom.finishReason).toBe('stop');
    const iterator = provider
      .stream(request('hi', { model: 'gpt-4' }), new AbortController().signal)
      [Symbol.asyncIterator]();
    const error = await rejection(iterator.next());
    expect(error.code).toBe('invalid_model');
    expect(error.message).toBe(
      'unknown model "gpt-4"; valid ids: sim/gpt-oss-20b, sim/gpt-oss-120b, sim/instant, sim/custom',
    );
    const inherited = provider.stream(request('hi', { model: 'constructor' }), new AbortController().signal);
    expect((await rejection(inherited[Symbol.asyncIterator]().next())).code).toBe('invalid_model');
    expect(() => createSimulatedProvider({ defaultModel: 'nope' })).toThrow(/defaultModel "nope"/);
    expect(() => createSimulatedProvider({ defaultModel: 'toString' })).toThrow(/defaultModel "toString"/);
  });
});
