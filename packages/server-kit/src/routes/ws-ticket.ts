import type Router from '@koa/router';
import { requestPrincipal } from '../http/request-principal.js';
import type { KitContext } from '../kit-context.js';

/** `POST /api/ws/ticket`: a short-lived ticket to open `/ws/chat?ticket=...` where no header can carry the key. */
export function registerTicketRoute(router: Router, context: KitContext): void {
  router.post('/api/ws/ticket', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = context.tickets.issue(requestPrincipal(ctx));
  });
}
