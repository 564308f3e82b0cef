import { parseAfterSeq } from '@chatwire/protocol';
import { ChatError } from '../chat-error.js';

/** Reads `?after=SEQ`: undefined when absent, a seq >= -1, or `invalid_request`. */
export function afterParameter(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const after = typeof value === 'string' ? parseAfterSeq(value) : undefined;
  if (after === undefined) throw new ChatError('invalid_request', 'after: must be an integer >= -1');
  return after;
}

/** Reads `?wait=SECONDS` (0..max), in milliseconds. */
export function waitParameter(value: unknown, maxSeconds: number): number {
  if (value === undefined) return 0;
  const seconds = typeof value === 'string' && /^\d+(\.\d+)?$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isFinite(seconds) || seconds > maxSeconds) {
    throw new ChatError('invalid_request', `wait: must be a number of seconds between 0 and ${maxSeconds}`);
  }
  return Math.round(seconds * 1000);
}
