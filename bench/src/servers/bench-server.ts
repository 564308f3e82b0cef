import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A server under test, listening on a loopback port. */
export interface BenchServer {
  server: Server;
  /** `http://127.0.0.1:<port>`. */
  url: string;
  /** Streams (or long requests) it serves now, when it can tell. */
  openStreams?(): number;
  close(): Promise<void>;
}

/** The reference server's HTTP timeouts (examples/koa-server); responses (long streams) are not limited by them. */
export const HTTP_SERVER_OPTIONS = { headersTimeout: 10_000, requestTimeout: 30_000 } as const;

/** An HTTP server with the reference server's timeouts, not yet listening. */
export function createHttpServer(listener?: RequestListener): Server {
  return createServer(HTTP_SERVER_OPTIONS, listener);
}

/** Listens on an ephemeral loopback port and answers its URL. */
export async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // A deep backlog: a ramp step opens thousands of connections at once.
    server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => resolve());
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Closes the server and every connection it holds. */
export function closeServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  return closed;
}

/** Reads a JSON request body (the bench sends small, valid ones). */
export async function readJsonBody<T>(request: AsyncIterable<Buffer>): Promise<T> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as T;
}
