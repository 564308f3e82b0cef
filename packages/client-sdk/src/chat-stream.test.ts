import type { RunEvent } from '@chatwire/protocol';
import { describe, expect, it } from 'vitest';
import { createChatStream, type ChatStream } from './chat-stream.js';
import { createEventQueue } from './event-queue.js';
import type { Transport, TransportContext } from './transport.js';

const start: RunEvent = { id: 'run1', seq: 0, type: 'start', model: 'm', created_at: '2025-01-01T00:00:00.000Z' };
const token = (seq: number, text: string): RunEvent => ({ id: 'run1', seq, type: 'token', text });
const done = (seq: number): RunEvent => ({
  id: 'run1',
  seq,
  type: 'done',
  finish_reason: 'stop',
  usage: { prompt_tokens: 1, completion_tokens: seq - 1, total_tokens: seq },
});

/** A transport fed by the test; `cancels` records what the stream asked to cancel. */
function fakeTransport(options: { cancellable?: boolean } = {}) {
  const queue = createEventQueue<RunEvent>();
  const cancels: string[] = [];
  const cancelSignals: AbortSignal[] = [];
  let context: TransportContext | undefined;
  const transport: Transport = {
    mode: 'sse',
    start(_request, given) {
      context = given;
      given.signal.addEventListener('abort', () => queue.fail(given.signal.reason));
      return queue;
    },
  };
  if (options.cancellable !== false) {
    transport.cancel = async (id, given) => {
      cancels.push(id);
      cancelSignals.push(given.signal);
    };
  }
  return { transport, queue, cancels, cancelSignals, context: () => context };
}

function streamOf(fake: ReturnType<typeof fakeTransport>, cancelTimeoutMs = 5000): ChatStream {
  return createChatStream({
    transport: fake.transport,
    open: (context) => fake.transport.start({ message: 'hi' }, context),
    after: -1,
    now: () => performance.now(),
    cancelTimeoutMs,
  });
}

describe('createChatStream', () => {
  it('drops events it already has, so a resume overlap yields nothing twice', async () => {
    const fake = fakeTransport();
    const stream = streamOf(fake);
    for (const event of [start, token(1, 'a'), token(1, 'a'), token(2, 'b'), start, token(2, 'b'), done(3)])
      fake.queue.push(event);
    expect(await stream.text()).toBe('ab');
    expect(stream.stats.tokens).toBe(2);
  });

  it('fails with bad_response when an event is missing, instead of returning a wrong text', async () => {
    const fake = fakeTransport();
    const stream = streamOf(fake);
    for (const event of [start, token(1, 'a'), done(3)]) fake.queue.push(event);
    await expect(stream.text()).rejects.toMatchObject({ code: 'bad_response' });
  });

  it('takes tokens merged for a reader that fell behind, which skip seqs, but never one before the start', async () => {
    const fake = fakeTransport();
    const stream = streamOf(fake);
    for (const event of [start, token(2, 'ab'), token(3, 'c'), token(6, 'def'), done(7)]) fake.queue.push(event);
    expect(await stream.text()).toBe('abcdef');
    const early = fakeTransport();
    early.queue.push(token(1, 'a'));
    await expect(streamOf(early).text()).rejects.toMatchObject({ code: 'bad_response' });
  });

  it('throws the run error event as a ChatError, after the events before it', async () => {
    const fake = fakeTransport();
    const stream = streamOf(fake);
    fake.queue.push(start);
    fake.queue.push(token(1, 'partial'));
    fake.queue.push({
      id: 'run1',
      seq: 2,
      type: 'error',
      code: 'upstream_timeout',
      message: 'slow',
      retryable: true,
      retry_after_ms: 10,
    });
    const seen: string[] = [];
    const error = await (async () => {
      for await (const event of stream) seen.push(event.type);
    })().catch((caught: unknown) => caught);
    expect(seen).toEqual(['start', 'token']);
    expect(error).toMatchObject({
      code: 'upstream_timeout',
      status: 504,
      retryable: true,
      retryAfterMs: 10,
      runId: 'run1',
    });
  });

  it('asks the transport to cancel once the run id is known, and ends with the cancelled event', async () => {
    const fake = fakeTransport();
    const stream = streamOf(fake);
    const cancelled = stream.cancel();
    expect(fake.cancels).toEqual([]);
    fake.queue.push(start);
    await Promise.resolve();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(fake.cancels).toEqual(['run1']);
    fake.queue.push({
      id: 'run1',
      seq: 1,
      type: 'error',
      code: 'cancelled',
      message: 'the run was cancelled',
      retryable: false,
    });
    await cancelled;
    await expect(stream.result()).rejects.toMatchObject({ code: 'cancelled' });
  });

  it('ends a cancelled stream locally when the server never confirms', async () => {
    const fake = fakeTransport();
    const stream = streamOf(fake, 20);
    fake.queue.push(start);
    await stream.cancel();
    expect(fake.context()?.signal.aborted).toBe(true);
    await expect(stream.text()).rejects.toMatchObject({ code: 'cancelled', runId: 'run1' });
    // It stopped waiting, but did not withdraw the cancel request: a slow server still gets it.
    expect(fake.cancelSignals.map((signal) => signal.aborted)).toEqual([false]);
  });

  it('aborts at once a transport that cannot cancel by id (sync)', async () => {
    const fake = fakeTransport({ cancellable: false });
    const stream = streamOf(fake);
    await stream.cancel();
    expect(fake.context()?.signal.aborted).toBe(true);
    await expect(stream.text()).rejects.toMatchObject({ code: 'cancelled' });
  });
});
