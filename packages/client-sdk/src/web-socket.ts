import IsomorphicWebSocket from 'isomorphic-ws';

/** The part of a WebSocket the client uses; the browser's `WebSocket` and Node's `ws` both have it. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open', listener: () => void): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  addEventListener(type: 'close', listener: (event: { code: number; reason: string }) => void): void;
  addEventListener(type: 'error', listener: (event: { message?: unknown; error?: unknown }) => void): void;
}

/**
 * A WebSocket constructor. The third argument is `ws`'s options object, used in Node to send headers
 * (`Authorization`); browsers ignore it.
 */
export type WebSocketConstructor = new (
  url: string,
  protocols?: string | string[],
  options?: { headers?: Record<string, string> },
) => WebSocketLike;

/** The default: `ws` in Node, the global `WebSocket` in browsers (through `isomorphic-ws`). */
export const defaultWebSocket = IsomorphicWebSocket as unknown as WebSocketConstructor;

/** `baseUrl` with `ws:`/`wss:` for `http:`/`https:` and the `/ws/chat` path appended. */
export function webSocketUrlFor(baseUrl: string): string {
  const url = new URL(baseUrl);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/ws/chat`;
  url.search = '';
  url.hash = '';
  return url.toString();
}

/** How an API key reaches the WebSocket server (see `ChatClientOptions.webSocketAuth`). */
export type WebSocketAuth = 'header' | 'subprotocol' | 'ticket';

/** What opening one socket takes: where, with which subprotocols and (Node only) headers. */
export interface Handshake {
  url: string;
  protocols?: string[];
  headers?: Record<string, string>;
}

/** The subprotocol a chatwire client offers; the server selects it. */
export const WEB_SOCKET_SUBPROTOCOL = 'chatwire.v1';

/** True in Node, where `ws` can send headers; browsers cannot. */
export function canSendWebSocketHeaders(): boolean {
  const runtime = (globalThis as { process?: { versions?: { node?: unknown } } }).process;
  return typeof runtime?.versions?.node === 'string';
}
