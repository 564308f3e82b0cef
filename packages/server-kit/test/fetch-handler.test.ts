/** `kit.fetch` as fetch-style runtimes call it: a Request in, a Response out, SSE as a pull-based ReadableStream. */
import type { RunEvent } from '@chatwire/protocol';
import { createParser } from 'eventsource-parser';
import { afterEach, describe, expect, it } from 'vitest';
import { createChatKit, createSimulatedProvider, type ChatKit } from '../src/index.js';

const kits: ChatKit[] = [];
afterEach(async () => {
  for (const kit of kits.splice(0)) await kit.close();
});

function createKit(highWaterBytes = 1024): ChatKit {
  // A fast model with long answers, so a reader that does not read falls behind at once.
  const provider = createSimulatedProvider({
    defaultModel: 'sim/fast',
    profiles: { 'sim/fast': { tokensPerSecond: 20_000, firstTokenMs: { min: 0, max: 0 }, burstIntervalMs: 2 } },
  });
  const kit = createChatKit({ provider, highWaterBytes, basePath: '/chat' });
  kits.push(kit);
  return kit;
}

const chat = (signal?: AbortSignal) =>
  new Request('http://localhost/chat/api/sse/chat', {
    method: 'POST',
    body: JSON.stringify({ message: 'Explain everything about TCP in detail.', max_tokens: 3000 }),
    headers: { 'content-type': 'application/json' },
    ...(signal ? { signal } : {}),
  });

async function readEvents(response: Response, stopAfter = Number.POSITIVE_INFINITY) {
  const events: RunEvent[] = [];
  const parser = createParser({ onEvent: (message) => events.push(JSON.parse(message.data) as RunEvent) });
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  while (events.length < stopAfter) {
    const { value, done } = await reader.read();
    if (done) break;
    parser.feed(value);
  }
  return { events, reader };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('kit.fetch', () => {
  it('streams SSE with backpressure: a reader that does not read holds at most about the high-water mark', async () => {
    const kit = createKit(1024);
    const response = await kit.fetch(chat());
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    // Nobody reads for a while; the run goes on into the store, not into memory behind the response.
    await sleep(300);
    const { bufferedBytes } = kit.stats();
    expect(bufferedBytes).toBeGreaterThan(0);
    // The high-water mark plus the one batch that crossed it; the whole answer is about 37 KB of SSE.
    expect(bufferedBytes).toBeLessThan(16 * 1024);
    const { events } = await readEvents(response);
    expect(events.map((event) => event.seq)).toEqual([...events.map((event) => event.seq)].sort((a, b) => a - b));
    expect(events[0]?.type).toBe('start');
    expect(events.at(-1)?.type).toBe('done');
    const last = events.at(-1);
    const tokens = events.filter((event) => event.type === 'token');
    // Backed-up tokens are merged, never lost: the text holds every completion token.
    expect(last?.type === 'done' && last.usage.completion_tokens).toBeGreaterThan(tokens.length);
    expect(kit.stats().streams.sse).toBe(0);
  });

  it("takes the request's AbortSignal as the client's disconnect", async () => {
    const kit = createKit();
    const controller = new AbortController();
    const response = await kit.fetch(chat(controller.signal));
    await readEvents(response, 2);
    expect(kit.stats().streams.sse).toBe(1);
    controller.abort();
    for (let tries = 0; kit.stats().streams.sse > 0 && tries < 100; tries++) await sleep(10);
    expect(kit.stats().streams.sse).toBe(0);
  });

  it('stops following when the consumer cancels the body', async () => {
    const kit = createKit();
    const response = await kit.fetch(chat());
    const { reader } = await readEvents(response, 2);
    await reader.cancel();
    for (let tries = 0; kit.stats().streams.sse > 0 && tries < 100; tries++) await sleep(10);
    expect(kit.stats().streams.sse).toBe(0);
  });

  it('answers paths it does not own, bad bodies and oversize bodies with JSON errors', async () => {
    const kit = createKit();
    const elsewhere = await kit.fetch(new Request('http://localhost/api/sse/chat', { method: 'POST', body: '{}' }));
    expect(elsewhere.status).toBe(404);
    expect(await elsewhere.json()).toMatchObject({ error: { code: 'not_found' } });
    const bad = await kit.fetch(new Request('http://localhost/chat/api/sync/chat', { method: 'POST', body: '{"m' }));
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'invalid_json' } });
    const huge = JSON.stringify({ message: 'x'.repeat(2 * 1024 * 1024) });
    const big = await kit.fetch(new Request('http://localhost/chat/api/sync/chat', { method: 'POST', body: huge }));
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ error: { code: 'payload_too_large' } });
  });
});
