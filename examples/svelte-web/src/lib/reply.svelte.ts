import { isChatError, type ChatMode, type ChatStats, type ChatStream } from '@chatwire/client-sdk';

/** Where an answer stands, as the UI shows it. */
export type ReplyStatus = 'waiting' | 'streaming' | 'done' | 'error' | 'cancelled';

/** A copy of the SDK's live stats, so Svelte sees each change as a new value. */
export type StatsSnapshot = { -readonly [K in keyof ChatStats]: ChatStats[K] };

/**
 * One assistant answer being received. Its fields are reactive, and only the component showing this answer reads them,
 * so a streaming answer updates its own bubble and nothing else in the history.
 */
export class Reply {
  /** The mode asked for (`auto` included); {@link stats} says which transport delivered it. */
  readonly mode: ChatMode;
  text = $state('');
  status = $state<ReplyStatus>('waiting');
  runId = $state<string | undefined>(undefined);
  model = $state<string | undefined>(undefined);
  error = $state<string | undefined>(undefined);
  /** The failure's `ChatError` code (`internal` for anything else), when {@link status} is `error`. */
  errorCode = $state<string | undefined>(undefined);
  stats = $state<StatsSnapshot | undefined>(undefined);
  #stream: ChatStream | undefined;

  constructor(mode: ChatMode) {
    this.mode = mode;
  }

  get active(): boolean {
    return this.status === 'waiting' || this.status === 'streaming';
  }

  /** Stops the run on the server (the SDK sends the mode's cancel); the stream then ends as `cancelled`. */
  stop(): void {
    if (!this.active) return;
    void this.#stream?.cancel().catch(() => undefined);
  }

  /** Back to `waiting` with nothing received, to follow a new stream for the same message. */
  reset(): void {
    this.text = '';
    this.status = 'waiting';
    this.runId = undefined;
    this.model = undefined;
    this.error = undefined;
    this.errorCode = undefined;
    this.stats = undefined;
  }

  /**
   * Reads `stream` to its end into this reply. Tokens are gathered and applied once per animation frame, so a model
   * sending a thousand tokens a second costs one markdown render per frame, not one per token.
   */
  async follow(stream: ChatStream): Promise<void> {
    this.#stream = stream;
    let pending = '';
    let frame = 0;
    const flush = (): void => {
      frame = 0;
      if (pending !== '') {
        this.text += pending;
        pending = '';
      }
      this.stats = { ...stream.stats };
    };
    const schedule = (): void => {
      if (frame === 0) frame = requestAnimationFrame(flush);
    };
    try {
      for await (const event of stream) {
        switch (event.type) {
          case 'start':
            this.runId = event.id;
            this.model = event.model;
            this.status = 'streaming';
            schedule();
            break;
          case 'token':
            pending += event.text;
            schedule();
            break;
          case 'done':
            this.status = 'done';
            break;
        }
      }
      if (this.active) this.status = 'done';
    } catch (error) {
      // The run's own `error` event (a cancel included) arrives here as a ChatError.
      if (isChatError(error)) this.#fail(error.code, error.message);
      else this.#fail('internal', error instanceof Error ? error.message : String(error));
    } finally {
      if (frame !== 0) cancelAnimationFrame(frame);
      flush();
      this.#stream = undefined;
    }
  }

  #fail(code: string, message: string): void {
    if (code === 'cancelled') {
      this.status = 'cancelled';
      this.error = undefined;
    } else {
      this.status = 'error';
      this.error = message;
      this.errorCode = code;
    }
  }
}
