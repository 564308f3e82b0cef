import { connect } from 'node:net';
import type { RunEvent } from '@chatwire/protocol';
import { createParser } from 'eventsource-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Provider, ProviderChunk } from '../src/index.js';
import { startKit, type TestServer } from './helpers/start-kit.js';

// A model that answers far faster than any socket drains: 150,000 tokens (about 12 MB of SSE) as fast as it can.
const TOKENS = 150_000;
const floodText = Array.from({ length: TOKENS }, (_, index) => ` t${index % 97}`).join('');
const flood: Provider = {
  name: 'flood',
  defaultModel: 'flood',
  listModels: async () => [{ id: 'flood', provider: 'flood' }],
  async *stream(_request, signal): AsyncIterable<ProviderChunk> {
    for (let index = 0; index < TOKENS; index++) {
      if (signal.aborted) return;
      if (index % 1000 === 0) await new Promise((resolve) => setImmediate(resolve));
      yield { type: 'token', text: ` t${index % 97}` };
    }
    yield {
      type: 'done',
      finish_reason: 'stop',
      usage: { prompt_tokens: 1, completion_tokens: TOKENS, total_tokens: TOKENS + 1 },
    };
  },
};

let server: TestServer;
const highWaterBytes = 64 * 1024;
beforeAll(async () => {
  server = await startKit({ provider: flood, highWaterBytes, slowReaderTimeoutMs: 20_000 });
});
afterAll(() => server.close());

/** Samples the server's unsent bytes for `ms`; returns the largest value seen. */
async function peakBuffered(ms: number): Promise<number> {
  let peak = 0;
  const end = Date.now() + ms;
  while (Date.now() < end) {
    peak = Math.max(peak, server.kit.stats().bufferedBytes);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return peak;
}

describe('a reader that stops reading for seconds', () => {
  it('over SSE: the server buffers a bounded amount, then delivers the complete text with tokens merged', async () => {
    const { port } = new URL(server.url);
    const socket = connect(Number(port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    const body = JSON.stringify({ message: 'flood me' });
    socket.write(
      `POST /api/sse/chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
    socket.pause();
    const peak = await peakBuffered(2500);
    expect(server.kit.stats().streams.sse).toBe(1);
    // The kernel's socket buffers take a few MB; what the server itself holds stays near the high-water mark,
    // where writing without backpressure would hold the whole 12 MB answer.
    expect(peak).toBeLessThan(highWaterBytes * 4);
    const events: RunEvent[] = [];
    const parser = createParser({ onEvent: (message) => events.push(JSON.parse(message.data) as RunEvent) });
    let raw = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      if (!raw.includes('\r\n\r\n')) {
        raw += chunk;
        const split = raw.indexOf('\r\n\r\n');
        if (split >= 0) parser.feed(dechunk(raw.slice(split + 4)));
      } else parser.feed(dechunk(chunk));
    });
    socket.resume();
    await waitFor(() => events.at(-1)?.type === 'done', 20_000);
    socket.destroy();
    const text = events.map((event) => (event.type === 'token' ? event.text : '')).join('');
    expect(text).toBe(floodText);
    const tokens = events.filter((event) => event.type === 'token');
    expect(tokens.length).toBeLessThan(TOKENS);
    const seqs = events.map((event) => event.seq);
    expect(seqs.every((seq, index) => index === 0 || seq > (seqs[index - 1] as number))).toBe(true);
    expect(events.at(-1)?.seq).toBe(TOKENS + 1);
  });

  it('over WS: the same, with the socket paused', async () => {
    const ws = new WebSocket(server.wsUrl);
    await new Promise((resolve) => ws.once('open', resolve));
    const events: RunEvent[] = [];
    ws.on('message', (data) => events.push(JSON.parse(data.toString()) as RunEvent));
    ws.send(JSON.stringify({ type: 'chat', message: 'flood me' }));
    await waitFor(() => events.length > 0, 5000);
    ws.pause();
    const peak = await peakBuffered(2500);
    expect(peak).toBeLessThan(highWaterBytes * 4);
    ws.resume();
    await waitFor(() => events.at(-1)?.type === 'done', 20_000);
    ws.close();
    expect(events.map((event) => (event.type === 'token' ? event.text : '')).join('')).toBe(floodText);
    expect(events.filter((event) => event.type === 'token').length).toBeLessThan(TOKENS);
  });
});

/** Strips HTTP chunked framing from a stream of text (enough for this test: chunk sizes are hex lines). */
let pending = '';
function dechunk(text: string): string {
  pending += text;
  let out = '';
  for (;;) {
    const line = pending.indexOf('\r\n');
    if (line < 0) break;
    const size = Number.parseInt(pending.slice(0, line), 16);
    if (Number.isNaN(size) || pending.length < line + 2 + size + 2) break;
    out += pending.slice(line + 2, line + 2 + size);
    pending = pending.slice(line + 2 + size + 2);
  }
  return out;
}

async function waitFor(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
