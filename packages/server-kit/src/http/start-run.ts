import type { KitContext } from '../kit-context.js';
import type { Principal } from '../principal.js';
import type { StartedRun } from '../run-engine.js';
import type { KitRequest } from './kit-request.js';
import { readChatRequest } from './read-chat-request.js';
import { idempotencyKeyOf, requestPrincipal } from './request-principal.js';

/**
 * What every HTTP mode does to create a run: who asks, the `Idempotency-Key`, the validated body, then
 * `engine.start` in that mode. Failures are `ChatError`s answered before any response starts.
 */
export async function startRunFromRequest(
  request: KitRequest,
  context: KitContext,
  mode: 'sync' | 'polling' | 'sse',
  signal?: AbortSignal,
): Promise<{ run: StartedRun; principal: Principal }> {
  const principal = requestPrincipal(request);
  const idempotencyKey = idempotencyKeyOf(request);
  const chat = await readChatRequest(request, context);
  const run = await context.engine.start(chat, {
    mode,
    principal,
    ...(signal ? { signal } : {}),
    ...(idempotencyKey ? { idempotencyKey } : {}),
  });
  return { run, principal };
}
