import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';

const REQUEST_ID = /^[\w.-]{1,100}$/;

/**
 * One JSON line per HTTP request when it ends (streams included), with a request id taken from `X-Request-Id` or made
 * up, echoed back. Logs the path without its query string (which may hold a WS ticket) and never headers or bodies;
 * `client_ip` is the address rate limits count (forwarded headers believed only from trusted proxies).
 */
export function requestLog(logger: Logger, clientAddress: (request: IncomingMessage) => string): Middleware {
  return async (ctx, next) => {
    const given = ctx.get('x-request-id');
    const requestId = REQUEST_ID.test(given) ? given : randomUUID();
    ctx.set('X-Request-Id', requestId);
    const started = performance.now();
    const client = clientAddress(ctx.req);
    ctx.res.once('close', () => {
      logger.info(
        {
          request_id: requestId,
          method: ctx.method,
          path: ctx.path,
          client_ip: client,
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
