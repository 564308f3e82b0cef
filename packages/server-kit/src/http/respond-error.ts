import type { ErrorBody } from '@chatwire/protocol';
import type { Context } from 'koa';
import type { ChatError } from '../chat-error.js';

/** Answers an HTTP request with the protocol's error body, its status and `Retry-After` when known. */
export function respondError(ctx: Context, error: ChatError): void {
  ctx.status = error.status;
  if (error.retryAfterMs !== undefined)
    ctx.set('Retry-After', String(Math.max(1, Math.ceil(error.retryAfterMs / 1000))));
  const body: ErrorBody = { error: error.toPayload() };
  ctx.body = body;
}
