import type { z } from 'zod';
import type { errorPayloadSchema } from './schemas.js';

/**
 * Every error code the protocol can carry, in HTTP bodies, SSE/WS `error` events and WS error frames.
 * A client switches on `code`; `message` is for people.
 */
export const ERROR_CODES = [
  'invalid_json',
  'invalid_request',
  'invalid_model',
  'payload_too_large',
  'not_found',
  'method_not_allowed',
  'unauthorized',
  'forbidden',
  'idempotency_conflict',
  'rate_limited',
  'overloaded',
  'cancelled',
  'interrupted',
  'upstream_auth',
  'upstream_rate_limited',
  'upstream_unavailable',
  'upstream_timeout',
  'upstream_error',
  'internal',
] as const;

/** A protocol error code. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** The HTTP status that goes with each code when it is answered over HTTP. */
export const ERROR_STATUS = {
  invalid_json: 400,
  invalid_request: 400,
  invalid_model: 400,
  payload_too_large: 413,
  not_found: 404,
  method_not_allowed: 405,
  unauthorized: 401,
  forbidden: 403,
  idempotency_conflict: 422,
  rate_limited: 429,
  overloaded: 503,
  cancelled: 409,
  interrupted: 503,
  upstream_auth: 502,
  upstream_rate_limited: 429,
  upstream_unavailable: 503,
  upstream_timeout: 504,
  upstream_error: 502,
  internal: 500,
} as const satisfies Record<ErrorCode, number>;

/** Whether retrying the same request later can succeed, per code. */
export const ERROR_RETRYABLE = {
  invalid_json: false,
  invalid_request: false,
  invalid_model: false,
  payload_too_large: false,
  not_found: false,
  method_not_allowed: false,
  unauthorized: false,
  forbidden: false,
  idempotency_conflict: false,
  rate_limited: true,
  overloaded: true,
  cancelled: false,
  interrupted: true,
  upstream_auth: false,
  upstream_rate_limited: true,
  upstream_unavailable: true,
  upstream_timeout: true,
  upstream_error: true,
  internal: false,
} as const satisfies Record<ErrorCode, boolean>;

/** True when `value` is a known {@link ErrorCode}. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

/** The error object carried by HTTP error bodies and WS error frames: `{code, message, retryable, retry_after_ms?}`. */
export type ErrorPayload = z.infer<typeof errorPayloadSchema>;

/** Body of every HTTP error response: `{"error":{"code","message","retryable"}}`. */
export interface ErrorBody {
  error: ErrorPayload;
}
