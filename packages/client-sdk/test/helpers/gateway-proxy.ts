import {
  createServer,
  request as forward,
  Agent,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
} from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';

/** What a {@link startGatewayProxy} does to WebSocket upgrades. */
export type UpgradePolicy =
  /** Passed through untouched. */
  | 'pass'
  /** Answered `403 Forbidden` (a corporate proxy that blocks WebSockets). */
  | 'refuse'
  /** The first socket passes and is cut once the server has sent it `afterBytes` bytes; every later upgrade is refused. */
  | { cutAfterBytes: number };

/** Options of {@link startGatewayProxy}. */
export interface GatewayProxyOptions {
  /**
   * Holds every `text/event-stream` response, headers and body, until the server ends it, then sends it whole: what
   * some antivirus gateways and corporate proxies do. Other responses pass as they come.
   */
  holdEventStreams?: boolean;
  upgrades?: UpgradePolicy;
}

/** An HTTP proxy in front of a server that behaves like a hostile network gateway. */
export interface GatewayProxy {
  url: string;
  port: number;
  /** Event streams held so far (each released when its server response ended, or dropped with its client). */
  readonly heldStreams: number;
  /** WebSocket upgrades answered 403, and sockets cut mid-stream. */
  readonly refusedUpgrades: number;
  readonly cutSockets: number;
  close(): Promise<void>;
}

/** Headers that describe one hop's connection, not the message: never forwarded. */
const HOP_BY_HOP = ['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer'];

/** Starts a gateway on 127.0.0.1:0 forwarding to 127.0.0.1:`targetPort`. */
export async function startGatewayProxy(targetPort: number, options: GatewayProxyOptions = {}): Promise<GatewayProxy> {
  const upgrades = options.upgrades ?? 'pass';
  const agent = new Agent({ keepAlive: true });
  const sockets = new Set<Socket>();
  let heldStreams = 0;
  let refusedUpgrades = 0;
  let cutSockets = 0;
  let passedSockets = 0;

  const server = createServer((request, response) => {
    const upstream = forward(
      {
        host: '127.0.0.1',
        port: targetPort,
        method: request.method,
        path: request.url,
        headers: messageHeaders(request.headers),
        agent,
      },
      (answer) => {
        const headers = messageHeaders(answer.headers);
        const eventStream = String(answer.headers['content-type'] ?? '').startsWith('text/event-stream');
        if (!(options.holdEventStreams && eventStream)) {
          response.writeHead(answer.statusCode ?? 502, headers);
          response.flushHeaders();
          answer.pipe(response);
          return;
        }
        heldStreams++;
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => {
          const body = Buffer.concat(chunks);
          response.writeHead(answer.statusCode ?? 502, { ...headers, 'content-length': body.byteLength });
          response.end(body);
        });
      },
    );
    upstream.on('error', () => response.destroy());
    // A client that goes away takes its upstream request with it, as any proxy does: the server sees the reader leave.
    response.on('close', () => {
      if (!response.writableFinished) upstream.destroy();
    });
    request.pipe(upstream);
  });

  server.on('upgrade', (request: IncomingMessage, client: Socket, head: Buffer) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    const cutAfter = typeof upgrades === 'object' ? upgrades.cutAfterBytes : undefined;
    if (upgrades === 'refuse' || (cutAfter !== undefined && passedSockets > 0)) {
      refusedUpgrades++;
      client.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
      return;
    }
    passedSockets++;
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', end).on('close', end);
    client.on('close', end);
    const lines = [`${request.method} ${request.url} HTTP/1.1`];
    for (let index = 0; index < request.rawHeaders.length; index += 2) {
      lines.push(`${request.rawHeaders[index]}: ${request.rawHeaders[index + 1]}`);
    }
    upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (head.byteLength > 0) upstream.write(head);
    client.pipe(upstream);
    let sent = 0;
    upstream.on('data', (chunk: Buffer) => {
      if (client.destroyed) return;
      sent += chunk.byteLength;
      if (cutAfter === undefined || sent < cutAfter) return void client.write(chunk);
      // Deliver up to the cut point, then reset both sides: the socket is lost mid-frame, as on a real network.
      client.write(chunk.subarray(0, chunk.byteLength - (sent - cutAfter)));
      cutSockets++;
      client.resetAndDestroy();
      upstream.destroy();
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get heldStreams() {
      return heldStreams;
    },
    get refusedUpgrades() {
      return refusedUpgrades;
    },
    get cutSockets() {
      return cutSockets;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      server.closeAllConnections();
      agent.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function messageHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const kept: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.includes(name)) kept[name] = value;
  }
  return kept;
}
