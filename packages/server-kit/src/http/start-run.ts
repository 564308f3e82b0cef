import type { Context } from 'koa';
import type { KitContext } from '../kit-context.js';
import type { Principal } from '../principal.js';
import type { StartedRun } from '../run-engine.js';
import { readChatRequest } from './read-chat-request.js';
import { idempotencyKeyOf, requestPrincipal } from './request-principal.js';

/**
 * What every HTTP mode does to create a run: who asks, the `Idempotency-Key`, the validated body, then
 * `engine.start` in that mode. Failures are `ChatError`s answered before any response starts.
 */
export async function startRunFromRequest(
  ctx: Context,
  context: KitContext,
  mode: 'sync' | 'polling' | 'sse',
  signal?: AbortSignal,
): Promise<{ run: StartedRun; principal: Principal }> {
  const principal = requestPrincipal(ctx);
  const idempotencyKey = idempotencyKeyOf(ctx);
  const request = await readChatRequest(ctx, context);
  const run = await context.engine.start(request, {
    mode,
    principal,
    ...(signal ? { signal } : {}),
    ...(idempotencyKey ? { idempotencyKey } : {}),
  });
  return { run, principal };
}
