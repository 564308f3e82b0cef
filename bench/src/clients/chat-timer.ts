/**
 * Tokens closer together than this arrived as one delivery (one read, one burst of the model): a gap is a pause of at
 * least this long between deliveries. Without it the many zero gaps inside bursts would hide long stalls from p99.
 */
export const BURST_MS = 1;

/** Where inter-token gaps go; a ramp step keeps only those inside its measurement window. */
export interface GapSink {
  add(at: number, gapMs: number): void;
}

/** What one chat gave. */
export interface ChatRecord {
  /** From the chat's first byte sent (connection setup included) to its first token; absent when it failed first. */
  ttftMs?: number;
  totalMs: number;
  /** Tokens of the answer (the model's count, so merged token events still count each token). */
  tokens: number;
  error?: string;
}

/**
 * Times one chat on the load generator's clock. Token events that arrive in one read share one timestamp, so a gap
 * is the time between two deliveries of tokens, whatever the framing.
 */
export class ChatTimer {
  readonly startedAt: number;
  private first: number | undefined;
  private last: number | undefined;

  constructor(
    private readonly gaps: GapSink | undefined,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.startedAt = now();
  }

  /** A token event arrived at `at` (default: now). */
  token(at: number = this.now()): void {
    if (this.first === undefined) this.first = at;
    else if (this.last !== undefined && at - this.last >= BURST_MS) this.gaps?.add(at, at - this.last);
    this.last = at;
  }

  /** The chat ended with `tokens` tokens. */
  finish(tokens: number): ChatRecord {
    const record: ChatRecord = { totalMs: this.now() - this.startedAt, tokens };
    if (this.first !== undefined) record.ttftMs = this.first - this.startedAt;
    return record;
  }

  /** The chat failed. */
  fail(error: unknown): ChatRecord {
    const record = this.finish(0);
    record.error = error instanceof Error ? error.message : String(error);
    return record;
  }
}
