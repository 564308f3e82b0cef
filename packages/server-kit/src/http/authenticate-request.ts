import type { Middleware } from 'koa';
import { ChatError } from '../chat-error.js';
import type { KitContext } from '../kit-context.js';
import { anonymousPrincipal, bearerToken } from '../principal.js';

/** Koa middleware that puts the caller's principal on `ctx.state`, or answers 401. */
export function authenticateRequest(context: KitContext): Middleware {
  return async (ctx, next) => {
    const ip = context.clientAddress(ctx.req);
    if (!context.authenticate) {
      ctx.state.chatwirePrincipal = anonymousPrincipal(ip);
      return next();
    }
    const principal = await context.authenticate({ token: bearerToken(ctx.req.headers), headers: ctx.req.headers, ip });
    if (!principal) {
      ctx.set('WWW-Authenticate', 'Bearer');
      throw new ChatError('unauthorized', 'a valid API key is required (Authorization: Bearer <key>)');
    }
    ctx.state.chatwirePrincipal = principal;
    return next();
  };
}
