import { isChatError, type ChatStats, type ChatStream, type Mode } from '@chatwire/client-sdk';
import { isActive, type ReplyStatus, type ShownReply } from './shown-reply';

/** A copy of the SDK's live stats, so Svelte sees each change as a new value. */
export type StatsSnapshot = { -readonly [K in keyof ChatStats]: ChatStats[K] };

/**
 * One column of the Compare view: a one-off chat in one mode, with its stats live while it streams (what the view
 * charts). The chat view's conversation is a `ChatSession` instead; this is the single answer the four columns race.
 */
export class CompareReply implements ShownReply {
  readonly mode: Mode;
  text = $state('');
  status = $state<ReplyStatus>('waiting');
  runId = $state<string | undefined>(undefined);
  model = $state<string | undefined>(undefined);
  error = $state<string | undefined>(undefined);
  /** The failure's `ChatError` code (`internal` for anything else), when {@link status} is `error`. */
  errorCode = $state<string | undefined>(undefined);
  stats = $state<StatsSnapshot | undefined>(undefined);
  #stream: ChatStream | undefined;

  constructor(mode: Mode) {
    this.mode = mode;
  }

  get active(): boolean {
    return isActive(this.status);
  }

  /** Stops the run on the server (the SDK sends the mode's cancel); the stream then ends as `stopped`. */
  stop(): void {
    if (!this.active) return;
    void this.#stream?.cancel().catch(() => undefined);
  }

  /** Back to `waiting` with nothing received, to follow a new stream for the same prompt. */
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
   * Reads `stream` to its end into this reply. Tokens are gathered and applied once per animation frame, with a copy
   * of the stats, so four columns streaming a thousand tokens a second cost four updates per frame.
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
            // The whole text is on screen before the status says so.
            flush();
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
      this.status = 'stopped';
      this.error = undefined;
    } else {
      this.status = 'error';
      this.error = message;
      this.errorCode = code;
    }
  }
}
