import { ERROR_RETRYABLE, ERROR_STATUS, type ErrorCode, type ErrorPayload } from '@chatwire/protocol';

/** Options of {@link ChatError}. */
export interface ChatErrorOptions {
  /** Overrides the code's default in {@link ERROR_RETRYABLE}. */
  retryable?: boolean;
  /** How long a client should wait before retrying (sent as `Retry-After` / `retry_after_ms`). */
  retryAfterMs?: number;
  /** The underlying error; never sent to a client. */
  cause?: unknown;
}

/**
 * The server's one error type. `message` is safe to show a client (no internals, no secrets); `cause` keeps the
 * original for logs.
 *
 * @example
 * throw new ChatError('invalid_model', 'unknown model "x"; valid ids: a, b');
 */
export class ChatError extends Error {
  override readonly name = 'ChatError';
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;

  constructor(code: ErrorCode, message: string, options: ChatErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.retryable = options.retryable ?? ERROR_RETRYABLE[code];
    this.retryAfterMs = options.retryAfterMs;
  }

  /** The wire form: `{code, message, retryable, retry_after_ms?}`. */
  toPayload(): ErrorPayload {
    const payload: ErrorPayload = { code: this.code, message: this.message, retryable: this.retryable };
    if (this.retryAfterMs !== undefined) payload.retry_after_ms = this.retryAfterMs;
    return payload;
  }

  /** Wraps anything thrown into a ChatError; unknown errors become `internal` with a generic message. */
  static from(error: unknown, fallback: ErrorCode = 'internal'): ChatError {
    if (error instanceof ChatError) return error;
    return new ChatError(fallback, fallback === 'internal' ? 'internal server error' : 'upstream error', {
      cause: error,
    });
  }
}
