import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/** What crossed a server's sockets: HTTP requests (WebSocket upgrades included) and TCP payload bytes. */
export interface WireCounts {
  /** HTTP requests, each WebSocket or Socket.IO upgrade counting as one. */
  requests: number;
  /** TCP connections accepted. */
  connections: number;
  /** Bytes received from clients: request lines, headers, bodies, WebSocket frames. */
  bytesIn: number;
  /** Bytes sent to clients: status lines, headers, bodies, WebSocket frames. */
  bytesOut: number;
}

/** Counters over one server, read at any time. */
export interface WireMeter {
  counts(): WireCounts;
  /** Connections open now. */
  openConnections(): number;
}

/**
 * Counts a server's requests and bytes from the server side, so every target (the kit, the bare baselines, the AI SDK,
 * Socket.IO) is measured the same way whatever its client. Bytes are TCP payload (headers and framing included, IP and
 * TCP headers not), read from each socket's own counters.
 *
 * `emit` is wrapped rather than listened to: an extra `upgrade` listener would change how other upgrade handlers
 * behave (the kit answers 404 to unknown paths only when it is the sole listener).
 */
export function meterServer(server: Server): WireMeter {
  const live = new Set<Socket>();
  const closed: WireCounts = { requests: 0, connections: 0, bytesIn: 0, bytesOut: 0 };
  server.on('connection', (socket: Socket) => {
    closed.connections++;
    live.add(socket);
    socket.once('close', () => {
      live.delete(socket);
      closed.bytesIn += socket.bytesRead;
      closed.bytesOut += socket.bytesWritten;
    });
  });
  const emit = server.emit.bind(server) as (event: string | symbol, ...args: unknown[]) => boolean;
  server.emit = ((event: string | symbol, ...args: unknown[]) => {
    if (event === 'request' || event === 'upgrade') closed.requests++;
    return emit(event, ...args);
  }) as Server['emit'];
  return {
    counts() {
      const counts = { ...closed };
      for (const socket of live) {
        counts.bytesIn += socket.bytesRead;
        counts.bytesOut += socket.bytesWritten;
      }
      return counts;
    },
    openConnections: () => live.size,
  };
}

/** `after - before`, field by field. */
export function wireDelta(before: WireCounts, after: WireCounts): WireCounts {
  return {
    requests: after.requests - before.requests,
    connections: after.connections - before.connections,
    bytesIn: after.bytesIn - before.bytesIn,
    bytesOut: after.bytesOut - before.bytesOut,
  };
}
