import { APIError } from 'groq-sdk';
import type { ChatCompletionChunk } from 'groq-sdk/resources/chat/completions';

// A line ends at CRLF, LF or CR (the SSE spec); a CR last in the text may be the first half of a CRLF.
const LINE_END = /\r\n|\r|\n/g;

/**
 * Reads the chunks of a streamed chat completion from its raw response, with the semantics of groq-sdk's `Stream`:
 * `data` lines joined, nothing after `[DONE]`, an `error` object becomes an `APIError` (after the chunks before it),
 * an aborted request ends the stream quietly, an event without its closing blank line is dropped.
 *
 * The SDK reads through four async generators that copy the bytes and rebuild each event; a stream held open for
 * minutes keeps a pending promise in each of them, renewed per token, which the garbage collector promotes and
 * collects late (measured: about 1.5× the RSS per held stream at 2,000 streams). Here a held stream waits on one read.
 *
 * The idle timer counts only the waits for Groq, not the time the consumer takes with a chunk; it is one timer for
 * the whole stream, re-armed per read, and when it fires the body is cancelled, which closes the connection.
 */
export class GroqChunkReader {
  /** True once the idle timer cut the stream. */
  idle = false;
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();
  private readonly queue: ChatCompletionChunk[] = [];
  private failure: { error: unknown } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private waiting = false;
  private ended = false;
  private finished = false;
  private rest = '';
  private event: string | undefined;
  private data: string | undefined;

  constructor(
    private readonly response: Response,
    private readonly idleTimeoutMs: number,
  ) {
    if (!response.body) throw new Error('Groq answered without a body');
    this.reader = response.body.getReader() as ReadableStreamDefaultReader<Uint8Array>;
  }

  /**
   * The next chunk already read, or `undefined` when there is none: then the stream is over ({@link done}) or needs a
   * {@link read}. Throws the stream's error (an `error` event, a bad chunk) once the chunks before it are taken.
   */
  take(): ChatCompletionChunk | undefined {
    const chunk = this.queue.shift();
    if (chunk === undefined && this.failure) throw this.failure.error;
    return chunk;
  }

  /** True once the body is read to its end, or the idle timer or an abort cut it, and every chunk is taken. */
  get done(): boolean {
    return this.ended && this.queue.length === 0 && !this.failure;
  }

  /**
   * Reads once from the body (a wait for Groq, under the idle timer) and queues the chunks it completes. Not an async
   * function: a held stream waits in this read's promise, without a suspended frame of the reader's own.
   */
  read(): Promise<void> {
    this.waiting = true;
    if (this.timer) this.timer.refresh();
    else this.timer = setTimeout(() => this.onIdle(), this.idleTimeoutMs);
    return this.reader.read().then(this.received, this.failed);
  }

  /** The next chunk, or `undefined` at the end of the stream (or once the idle timer or an abort cut it). */
  async next(): Promise<ChatCompletionChunk | undefined> {
    for (;;) {
      const chunk = this.take();
      if (chunk !== undefined || this.done) return chunk;
      await this.read();
    }
  }

  /** Stops the idle timer and, unless the body was read to its end, cancels it (closing the connection). */
  close(): void {
    clearTimeout(this.timer);
    if (this.ended) return;
    this.ended = true;
    this.reader.cancel().catch(() => {});
  }

  // Made once per reader, not once per read.
  private readonly received = (result: ReadableStreamReadResult<Uint8Array>): void => {
    this.waiting = false;
    if (this.idle) {
      this.ended = true;
    } else if (result.done) {
      this.ended = true;
      this.lines(this.decoder.decode(), true);
    } else {
      this.lines(this.decoder.decode(result.value, { stream: true }), false);
    }
  };

  private readonly failed = (error: unknown): void => {
    this.waiting = false;
    // The SDK's stream ends without an error when its request is aborted.
    if (!isAbortError(error)) throw error;
    this.ended = true;
  };

  private onIdle(): void {
    // The consumer is busy with a chunk: that time does not count, and the next read re-arms the timer.
    if (!this.waiting || this.ended) return;
    this.idle = true;
    this.reader.cancel().catch(() => {});
  }

  private lines(text: string, last: boolean): void {
    const buffer = this.rest + text;
    let start = 0;
    LINE_END.lastIndex = 0;
    for (let match = LINE_END.exec(buffer); match; match = LINE_END.exec(buffer)) {
      if (!last && match[0] === '\r' && match.index === buffer.length - 1) break;
      this.line(buffer.slice(start, match.index));
      start = LINE_END.lastIndex;
    }
    this.rest = last ? '' : buffer.slice(start);
  }

  private line(line: string): void {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data = this.data === undefined ? value : `${this.data}\n${value}`;
  }

  private dispatch(): void {
    const { event, data = '' } = this;
    if (!event && this.data === undefined) return;
    this.event = undefined;
    this.data = undefined;
    // Chat completions send no `thread.*` events (the Assistants API's), which the SDK would pass on unparsed.
    if (this.finished || this.failure || event?.startsWith('thread.')) return;
    if (data.startsWith('[DONE]')) {
      this.finished = true;
      return;
    }
    try {
      const chunk = JSON.parse(data) as ChatCompletionChunk & { error?: unknown };
      if (chunk?.error) throw new APIError(undefined, chunk.error as object, undefined, this.response.headers);
      this.queue.push(chunk);
    } catch (error) {
      this.failure = { error };
    }
  }
}

function isAbortError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'AbortError';
}
