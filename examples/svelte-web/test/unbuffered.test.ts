/**
 * nginx must pass SSE and WebSocket tokens on as they come. With the simulated model's slow profile
 * (`sim/gpt-oss-120b`: ~500 tokens/s after a few hundred ms) a long answer takes over a second to generate; through a
 * buffering proxy every token would arrive at the end, at once.
 */
import { createChatClient, type Mode } from '@chatwire/client-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requirePrerequisites, startNginx, startReferenceServer, type Running } from './harness.js';
import { bufferEventStreams } from './hostile-nginx.js';

const SLOW_MODEL = 'sim/gpt-oss-120b';
const LONG_PROMPT = 'Explain in detail, step by step, how streaming works, with a code example';

let server: Running;
let nginx: Running;

beforeAll(async () => {
  requirePrerequisites();
  server = await startReferenceServer();
  nginx = await startNginx({ backend: `127.0.0.1:${server.port}` });
}, 60_000);

afterAll(async () => {
  await nginx?.stop();
  await server?.stop();
});

interface Arrivals {
  tokens: number;
  /** ms from the request to the first and to the last token. */
  first: number;
  last: number;
  /** Share of the stream's duration between the first and the last token: ~0 when everything came in one burst. */
  spread: number;
}

/** Chats through `baseUrl` in `mode` and records when each token arrived. */
async function measure(baseUrl: string, mode: Mode): Promise<Arrivals> {
  const client = createChatClient({ baseUrl });
  try {
    const started = performance.now();
    const times: number[] = [];
    for await (const event of client.chat({ mode, model: SLOW_MODEL, message: LONG_PROMPT })) {
      if (event.type === 'token') times.push(performance.now() - started);
    }
    const first = times[0] ?? 0;
    const last = times.at(-1) ?? 0;
    return { tokens: times.length, first, last, spread: last > 0 ? (last - first) / last : 0 };
  } finally {
    client.close();
  }
}

describe('nginx does not buffer streams', () => {
  it.each<Mode>(['sse', 'ws'])(
    '%s tokens arrive spread over the answer, the first long before the last',
    async (mode) => {
      const arrivals = await measure(nginx.url, mode);
      expect(arrivals.tokens).toBeGreaterThan(200);
      // Unbuffered, the tokens fill about two thirds of the stream's duration (the rest is the time to first token).
      expect(arrivals.spread, JSON.stringify(arrivals)).toBeGreaterThan(0.25);
    },
  );

  it('never compresses an event stream, even for a client that accepts gzip', async () => {
    const response = await fetch(`${nginx.url}/api/sse/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'accept-encoding': 'gzip, deflate, br' },
      body: JSON.stringify({ message: 'Hello', model: 'sim/instant' }),
    });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(response.headers.get('content-encoding')).toBeNull();
    expect(await response.text()).toContain('event: done');
  });

  it('the same measure catches a buffering proxy (so the checks above can fail)', async () => {
    // What a plausible mistake looks like: buffering on, the backend's X-Accel-Buffering ignored, gzip on streams.
    const buffering = await startNginx({ backend: `127.0.0.1:${server.port}`, edit: bufferEventStreams });
    try {
      const arrivals = await measure(buffering.url, 'sse');
      expect(arrivals.tokens).toBeGreaterThan(200);
      expect(arrivals.spread, JSON.stringify(arrivals)).toBeLessThan(0.1);
    } finally {
      await buffering.stop();
    }
  });
});
