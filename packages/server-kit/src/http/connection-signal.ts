import type { Context } from 'koa';
import { onAbort } from '../drain.js';

/**
 * An AbortSignal that aborts when the client goes away before the response is finished, so whatever the request
 * started (a wait, a follow, a sync run) stops with it; and, given `until` (a closing kit's drain signal), when that
 * aborts, so a follow or wait that would outlive the server ends while the connection is still open.
 */
export function connectionSignal(ctx: Context, until?: AbortSignal): AbortSignal {
  const controller = new AbortController();
  const { res } = ctx;
  if (res.destroyed) {
    controller.abort();
    return controller.signal;
  }
  const unlink = until ? onAbort(until, () => controller.abort()) : undefined;
  res.once('close', () => {
    unlink?.();
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}
