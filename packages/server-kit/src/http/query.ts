import { parseAfterSeq } from '@chatwire/protocol';
import { ChatError } from '../chat-error.js';

/** Reads `?after=SEQ`: undefined when absent, a seq >= -1, or `invalid_request`. */
export function afterParameter(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const after = typeof value === 'string' ? parseAfterSeq(value) : undefined;
  if (after === undefined) throw new ChatError('invalid_request', 'after: must be an integer >= -1');
  return after;
}

/** Reads `?wait=SECONDS` in milliseconds; more than the server's cap is clamped to it, so clients need not know it. */
export function waitParameter(value: unknown, maxSeconds: number): number {
  if (value === undefined) return 0;
  const seconds = typeof value === 'string' && /^\d{1,6}(\.\d+)?$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isFinite(seconds))
    throw new ChatError('invalid_request', 'wait: must be a number of seconds (0 or more)');
  return Math.round(Math.min(seconds, maxSeconds) * 1000);
}
