import { APIError } from 'groq-sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { GroqChunkReader } from './groq-chunks.js';

const readers: GroqChunkReader[] = [];

afterEach(() => {
  for (const reader of readers.splice(0)) reader.close();
});

/** A reader over a body sent as these pieces, in order, each in its own read. */
function readerOf(pieces: readonly string[], idleTimeoutMs = 60_000): GroqChunkReader {
  const encoder = new TextEncoder();
  let index = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const piece = pieces[index++];
      if (piece === undefined) controller.close();
      else controller.enqueue(encoder.encode(piece));
    },
  });
  const reader = new GroqChunkReader(new Response(body, { headers: { 'x-request-id': 'req_1' } }), idleTimeoutMs);
  readers.push(reader);
  return reader;
}

async function all(reader: GroqChunkReader): Promise<unknown[]> {
  const chunks: unknown[] = [];
  for (let chunk = await reader.next(); chunk !== undefined; chunk = await reader.next()) chunks.push(chunk);
  return chunks;
}

const chunk = (content: string) => JSON.stringify({ choices: [{ index: 0, delta: { content } }] });
const contents = (chunks: unknown[]) =>
  chunks.map((item) => (item as { choices: Array<{ delta: { content: string } }> }).choices[0]?.delta.content);

describe('GroqChunkReader', () => {
  it('reads data events split anywhere across reads, with LF, CRLF or CR line ends', async () => {
    const text = `data: ${chunk('Bon')}\n\ndata: ${chunk('jour')}\r\n\r\ndata: ${chunk('!')}\r\rdata: [DONE]\n\n`;
    for (const size of [1, 2, 3, 7, 64, text.length]) {
      const pieces = text.match(new RegExp(`[^]{1,${size}}`, 'g')) ?? [];
      expect(contents(await all(readerOf(pieces)))).toEqual(['Bon', 'jour', '!']);
    }
  });

  it('joins multi-line data, skips comments and other fields, and reads nothing after [DONE]', async () => {
    const reader = readerOf([
      ': keep-alive\n\n',
      `id: 1\nretry: 10\ndata: {"choices":[{"index":0,\ndata:"delta":{"content":"a"}}]}\n\n`,
      'data: [DONE]\n\n',
      `data: ${chunk('after')}\n\n`,
    ]);
    expect(contents(await all(reader))).toEqual(['a']);
  });

  it('drops an event the body ends before its blank line', async () => {
    expect(contents(await all(readerOf([`data: ${chunk('a')}\n\ndata: ${chunk('b')}\n`])))).toEqual(['a']);
  });

  it('gives the chunks before an error event, then throws it as an APIError with the response headers', async () => {
    const reader = readerOf([`data: ${chunk('a')}\n\ndata: {"error":{"message":"boom"}}\n\ndata: ${chunk('b')}\n\n`]);
    expect(contents([await reader.next()])).toEqual(['a']);
    const error = await reader.next().catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(APIError);
    expect((error as APIError).status).toBeUndefined();
    expect((error as APIError).headers?.get('x-request-id')).toBe('req_1');
  });

  it('throws on data that is not JSON, after the chunks before it', async () => {
    const reader = readerOf([`data: ${chunk('a')}\n\ndata: {not json\n\n`]);
    expect(contents([await reader.next()])).toEqual(['a']);
    await expect(reader.next()).rejects.toBeInstanceOf(SyntaxError);
  });

  it('ends, with idle set, when nothing arrives for idleTimeoutMs while it waits', async () => {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(`data: ${chunk('a')}\n\n`));
      },
    });
    const reader = new GroqChunkReader(new Response(body), 100);
    readers.push(reader);
    const started = Date.now();
    expect(contents(await all(reader))).toEqual(['a']);
    expect(reader.idle).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
  });

  it('does not count the time the consumer takes with a chunk as idle', async () => {
    const reader = readerOf([`data: ${chunk('a')}\n\n`, `data: ${chunk('b')}\n\n`], 100);
    expect(contents([await reader.next()])).toEqual(['a']);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(contents(await all(reader))).toEqual(['b']);
    expect(reader.idle).toBe(false);
  });
});
