import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createChatKit, type ChatKit, type ChatKitOptions } from '@chatwire/server-kit';
import Koa from 'koa';

/** The reference server (the kit under Koa, WS attached) on an ephemeral loopback port. */
export interface TestServer {
  url: string;
  port: number;
  kit: ChatKit;
  /** The HTTP server itself, e.g. to reach the server's side of a connection. */
  http: Server;
  /** WebSocket upgrades the server has accepted so far. */
  readonly upgrades: number;
  /** Sockets open now on the WS mode. */
  readonly webSockets: number;
  /** Every HTTP request and WebSocket upgrade received, as the server saw it. */
  readonly seen: ReadonlyArray<{ method: string; url: string; headers: IncomingHttpHeaders }>;
  /** Cuts every HTTP connection and WebSocket from the server's side. */
  dropConnections(): void;
  close(): Promise<void>;
}

/** Starts the kit on 127.0.0.1:0, mounted the way a user mounts it, through the package's public exports. */
export async function startServer(options: ChatKitOptions = {}): Promise<TestServer> {
  const kit = createChatKit({ logger: { info() {}, warn() {}, error() {} }, ...options });
  const app = new Koa();
  app.silent = true;
  app.use(kit.middleware());
  const server = createServer(app.callback());
  let upgrades = 0;
  const seen: Array<{ method: string; url: string; headers: IncomingHttpHeaders }> = [];
  const record = (request: IncomingMessage) =>
    seen.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers });
  server.on('request', record);
  const sockets = kit.attachWebSocket(server);
  // Wrap the kit's upgrade listener rather than adding one: it answers 404 only when it is the sole listener.
  const [serveUpgrade] = server.listeners('upgrade') as Array<(...args: unknown[]) => void>;
  server.removeAllListeners('upgrade');
  server.on('upgrade', (request: IncomingMessage, ...rest: unknown[]) => {
    upgrades++;
    record(request);
    serveUpgrade?.(request, ...rest);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    kit,
    http: server,
    get upgrades() {
      return upgrades;
    },
    get webSockets() {
      return sockets.clients.size;
    },
    seen,
    dropConnections() {
      server.closeAllConnections();
      for (const socket of sockets.clients) socket.terminate();
    },
    async close() {
      await kit.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
