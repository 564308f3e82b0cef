import { jsonResponse } from '../http/kit-request.js';
import { requestPrincipal } from '../http/request-principal.js';
import type { Route } from '../http/route.js';
import type { KitContext } from '../kit-context.js';

/** `POST /api/ws/ticket`: a short-lived ticket to open `/ws/chat?ticket=...` where no header can carry the key. */
export function ticketRoutes(context: KitContext): Route[] {
  return [
    {
      method: 'POST',
      path: '/api/ws/ticket',
      handle: (request) =>
        jsonResponse(context.tickets.issue(requestPrincipal(request)), 200, { 'Cache-Control': 'no-store' }),
    },
  ];
}
