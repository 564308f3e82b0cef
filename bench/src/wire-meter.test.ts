import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { summarize } from './summary.js';
import { meterServer, wireDelta } from './wire-meter.js';

const REQUEST =
  'POST /api/sse/chat HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\nContent-Length: 17\r\n\r\n{"message":"hi"}\n';
const BODY = 'data: token\n\n';

let server: Server | undefined;
afterEach(async () => {
  const current = server;
  server = undefined;
  if (!current) return;
  current.closeAllConnections();
  await new Promise((resolve) => current.close(resolve));
});

async function listen(target: Server): Promise<number> {
  target.listen(0, '127.0.0.1');
  await once(target, 'listening');
  return (target.address() as AddressInfo).port;
}

/** Sends raw HTTP/1.1 requests on one keep-alive connection; resolves with every byte received once `responses` have come. */
async function exchange(port: number, requests: string[]): Promise<{ socket: Socket; received: number }> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let received = 0;
  let text = '';
  socket.on('data', (chunk: Buffer) => {
    received += chunk.length;
    text += chunk.toString('latin1');
  });
  for (const request of requests) {
    const before = (text.match(/data: token\n\n/g) ?? []).length;
    socket.write(request);
    while ((text.match(/data: token\n\n/g) ?? []).length === before) await once(socket, 'data');
  }
  return { socket, received };
}

describe('meterServer', () => {
  it('counts every request and every byte of a known HTTP exchange, headers included', async () => {
    server = createServer((request, response) => {
      request.resume();
      request.on('end', () => response.writeHead(200, { 'Content-Type': 'text/event-stream' }).end(BODY));
    });
    const meter = meterServer(server);
    const port = await listen(server);
    const before = meter.counts();
    const { socket, received } = await exchange(port, [REQUEST, REQUEST]);
    const open = wireDelta(before, meter.counts());
    socket.end();
    await once(socket, 'close');
    await new Promise((resolve) => setTimeout(resolve, 20)); // the server side sees the close a moment later
    const closed = wireDelta(before, meter.counts());

    // Exactly what the client wrote, and exactly what it read (status lines, headers and bodies).
    const expected = { requests: 2, connections: 1, bytesIn: 2 * Buffer.byteLength(REQUEST), bytesOut: received };
    expect(open).toEqual(expected);
    expect(closed).toEqual(expected);
    expect(received).toBeGreaterThan(2 * BODY.length + 2 * 'HTTP/1.1 200 OK\r\n'.length);
    expect(meter.openConnections()).toBe(0);
  });

  it('counts a WebSocket upgrade as one request and its frames as bytes both ways', async () => {
    server = createServer();
    const wss = new WebSocketServer({ server, perMessageDeflate: false });
    wss.on('connection', (socket) => socket.on('message', () => socket.send('pong')));
    const meter = meterServer(server);
    const port = await listen(server);
    const client = new WebSocket(`ws://127.0.0.1:${port}/ws/chat`, { perMessageDeflate: false });
    await once(client, 'open');
    const handshake = meter.counts();
    client.send('ping');
    await once(client, 'message');
    const counts = meter.counts();
    const raw = (client as unknown as { _socket: Socket })._socket;

    expect(handshake.requests).toBe(1);
    // "ping" from the client: 2 header bytes + 4 mask bytes + 4 payload; "pong" back: 2 + 4, unmasked.
    expect(counts.bytesIn - handshake.bytesIn).toBe(10);
    expect(counts.bytesOut - handshake.bytesOut).toBe(6);
    // And both ends agree on the totals, handshake included.
    expect(counts.bytesIn).toBe(raw.bytesWritten);
    expect(counts.bytesOut).toBe(raw.bytesRead);
    client.terminate();
    wss.close();
  });
});

describe('summarize', () => {
  it('answers nearest-rank percentiles, every one a measured value', () => {
    const values = Array.from({ length: 100 }, (_, index) => 100 - index); // 100..1, unsorted
    expect(summarize(values)).toEqual({ count: 100, mean: 50.5, p50: 50, p95: 95, p99: 99, max: 100 });
    expect(summarize([]).count).toBe(0);
  });
});
