import { ChatError } from '../chat-error.js';
import type { Principal } from '../principal.js';
import type { KitRequest } from './kit-request.js';

/** The principal the kit's authentication attached to this request. */
export function requestPrincipal(request: KitRequest): Principal {
  if (!request.principal) throw new ChatError('internal', 'no principal on the request');
  return request.principal;
}

const KEY = /^[\x21-\x7e]{1,200}$/;

/** Reads the `Idempotency-Key` header: printable ASCII, at most 200 characters. */
export function idempotencyKeyOf(request: KitRequest): string | undefined {
  const key = request.header('idempotency-key');
  if (key === '') return undefined;
  if (!KEY.test(key))
    throw new ChatError('invalid_request', 'Idempotency-Key: must be 1-200 printable ASCII characters');
  return key;
}
