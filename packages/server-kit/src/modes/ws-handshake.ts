import type { IncomingMessage } from 'node:http';
import { ChatError } from '../chat-error.js';
import type { KitContext } from '../kit-context.js';
import { anonymousPrincipal, bearerToken, type Principal } from '../principal.js';

/** The subprotocol a chatwire client offers and the server selects. */
export const WS_SUBPROTOCOL = 'chatwire.v1';
const BEARER_PREFIX = 'bearer.';

/**
 * Checks a WS handshake before the upgrade: the `Origin` against the allowlist (403), then credentials (401) from,
 * in order, a `?ticket=` from `POST /api/ws/ticket`, a `bearer.<key>` subprotocol (browsers cannot set headers), or
 * `Authorization: Bearer` (Node clients).
 */
export async function authenticateHandshake(request: IncomingMessage, context: KitContext): Promise<Principal> {
  const origin = request.headers.origin;
  if (context.allowedOrigins && origin !== undefined && !context.allowedOrigins.has(origin)) {
    throw new ChatError('forbidden', 'this origin may not open a WebSocket here');
  }
  const ip = context.clientAddress(request);
  if (!context.authenticate) return anonymousPrincipal(ip);
  const ticket = ticketOf(request.url);
  if (ticket) {
    const principal = context.tickets.verify(ticket);
    if (!principal) throw new ChatError('unauthorized', 'the WebSocket ticket is invalid or expired');
    return principal;
  }
  const offered = (request.headers['sec-websocket-protocol'] ?? '').split(',').map((item) => item.trim());
  const fromProtocol = offered.find((item) => item.startsWith(BEARER_PREFIX))?.slice(BEARER_PREFIX.length);
  const token = fromProtocol || bearerToken(request.headers);
  const principal = await context.authenticate({ token, headers: request.headers, ip });
  if (!principal) throw new ChatError('unauthorized', 'a valid API key is required');
  return principal;
}

/** Picks the subprotocol to answer with: never echo a `bearer.` one, which carries the key. */
export function selectProtocol(protocols: Set<string>): string | false {
  return protocols.has(WS_SUBPROTOCOL) ? WS_SUBPROTOCOL : false;
}

/** The `ticket` query parameter of a handshake URL (none when the URL cannot be parsed). */
function ticketOf(url: string | undefined): string | null {
  try {
    return new URL(url ?? '/', 'http://localhost').searchParams.get('ticket');
  } catch {
    return null;
  }
}
