import type { Context } from 'koa';

/**
 * An AbortSignal that aborts when the client goes away before the response is finished, so whatever the request
 * started (a wait, a follow, a sync run) stops with it.
 */
export function connectionSignal(ctx: Context): AbortSignal {
  const controller = new AbortController();
  const { res } = ctx;
  if (res.destroyed) {
    controller.abort();
    return controller.signal;
  }
  res.once('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}
