import { STATUS_CODES, ServerResponse, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { ChatError } from '../chat-error.js';
import type { KitContext } from '../kit-context.js';
import type { Principal } from '../principal.js';
import { authenticateHandshake, selectProtocol } from './ws-handshake.js';
import { serveSocket } from './ws-session.js';

/** Options of `ChatKit.attachWebSocket`. */
export interface WebSocketModeOptions {
  /** Path the upgrade must target (default `/ws/chat`). */
  path?: string;
}

/** A WS mode attached to an HTTP server. */
export interface WebSocketMode {
  /** Connected sockets. */
  readonly clients: ReadonlySet<WebSocket>;
  /** Closes every socket (1001) and detaches from the server. */
  close(): Promise<void>;
}

/**
 * Serves `GET /ws/chat` on `server` (`ws` in `noServer` mode, routed by path on the `upgrade` event). The handshake is
 * authenticated and its Origin checked before the upgrade; one socket then carries many runs at once.
 */
export function attachWebSocketMode(
  server: Server,
  context: KitContext,
  options: WebSocketModeOptions = {},
): WebSocketMode {
  const path = options.path ?? '/ws/chat';
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: context.wsMaxPayloadBytes,
    // Compression costs CPU and memory per socket and opens compression side channels; tokens are small anyway.
    perMessageDeflate: false,
    handleProtocols: selectProtocol,
  });
  const principals = new WeakMap<IncomingMessage, Principal>();

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const pathname = pathnameOf(request);
    const isWebSocket = (request.headers.upgrade ?? '').toLowerCase() === 'websocket';
    if (pathname !== path || !isWebSocket) {
      // Another upgrade handler may own this request; answer only when no one else listens.
      if (server.listenerCount('upgrade') > 1) return;
      // Node routes every request offering an upgrade here (curl --http2 offers h2c): serve it as plain HTTP.
      if (!isWebSocket && pathname !== undefined) return serveAsHttp(server, request, socket);
      return refuse(
        socket,
        pathname === undefined
          ? new ChatError('invalid_request', 'the request URL is malformed')
          : new ChatError('not_found', 'no WebSocket is served at this path'),
      );
    }
    authenticateHandshake(request, context).then(
      (principal) => {
        principals.set(request, principal);
        wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
      },
      (error: unknown) => {
        const failure = ChatError.from(error);
        refuse(socket, failure, failure.code === 'unauthorized' ? { 'WWW-Authenticate': 'Bearer' } : {});
      },
    );
  };
  server.on('upgrade', onUpgrade);

  const alive = new WeakSet<WebSocket>();
  wss.on('connection', (ws: WebSocket, request: IncomingMessage) => {
    alive.add(ws);
    ws.on('pong', () => alive.add(ws));
    serveSocket(ws, principals.get(request) as Principal, context);
  });
  const pinger = setInterval(() => {
    for (const ws of wss.clients) {
      // No pong since the last ping: the peer is gone (a half-open TCP connection never says so by itself).
      if (!alive.has(ws)) {
        ws.terminate();
        continue;
      }
      alive.delete(ws);
      ws.ping();
    }
  }, context.wsPingMs);
  pinger.unref();

  return {
    get clients() {
      return wss.clients;
    },
    close() {
      clearInterval(pinger);
      server.off('upgrade', onUpgrade);
      for (const ws of wss.clients) ws.close(1001, 'server shutting down');
      return new Promise((resolve) => wss.close(() => resolve()));
    },
  };
}

/** Answers a handshake before any upgrade, with the protocol's JSON error body. */
function refuse(socket: Duplex, error: ChatError, headers: Record<string, string> = {}): void {
  const body = JSON.stringify({ error: error.toPayload() });
  const lines = [
    `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? ''}`,
    'Connection: close',
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
  ];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}

function pathnameOf(request: IncomingMessage): string | undefined {
  try {
    return new URL(request.url ?? '/', 'http://localhost').pathname;
  } catch {
    return undefined;
  }
}

/**
 * Hands a request that merely offered an upgrade (and has no body) back to the server's ordinary request handlers.
 * Node 20 stops parsing such a request at its headers, so one with a body is refused with a clear error instead.
 */
function serveAsHttp(server: Server, request: IncomingMessage, socket: Duplex): void {
  const length = request.headers['content-length'];
  if (request.headers['transfer-encoding'] || (length !== undefined && length !== '0')) {
    return refuse(
      socket,
      new ChatError(
        'invalid_request',
        'this server does not upgrade HTTP; resend the request without the Upgrade header',
      ),
    );
  }
  const response = new ServerResponse(request);
  response.shouldKeepAlive = false;
  response.assignSocket(socket as Socket);
  response.once('finish', () => {
    response.detachSocket(socket as Socket);
    socket.end();
  });
  server.emit('request', request, response);
}
