import { ERROR_RETRYABLE, ERROR_STATUS, isErrorCode, type ErrorCode, type ErrorPayload } from '@chatwire/protocol';

/**
 * Codes only the client produces, for failures that never reached the protocol:
 * - `network`: the server could not be reached, or a connection broke and could not be resumed (retryable).
 * - `bad_response`: the server answered something that is not the chatwire protocol (a wrong URL, a proxy's page).
 */
export const CLIENT_ERROR_CODES = ['network', 'bad_response'] as const;

/** One of {@link CLIENT_ERROR_CODES}. */
export type ClientErrorCode = (typeof CLIENT_ERROR_CODES)[number];

/** What {@link ChatError.code} can be: a protocol {@link ErrorCode} or a {@link ClientErrorCode}. */
export type ChatErrorCode = ErrorCode | ClientErrorCode;

const CLIENT_RETRYABLE = { network: true, bad_response: false } as const satisfies Record<ClientErrorCode, boolean>;

/** Options of {@link ChatError}. */
export interface ChatErrorOptions {
  /** HTTP status; defaults to the protocol's status for the code, 0 (no response) for client codes. */
  status?: number;
  /** Overrides the code's default retryability. */
  retryable?: boolean;
  /** How long to wait before retrying, when the server said so. */
  retryAfterMs?: number;
  /** The run the error ended, when there was one. */
  runId?: string;
  /** The underlying error. */
  cause?: unknown;
}

/**
 * The client's one error type, thrown by a chat stream's iterator, `text()` and `result()`. Switch on `code`; `message`
 * is the server's human-readable text (or the client's), never a secret.
 *
 * @example
 * try {
 *   await client.chat({ mode: 'sse', message: 'Hi' }).text();
 * } catch (error) {
 *   if (isChatError(error) && error.retryable) setTimeout(retry, error.retryAfterMs ?? 1000);
 * }
 */
export class ChatError extends Error {
  override readonly name = 'ChatError';
  readonly code: ChatErrorCode;
  /** HTTP status of the failure; 0 when there was no HTTP response (network failures, WS-only errors use the code's status). */
  readonly status: number;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly runId: string | undefined;

  constructor(code: ChatErrorCode, message: string, options: ChatErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status ?? (isErrorCode(code) ? ERROR_STATUS[code] : 0);
    this.retryable = options.retryable ?? (isErrorCode(code) ? ERROR_RETRYABLE[code] : CLIENT_RETRYABLE[code]);
    this.retryAfterMs = options.retryAfterMs;
    this.runId = options.runId;
  }

  /** Builds the error a protocol error payload (HTTP body, WS error frame, `error` event) describes. */
  static fromPayload(payload: ErrorPayload, options: Omit<ChatErrorOptions, 'retryable'> = {}): ChatError {
    const retryAfterMs = payload.retry_after_ms ?? options.retryAfterMs;
    return new ChatError(payload.code, payload.message, {
      ...options,
      retryable: payload.retryable,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  }
}

/** True for a {@link ChatError}, also one from another copy of this package (ESM and CJS side by side). */
export function isChatError(error: unknown): error is ChatError {
  return (
    error instanceof ChatError ||
    (error instanceof Error && error.name === 'ChatError' && typeof (error as { code?: unknown }).code === 'string')
  );
}

/** The error a cancelled stream ends with, whoever cancelled it. */
export function cancelledError(runId?: string): ChatError {
  return new ChatError('cancelled', 'the run was cancelled', runId === undefined ? {} : { runId });
}

/** True when `payload` has the shape of a protocol {@link ErrorPayload}. */
export function isErrorPayload(payload: unknown): payload is ErrorPayload {
  if (typeof payload !== 'object' || payload === null) return false;
  const record = payload as Record<string, unknown>;
  return isErrorCode(record.code) && typeof record.message === 'string' && typeof record.retryable === 'boolean';
}
