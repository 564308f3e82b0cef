import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'groq-sdk';
import { ChatError } from '../chat-error.js';

// Statuses worth one more try before the first token: timeouts, conflicts, rate limits and server errors.
const RETRYABLE_STATUSES = new Set([408, 409, 429, 500, 502, 503, 504]);

/** Milliseconds before retrying `error`, or `undefined` when it must not be retried. */
export function retryDelay(
  error: unknown,
  failure: ChatError,
  retry: number,
  maxRetryAfterMs: number,
): number | undefined {
  const retryable =
    (error instanceof APIError && error.status !== undefined && RETRYABLE_STATUSES.has(error.status)) ||
    (error instanceof APIConnectionError && !(error instanceof APIConnectionTimeoutError));
  if (!retryable) return undefined;
  return failure.retryAfterMs ?? Math.min(maxRetryAfterMs, Math.round(500 * 2 ** retry * (1 - Math.random() * 0.25)));
}

/** Turns anything the SDK or the stream threw into a client-safe ChatError; the original goes in `cause`. */
export function toChatError(error: unknown, model: string): ChatError {
  if (error instanceof ChatError) return error;
  const cause = { cause: error };
  if (error instanceof APIConnectionTimeoutError) {
    return new ChatError('upstream_timeout', 'Groq did not answer in time', cause);
  }
  if (error instanceof APIConnectionError) {
    return new ChatError('upstream_unavailable', 'Groq could not be reached', cause);
  }
  if (error instanceof APIError && error.status === undefined) {
    return new ChatError('upstream_error', 'Groq reported an error during the answer', cause);
  }
  if (error instanceof APIError) {
    const { status, headers } = error as APIError<number, Headers | undefined>;
    const detail = errorDetail(error.error);
    if (detail.code === 'model_not_found' || detail.code === 'model_decommissioned' || status === 404) {
      return new ChatError('invalid_model', `the model "${model}" is not available on Groq`, cause);
    }
    const retryAfterMs = parseRetryAfter(headers, detail.type);
    const retry = retryAfterMs === undefined ? {} : { retryAfterMs };
    if (status === 429) {
      const when = retryAfterMs === undefined ? 'retry later' : `retry in ${formatDuration(retryAfterMs)}`;
      return new ChatError('upstream_rate_limited', `Groq rate limit reached; ${when}`, { ...cause, ...retry });
    }
    if (status === 401 || status === 403) {
      return new ChatError('upstream_auth', "Groq refused the server's API key", cause);
    }
    if (status === 408) return new ChatError('upstream_timeout', 'Groq did not answer in time', { ...cause, ...retry });
    if (status === 413) {
      return new ChatError('payload_too_large', 'the request is too large for this Groq model', cause);
    }
    if (status === 400 || status === 422) {
      return new ChatError('invalid_request', 'Groq rejected the request as invalid', cause);
    }
    if (status >= 500) {
      return new ChatError('upstream_unavailable', 'Groq is unavailable; try again shortly', { ...cause, ...retry });
    }
    return new ChatError('upstream_error', `Groq answered with status ${status}`, cause);
  }
  // undici reports a connection lost mid-body as a TypeError ("terminated"), which the SDK does not wrap.
  if (error instanceof TypeError) {
    return new ChatError('upstream_unavailable', 'the connection to Groq was lost', cause);
  }
  return new ChatError('upstream_error', 'Groq sent an answer that could not be read', cause);
}

/** Groq's error body is `{"error":{...}}` on HTTP errors and the inner object for errors inside a stream. */
function errorDetail(body: unknown): { code?: string; type?: string } {
  const outer = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const inner =
    typeof outer.error === 'object' && outer.error !== null ? (outer.error as Record<string, unknown>) : outer;
  const detail: { code?: string; type?: string } = {};
  if (typeof inner.code === 'string') detail.code = inner.code;
  if (typeof inner.type === 'string') detail.type = inner.type;
  return detail;
}

/**
 * Reads how long Groq asks to wait: `retry-after-ms`, `retry-after` (seconds or a date), or else the reset time of
 * the exhausted limit (`x-ratelimit-reset-tokens: 7.66s`, `x-ratelimit-reset-requests: 2m59.56s`).
 */
function parseRetryAfter(headers: Headers | undefined, limitType?: string): number | undefined {
  if (!headers) return undefined;
  const milliseconds = Number.parseFloat(headers.get('retry-after-ms') ?? '');
  if (milliseconds >= 0) return Math.ceil(milliseconds);
  const retryAfter = headers.get('retry-after')?.trim();
  if (retryAfter && /^\d+(\.\d+)?$/.test(retryAfter)) return Math.ceil(Number(retryAfter) * 1000);
  if (retryAfter && !Number.isNaN(Date.parse(retryAfter))) return Math.max(0, Date.parse(retryAfter) - Date.now());
  const tokens = parseDuration(headers.get('x-ratelimit-reset-tokens'));
  const requests = parseDuration(headers.get('x-ratelimit-reset-requests'));
  if (limitType === 'tokens' && tokens !== undefined) return tokens;
  if (limitType === 'requests' && requests !== undefined) return requests;
  // Not knowing which limit ran out, wait for both.
  return tokens === undefined && requests === undefined ? undefined : Math.max(tokens ?? 0, requests ?? 0);
}

/** Parses Go-style durations such as `525ms`, `7.66s`, `2m59.56s` or `1h2m` into milliseconds. */
function parseDuration(text: string | null | undefined): number | undefined {
  const value = text?.trim() ?? '';
  if (!/^(\d+(\.\d+)?(ms|h|m|s))+$/.test(value)) return undefined;
  const unitMs: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  for (const [, amount, , unit] of value.matchAll(/(\d+(\.\d+)?)(ms|h|m|s)/g)) {
    total += Number(amount) * (unitMs[unit ?? ''] ?? 0);
  }
  return Math.ceil(total);
}

/** `525 ms`, `8 s`, `3 min`: a wait said for people. */
export function formatDuration(milliseconds: number): string {
  if (milliseconds < 1000) return `${milliseconds} ms`;
  if (milliseconds < 120_000) return `${Math.ceil(milliseconds / 1000)} s`;
  return `${Math.ceil(milliseconds / 60_000)} min`;
}
