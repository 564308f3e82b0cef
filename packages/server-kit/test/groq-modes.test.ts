import { MODES, type Mode } from '@chatwire/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGroqProvider } from '../src/index.js';
import { FAKE_GROQ_API_KEY, startFakeGroq, type FakeGroq, type FakeGroqReply } from './fake-groq/index.js';
import { rawChat } from './helpers/raw-modes.js';
import { startKit, type TestServer } from './helpers/start-kit.js';

// Upstream faults, through the real groq-sdk, become the same documented codes in every mode, partial text kept.
let fake: FakeGroq;
let server: TestServer;
beforeAll(async () => {
  fake = await startFakeGroq();
  server = await startKit({
    provider: createGroqProvider({ apiKey: FAKE_GROQ_API_KEY, baseURL: fake.url, idleTimeoutMs: 300, maxRetries: 0 }),
  });
});
afterAll(async () => {
  await server.close();
  await fake.close();
});

const tokens = ['Bon', 'jour', ' :', ')'];
const cases: Array<[string, FakeGroqReply, string, number]> = [
  ['a 429 with retry-after', { kind: 'rate-limit', retryAfter: '2' }, 'upstream_rate_limited', 429],
  ['a 503', { kind: 'server-error', status: 503 }, 'upstream_unavailable', 503],
  ['a connection reset mid-stream', { kind: 'cut', tokens }, 'upstream_unavailable', 503],
  ['a malformed (error) chunk mid-stream', { kind: 'stream-error-event', tokens }, 'upstream_error', 502],
  ['a stall with no token', { kind: 'stall', tokens }, 'upstream_timeout', 504],
];

describe.each(MODES)('Groq faults in mode %s', (mode: Mode) => {
  it.each(cases)('%s', async (_name, reply, code, status) => {
    fake.script(reply);
    const outcome = await rawChat(mode, server, { message: 'Salut', model: 'openai/gpt-oss-20b' });
    if (mode === 'sync') {
      expect(outcome).toMatchObject({ ok: false, status, error: { code } });
      return;
    }
    if (!outcome.ok) throw new Error(JSON.stringify(outcome));
    const last = outcome.events.at(-1);
    expect(last).toMatchObject({ type: 'error', code });
    if (code === 'upstream_rate_limited') expect(last).toMatchObject({ retry_after_ms: 2000, retryable: true });
    const expectedText = 'tokens' in reply ? tokens.join('') : '';
    expect(outcome.text).toBe(expectedText);
    const snapshot = await (await fetch(`${server.url}/api/runs/${outcome.events[0]?.id}`)).json();
    expect(snapshot).toMatchObject({ status: 'failed', partial: expectedText, error: { code } });
  });
});

describe('a Groq request that timed out waiting for its headers', () => {
  it('is closed once its run has failed', async () => {
    const hung = await startFakeGroq();
    const kit = await startKit({
      provider: createGroqProvider({ apiKey: FAKE_GROQ_API_KEY, baseURL: hung.url, timeoutMs: 200, maxRetries: 0 }),
    });
    try {
      hung.script({ kind: 'hang' });
      const outcome = await rawChat('sse', kit, { message: 'Salut', model: 'openai/gpt-oss-20b' });
      if (!outcome.ok) throw new Error(JSON.stringify(outcome));
      expect(outcome.events.at(-1)).toMatchObject({ type: 'error', code: 'upstream_timeout' });
      // The fake would hold it open for good: only the client can close it.
      expect(await hung.requests[0]?.closed).toBe('aborted');
    } finally {
      await kit.close();
      await hung.close();
    }
  });
});
