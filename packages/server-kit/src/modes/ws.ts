import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { STATUS_CODES } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { ChatError } from '../chat-error.js';
import type { KitContext } from '../kit-context.js';
import type { Principal } from '../principal.js';
import { authenticateHandshake, selectProtocol } from './ws-handshake.js';
import { serveSocket } from './ws-session.js';

/** Options of {@link attachWebSocketMode}. */
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
export function attachWebSocketMode(server: Server, context: KitContext, options: WebSocketModeOptions = {}): WebSocketMode {
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
    const pathname = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (pathname !== path) {
      // Another upgrade handler may own this path; answer only when no one else listens.
      if (server.listenerCount('upgrade') === 1) refuse(socket, 404);
      return;
    }
    authenticateHandshake(request, context).then(
      (principal) => {
        principals.set(request, principal);
        wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
      },
      (error: unknown) => {
        const failure = ChatError.from(error);
        refuse(socket, failure.status, failure.code === 'unauthorized' ? { 'WWW-Authenticate': 'Bearer' } : {});
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

function refuse(socket: Duplex, status: number, headers: Record<string, string> = {}): void {
  const lines = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`, 'Connection: close', 'Content-Length: 0'];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  socket.end(`${lines.join('\r\n')}\r\n\r\n`);
}
