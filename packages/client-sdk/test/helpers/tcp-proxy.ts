import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

/** Options of {@link startTcpProxy}. */
export interface TcpProxyOptions {
  /**
   * Sees each chunk a client sends (an HTTP request fits in one); returning true means it dealt with the client itself
   * (answered, or cut the connection) and the chunk is not forwarded.
   */
  intercept?: (chunk: Buffer, client: Socket) => boolean;
}

/** A TCP proxy in front of a server that can fail the way networks do. */
export interface TcpProxy {
  url: string;
  port: number;
  /** Client connections accepted so far. */
  readonly connections: number;
  /** Resets every open connection on both sides; returns how many client connections were open. */
  dropAll(): number;
  /** Stops forwarding on every open connection without closing it (a half-open link); new connections work. */
  freezeAll(): number;
  /** While on, the server's bytes are swallowed on every connection: requests arrive, answers never do. */
  holdResponses(on: boolean): void;
  close(): Promise<void>;
}

/** Starts a proxy on 127.0.0.1:0 forwarding to 127.0.0.1:`targetPort`. */
export async function startTcpProxy(targetPort: number, options: TcpProxyOptions = {}): Promise<TcpProxy> {
  const pairs = new Set<{ client: Socket; upstream: Socket; frozen: boolean }>();
  let connections = 0;
  let holding = false;
  const server = createServer((client) => {
    connections++;
    const upstream = connect(targetPort, '127.0.0.1');
    const pair = { client, upstream, frozen: false };
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.on('data', (chunk) => {
      if (pair.frozen || options.intercept?.(chunk, client)) return;
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (!pair.frozen && !holding) client.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get connections() {
      return connections;
    },
    dropAll() {
      const open = [...pairs];
      for (const { client, upstream } of open) {
        client.resetAndDestroy();
        upstream.resetAndDestroy();
      }
      return open.length;
    },
    freezeAll() {
      for (const pair of pairs) pair.frozen = true;
      return pairs.size;
    },
    holdResponses(on) {
      holding = on;
    },
    async close() {
      for (const { client, upstream } of [...pairs]) {
        client.destroy();
        upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
