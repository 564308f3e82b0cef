import type { IncomingMessage, ServerResponse } from 'node:http';
import { pathnameOf, type NodeAdapter } from './node.js';

/**
 * The part of a Koa context the adapter uses. Structural, so the kit's types need no `koa` package: a Koa app
 * accepts the middleware as is, and users who never mount the kit in Koa never load or install it.
 */
export interface KoaContextLike {
  req: IncomingMessage;
  res: ServerResponse;
  respond?: boolean;
  /** The URL before `koa-mount` stripped its prefix. */
  originalUrl?: string;
}

/** A Koa middleware (`app.use(kit.middleware())`). */
export type KoaMiddleware = (ctx: KoaContextLike, next: () => Promise<unknown>) => Promise<void>;

/** Koa over the Node adapter: the kit answers its own paths on the raw response and passes everything else on. */
export function createKoaMiddleware(adapter: NodeAdapter): KoaMiddleware {
  return async (ctx, next) => {
    // Under koa-mount, `req.url` lost the mount path: the kit matches `basePath` on the URL as the client sent it.
    if (ctx.originalUrl !== undefined && ctx.originalUrl !== ctx.req.url) {
      (ctx.req as IncomingMessage & { originalUrl?: string }).originalUrl ??= ctx.originalUrl;
    }
    const path = adapter.owns(ctx.req);
    if (path === undefined) {
      // Koa throws on a URL it cannot parse (`GET http://[x/...`) in whatever reads `ctx.path` next: refuse it here.
      if (pathnameOf(ctx.req.url) !== undefined) return void (await next());
      ctx.respond = false;
      return adapter.handler(ctx.req, ctx.res);
    }
    // Koa must not touch the response: the kit writes it, streams and backpressure included.
    ctx.respond = false;
    await adapter.serve(ctx.req, ctx.res, path);
  };
}
