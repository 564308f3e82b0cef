import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from 'pino';

const REQUEST_ID = /^[\w.-]{1,100}$/;

/**
 * One JSON line per HTTP request when it ends (streams included), with a request id taken from `X-Request-Id` or made
 * up, echoed back. Logs the path without its query string (which may hold a WS ticket) and never headers or bodies.
 */
export function requestLog(logger: Logger): Middleware {
  return async (ctx, next) => {
    const given = ctx.get('x-request-id');
    const requestId = REQUEST_ID.test(given) ? given : randomUUID();
    ctx.set('X-Request-Id', requestId);
    const started = performance.now();
    ctx.res.once('close', () => {
      logger.info(
        {
          request_id: requestId,
          method: ctx.method,
          path: ctx.path,
          status: ctx.res.statusCode,
          duration_ms: Math.round(performance.now() - started),
          aborted: !ctx.res.writableFinished,
        },
        'request',
      );
    });
    await next();
  };
}
