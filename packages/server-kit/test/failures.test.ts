import { MODES, type Mode } from '@chatwire/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimulatedProvider, type SimulatedProviderOptions } from '../src/index.js';
import { post, rawChat } from './helpers/raw-modes.js';
import { startKit, type TestServer } from './helpers/start-kit.js';

// Faults are chosen per request by the test (by model id here), never by prompt text.
const faults: SimulatedProviderOptions['faults'] = (request) => {
  if (request.model === 'sim/ratelimited') return { rateLimit: { retryAfterMs: 2500 } };
  if (request.model === 'sim/flaky') return { failAfterTokens: 5 };
  return undefined;
};
const instant = { tokensPerSecond: Number.POSITIVE_INFINITY, firstTokenMs: { min: 0, max: 0 }, burstIntervalMs: 0 };
let server: TestServer;

beforeAll(async () => {
  server = await startKit({
    provider: createSimulatedProvider({
      defaultModel: 'sim/instant',
      faults,
      profiles: { 'sim/ratelimited': instant, 'sim/flaky': instant },
    }),
  });
});
afterAll(() => server.close());

describe.each(MODES)('provider failures in mode %s', (mode: Mode) => {
  it('a failure mid-stream ends the run with one retryable error event after the tokens sent so far', async () => {
    const outcome = await rawChat(mode, server, { message: 'Tell me about DNS.', model: 'sim/flaky' });
    if (mode === 'sync') {
      expect(outcome).toMatchObject({
        ok: false,
        status: 503,
        error: { code: 'upstream_unavailable', retryable: true },
      });
      return;
    }
    if (!outcome.ok) throw new Error(JSON.stringify(outcome));
    expect(outcome.events.map((event) => event.type)).toEqual([
      'start',
      'token',
      'token',
      'token',
      'token',
      'token',
      'error',
    ]);
    expect(outcome.events.at(-1)).toMatchObject({ code: 'upstream_unavailable', retryable: true });
    const snapshot = await (await fetch(`${server.url}/api/runs/${outcome.events[0]?.id}`)).json();
    expect(snapshot).toMatchObject({
      status: 'failed',
      error: { code: 'upstream_unavailable' },
      partial: outcome.text,
    });
  });

  it('an upstream rate limit carries its retry delay', async () => {
    const outcome = await rawChat(mode, server, { message: 'Hi', model: 'sim/ratelimited' });
    if (mode === 'sync') {
      expect(outcome).toMatchObject({
        ok: false,
        status: 429,
        error: { code: 'upstream_rate_limited', retry_after_ms: 2500 },
      });
      const response = await post(
        `${server.url}/api/sync/chat`,
        JSON.stringify({ message: 'Hi', model: 'sim/ratelimited' }),
      );
      expect(response.headers.get('retry-after')).toBe('3');
      return;
    }
    if (!outcome.ok) throw new Error(JSON.stringify(outcome));
    expect(outcome.events.at(-1)).toMatchObject({
      type: 'error',
      code: 'upstream_rate_limited',
      retryable: true,
      retry_after_ms: 2500,
    });
  });
});
