import { isFinalStatus, type AsyncChatAccepted } from '@chatwire/protocol';
import type Router from '@koa/router';
import type { Context } from 'koa';
import { connectionSignal } from '../http/connection-signal.js';
import { overhead } from '../http/overhead.js';
import { afterParameter, waitParameter } from '../http/query.js';
import { requestPrincipal } from '../http/request-principal.js';
import { startRunFromRequest } from '../http/start-run.js';
import type { KitContext } from '../kit-context.js';

/**
 * `POST /api/async/chat` (202 + `Location`) and `GET /api/async/status/:task_id` with `?after=SEQ` (the newer events)
 * and `?wait=SECONDS` (long polling).
 */
export function registerPollingMode(router: Router, context: KitContext): void {
  router.post('/api/async/chat', async (ctx) => {
    const { run } = await startRunFromRequest(ctx, context, 'polling');
    // A retried create (same Idempotency-Key) gets the same task, whatever its status by now.
    const body: AsyncChatAccepted = { task_id: run.id, status: 'pending' };
    ctx.status = 202;
    ctx.set('Location', `${ctx.path.replace(/\/chat\/?$/, '')}/status/${run.id}`);
    ctx.set('Retry-After', '1');
    ctx.body = body;
    overhead.report(ctx);
  });
  router.get('/api/async/status/:task_id', (ctx) => respondSnapshot(ctx, context, ctx.params.task_id ?? ''));
}

/**
 * Answers a run's snapshot; with `wait`, first holds the request until there is something newer than `after` (or,
 * without `after`, newer than when the request arrived), the run ends, or the wait runs out. While the kit is closing,
 * a held poll holds until its run ends, so its answer is the last one the poller needs from this instance.
 */
export async function respondSnapshot(ctx: Context, context: KitContext, id: string): Promise<void> {
  const { engine, drain } = context;
  const principal = requestPrincipal(ctx);
  const after = afterParameter(ctx.query.after);
  const waitMs = waitParameter(ctx.query.wait, context.maxWaitSeconds);
  let snapshot = await engine.snapshot(id, principal, after);
  if (waitMs > 0 && !isFinalStatus(snapshot.status)) {
    const newer = after ?? snapshot.last_seq;
    const until = performance.now() + waitMs;
    const signal = connectionSignal(ctx, drain.signal);
    overhead.pause(ctx);
    while (!isFinalStatus(snapshot.status) && (snapshot.last_seq <= newer || drain.closing) && !signal.aborted) {
      const timeoutMs = until - performance.now();
      if (timeoutMs <= 0) break;
      await engine.waitForEvents(id, Math.max(newer, snapshot.last_seq), { timeoutMs, signal });
      snapshot = await engine.snapshot(id, principal, after);
    }
    overhead.resume(ctx);
  }
  if (!isFinalStatus(snapshot.status)) ctx.set('Retry-After', '1');
  ctx.set('Cache-Control', 'no-store');
  ctx.body = snapshot;
  overhead.report(ctx);
}
