import { parseAfterSeq } from '@chatwire/protocol';
import { ChatError } from '../chat-error.js';

/** The one value of query parameter `name` (null when absent); given more than once, `invalid_request`. */
export function queryValue(query: URLSearchParams, name: string): string | null {
  const values = query.getAll(name);
  if (values.length > 1) throw new ChatError('invalid_request', `${name}: must be given once`);
  return values[0] ?? null;
}

/** Reads `?after=SEQ`: undefined when absent, a seq >= -1, or `invalid_request`. */
export function afterParameter(value: string | null): number | undefined {
  if (value === null) return undefined;
  const after = parseAfterSeq(value);
  if (after === undefined) throw new ChatError('invalid_request', 'after: must be an integer >= -1');
  return after;
}

/** Reads `?linger=MS`: the server's window, or less when the client asks for less (0: answer at once). */
export function lingerParameter(value: string | null, maxMs: number): number {
  if (value === null) return maxMs;
  if (!/^\d{1,6}$/.test(value)) throw new ChatError('invalid_request', 'linger: must be milliseconds (0 or more)');
  return Math.min(Number(value), maxMs);
}

/** Reads `?wait=SECONDS` in milliseconds; more than the server's cap is clamped to it, so clients need not know it. */
export function waitParameter(value: string | null, maxSeconds: number): number {
  if (value === null) return 0;
  const seconds = /^\d{1,6}(\.\d+)?$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isFinite(seconds))
    throw new ChatError('invalid_request', 'wait: must be a number of seconds (0 or more)');
  return Math.round(Math.min(seconds, maxSeconds) * 1000);
}
