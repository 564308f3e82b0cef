import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { parseClientFrame, type ErrorFrame, type ServerFrame } from '@chatwire/protocol';
import { WebSocketServer, type WebSocket } from 'ws';
import { ChatError } from '../chat-error.js';
import type { KitContext } from '../kit-context.js';

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
 * Serves `GET /ws/chat` on `server` (`ws` in `noServer` mode, routed by path on the `upgrade` event). One socket
 * carries many runs at once; `chat`, `cancel`, `resume` and `ping` frames are accepted.
 */
export function attachWebSocketMode(server: Server, context: KitContext, options: WebSocketModeOptions = {}): WebSocketMode {
  const path = options.path ?? '/ws/chat';
  const wss = new WebSocketServer({ noServer: true, maxPayload: context.wsMaxPayloadBytes });
  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const pathname = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (pathname !== path) {
      // Another upgrade handler may own this path; answer only when no one else listens.
      if (server.listenerCount('upgrade') === 1) socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
  };
  server.on('upgrade', onUpgrade);
  wss.on('connection', (ws: WebSocket) => serveSocket(ws, context));

  const alive = new WeakSet<WebSocket>();
  wss.on('connection', (ws: WebSocket) => {
    alive.add(ws);
    ws.on('pong', () => alive.add(ws));
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

function serveSocket(ws: WebSocket, context: KitContext): void {
  const { engine } = context;
  const follows = new Map<string, AbortController>();

  const send = (frame: ServerFrame) =>
    new Promise<void>((resolve) => {
      if (ws.readyState !== ws.OPEN) return resolve();
      ws.send(JSON.stringify(frame), () => resolve());
    });

  const sendError = (error: unknown, tag: { request_id?: string; id?: string }) => {
    const failure = ChatError.from(error);
    const frame: ErrorFrame = { type: 'error', ...tag, ...failure.toPayload() };
    return send(frame);
  };

  async function follow(id: string, after: number): Promise<void> {
    follows.get(id)?.abort();
    const controller = new AbortController();
    follows.set(id, controller);
    try {
      for await (const event of engine.follow(id, after, controller.signal)) {
        const sent = send(event);
        // Only wait for the socket when it is backed up, so tokens are not paced by round trips.
        if (ws.bufferedAmount > context.highWaterBytes) await sent;
      }
    } catch (error) {
      await sendError(error, { id });
    } finally {
      if (follows.get(id) === controller) follows.delete(id);
    }
  }

  ws.on('message', (data, isBinary) => {
    if (isBinary) return void sendError(new ChatError('invalid_request', 'frames must be text JSON'), {});
    const parsed = parseClientFrame(data.toString(), context.limits);
    if (!parsed.ok) return void sendError(new ChatError(parsed.error.code, parsed.error.message), {});
    const frame = parsed.value;
    switch (frame.type) {
      case 'chat': {
        const tag = frame.request_id === undefined ? {} : { request_id: frame.request_id };
        engine
          .start(frame.request, { mode: 'ws', ...(frame.request_id === undefined ? {} : { requestId: frame.request_id }) })
          .then((run) => follow(run.id, -1), (error: unknown) => sendError(error, tag))
          .catch((error: unknown) => context.logger.error({ err: String(error) }, 'ws chat failed'));
        return;
      }
      case 'cancel':
        engine.cancel(frame.id).then(
          async (cancelled) => {
            if (!cancelled && !(await engine.store.get(frame.id))) {
              await sendError(new ChatError('not_found', 'unknown or expired run'), { id: frame.id });
            }
          },
          (error: unknown) => sendError(error, { id: frame.id }),
        );
        return;
      case 'resume':
        engine.store.get(frame.id).then(
          (state) =>
            state ? follow(frame.id, frame.after) : sendError(new ChatError('not_found', 'unknown or expired run'), { id: frame.id }),
          (error: unknown) => sendError(error, { id: frame.id }),
        );
        return;
      case 'ping':
        void send({ type: 'pong' });
        return;
      default: {
        const unreachable: never = frame;
        return unreachable;
      }
    }
  });

  ws.on('close', () => {
    // Runs keep going for the engine's grace period so this client, or another, can resume them.
    for (const controller of follows.values()) controller.abort();
    follows.clear();
  });
  ws.on('error', () => ws.terminate());
}
