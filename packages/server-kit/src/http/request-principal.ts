import type { Context } from 'koa';
import { ChatError } from '../chat-error.js';
import type { Principal } from '../principal.js';

/** The principal the kit's auth middleware attached to this request. */
export function requestPrincipal(ctx: Context): Principal {
  const principal = (ctx.state as { chatwirePrincipal?: Principal }).chatwirePrincipal;
  if (!principal) throw new ChatError('internal', 'no principal on the request');
  return principal;
}

const KEY = /^[\x21-\x7e]{1,200}$/;

/** Reads the `Idempotency-Key` header: printable ASCII, at most 200 characters. */
export function idempotencyKeyOf(ctx: Context): string | undefined {
  const key = ctx.get('idempotency-key');
  if (key === '') return undefined;
  if (!KEY.test(key))
    throw new ChatError('invalid_request', 'Idempotency-Key: must be 1-200 printable ASCII characters');
  return key;
}
