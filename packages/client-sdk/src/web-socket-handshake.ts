import type { TicketResponse } from '@chatwire/protocol';
import { ChatError } from './chat-error.js';
import type { HttpClient } from './http-client.js';
import { WEB_SOCKET_SUBPROTOCOL, type Handshake, type WebSocketAuth } from './web-socket.js';

/** Options of {@link createWebSocketHandshake}. */
export interface WebSocketHandshakeOptions {
  url: string;
  http: HttpClient;
  /** Headers for every request, without the API key. */
  headers: Readonly<Record<string, string>>;
  apiKey: string | undefined;
  auth: WebSocketAuth;
}

/**
 * Returns what each socket opening needs, carrying the API key the chosen way:
 * - `header`: `Authorization: Bearer` on the upgrade (Node only: browsers cannot set WebSocket headers);
 * - `ticket`: a short-lived ticket from `POST /api/ws/ticket` (authenticated by header) in the URL, so the key itself
 *   travels in no URL and no subprotocol, at the cost of one request per connection;
 * - `subprotocol`: the key as a `bearer.<key>` subprotocol next to `chatwire.v1` (no extra request).
 */
export function createWebSocketHandshake(options: WebSocketHandshakeOptions): () => Promise<Handshake> {
  const { url, http, headers, apiKey } = options;
  if (apiKey === undefined) return () => Promise.resolve({ url, headers: { ...headers } });
  switch (options.auth) {
    case 'header':
      return () => Promise.resolve({ url, headers: { ...headers, authorization: `Bearer ${apiKey}` } });
    case 'subprotocol':
      return () =>
        Promise.resolve({ url, headers: { ...headers }, protocols: [WEB_SOCKET_SUBPROTOCOL, `bearer.${apiKey}`] });
    case 'ticket':
      return async () => {
        const response = await http.send('/api/ws/ticket', { method: 'POST' });
        const body = await http.readJson<TicketResponse>(response);
        if (typeof body?.ticket !== 'string')
          throw new ChatError('bad_response', `${http.origin} answered no WebSocket ticket`);
        const withTicket = new URL(url);
        withTicket.searchParams.set('ticket', body.ticket);
        return { url: withTicket.toString(), headers: { ...headers } };
      };
    default: {
      const unknown: never = options.auth;
      throw new TypeError(`webSocketAuth must be header, subprotocol or ticket, not ${String(unknown)}`);
    }
  }
}

const REFUSALS: Record<number, ChatError['code']> = {
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  429: 'rate_limited',
  503: 'overloaded',
};

/** The typed error for an upgrade the server answered with an HTTP error (Node's `ws` reports the status). */
export function refusedUpgrade(detail: string, origin: string): ChatError | undefined {
  const status = Number(/Unexpected server response: (\d{3})/.exec(detail)?.[1]);
  const code = REFUSALS[status];
  if (code === undefined) return undefined;
  return new ChatError(code, `${origin} refused the WebSocket (HTTP ${status})`, { status });
}
