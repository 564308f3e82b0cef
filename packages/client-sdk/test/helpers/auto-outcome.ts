/*
 * What an auto-mode chat came to, in a form both Node tests and a browser page can produce (this file imports types
 * only, so the browser test bundles it into its page as is) and that one `toEqual` can check.
 */
import type { ChatStream, Fallback } from '../../src/index.js';

/** How one chat stream ended, as plain data. */
export interface AutoOutcome {
  text: string;
  /** The seq of every event the stream yielded, in order. */
  seqs: number[];
  mode: string;
  fallbacks: Fallback[];
  timeToFirstTokenMs: number | undefined;
  /** `code: message` of what the stream threw, if it did. */
  error: string | undefined;
}

/** Reads `stream` to its end. */
export async function readOutcome(stream: ChatStream): Promise<AutoOutcome> {
  let text = '';
  const seqs: number[] = [];
  let error: string | undefined;
  try {
    for await (const event of stream) {
      seqs.push(event.seq);
      if (event.type === 'token') text += event.text;
    }
  } catch (caught) {
    const { code, message } = caught as { code?: unknown; message?: unknown };
    error = `${String(code)}: ${String(message)}`;
  }
  const { mode, fallbacks, timeToFirstTokenMs } = stream.stats;
  return { text, seqs, mode, fallbacks: [...fallbacks], timeToFirstTokenMs, error };
}

/** The longest a fallback may delay the first token (issue 14): detection must not cost the user more than this. */
export const FIRST_TOKEN_WITHIN_MS = 4000;

/**
 * What a test compares with `toEqual`: `text` is `'exact'` when it is exactly `expectedText` (else the text received),
 * `seqs` is `'gapless'` when they run `after + 1, after + 2, ...` with none missing or repeated, and
 * `firstTokenInTime` is true when the first token came within {@link FIRST_TOKEN_WITHIN_MS} (else the time it took).
 */
export function verdictOf(outcome: AutoOutcome, expectedText: string, after = -1) {
  const gapless = outcome.seqs.every((seq, index) => seq === after + 1 + index);
  const firstToken = outcome.timeToFirstTokenMs;
  return {
    text: outcome.text === expectedText ? 'exact' : outcome.text,
    seqs: gapless ? 'gapless' : outcome.seqs.join(','),
    mode: outcome.mode,
    fallbacks: outcome.fallbacks,
    firstTokenInTime: firstToken !== undefined && firstToken <= FIRST_TOKEN_WITHIN_MS ? true : firstToken,
    error: outcome.error,
  };
}
