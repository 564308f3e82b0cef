import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import type { ChaosRandom } from './chaos-random.js';

/** What a proxied connection carries, told from its request line (each connection carries one request or one socket). */
export type RequestKind = 'sync' | 'polling-create' | 'poll' | 'sse-create' | 'sse-resume' | 'ws' | 'cancel' | 'other';

/** The request a connection opened with, as the proxy read it. */
export interface ProxiedRequest {
  kind: RequestKind;
  method: string;
  path: string;
  idempotencyKey: string | undefined;
}

/** One connection the proxy cut. */
export interface ChaosCut {
  /** Accept order of the connection (1-based). */
  connection: number;
  request: ProxiedRequest;
  /** `request`: before forwarding the request; `response`: after a planned number of answer bytes; `scheduled`: by the timer. */
  when: 'request' | 'response' | 'scheduled';
  /** Answer bytes the client had been sent when the cut came. */
  responseBytes: number;
}

/** Options of {@link startChaosProxy}; probabilities are per connection or per tick. */
export interface ChaosProxyOptions {
  random: ChaosRandom;
  /** Chance that a connection is cut as its request arrives, before the server sees it (by request, or one for all). */
  cutOnRequest: number | ((request: ProxiedRequest) => number);
  /** Chance that a connection is cut once it has been sent a random number of answer bytes (0 included). */
  cutOnResponse: number;
  /** Upper bound of that number of bytes. */
  cutResponseMaxBytes: number;
  /** Mean interval of the schedule's ticks (jittered by ±50%). */
  tickMs: number;
  /** Chance per tick that one random live connection is cut (scaled down below `crowd` live connections). */
  cutPerTick: number;
  /** Chance per tick that one random live connection stops reading the server's answer for a while (scaled the same). */
  stallPerTick: number;
  /**
   * With fewer live connections than this, the chances per tick shrink in proportion, so each connection's own rate
   * stays what it was in the crowd. Otherwise the last connections of a run take the whole schedule as the others end:
   * at 0.5 per 20 ms tick, a lone long poll is cut 25 times a second, which no retry budget survives and no network does.
   */
  crowd: number;
  stallMs: { min: number; max: number };
  /** Requests never cut or stalled (the test's own cancels and status checks). */
  spare(request: ProxiedRequest): boolean;
  /**
   * Called as a stall begins with the local port of the proxy's connection to the server; returns what ends it. Loopback
   * buffers a few MB per connection, so a proxy that stops reading is felt by the server only once that is full: this
   * lets the server's side of the connection be held too, so that it backs up at once.
   */
  onStall?(upstreamPort: number): () => void;
}

/** A TCP proxy that cuts and stalls connections on a seeded schedule. */
export interface ChaosProxy {
  url: string;
  port: number;
  /** Client connections accepted so far. */
  readonly connections: number;
  /** Client connections open now. */
  readonly open: number;
  readonly cuts: readonly ChaosCut[];
  /** Stalls begun, by kind of request. */
  readonly stalls: Readonly<Partial<Record<RequestKind, number>>>;
  /** Starts the schedule (per-connection faults apply from the start). */
  start(): void;
  /** Stops all chaos: no more cuts or stalls, and current stalls end; traffic then flows normally. */
  stop(): void;
  close(): Promise<void>;
}

interface Link {
  id: number;
  client: Socket;
  upstream: Socket;
  head: Buffer[];
  request?: ProxiedRequest;
  responseBytes: number;
  cutAfter?: number;
  stalled: boolean;
  blocked: boolean;
  stallTimer?: NodeJS.Timeout;
  release?: () => void;
}

/** Starts a chaos proxy on 127.0.0.1:0 forwarding to 127.0.0.1:`targetPort`. */
export async function startChaosProxy(targetPort: number, options: ChaosProxyOptions): Promise<ChaosProxy> {
  const { random } = options;
  const links = new Set<Link>();
  const cuts: ChaosCut[] = [];
  const stalls: Partial<Record<RequestKind, number>> = {};
  let connections = 0;
  let chaos = true;
  let tickTimer: NodeJS.Timeout | undefined;

  const resume = (link: Link) => {
    if (!link.stalled && !link.blocked) link.upstream.resume();
  };

  function unstall(link: Link): void {
    clearTimeout(link.stallTimer);
    delete link.stallTimer;
    link.stalled = false;
    link.release?.();
    delete link.release;
  }

  function forget(link: Link): void {
    unstall(link);
    links.delete(link);
  }

  function cut(link: Link, when: ChaosCut['when']): void {
    if (!link.request || !links.has(link)) return;
    cuts.push({ connection: link.id, request: link.request, when, responseBytes: link.responseBytes });
    forget(link);
    reset(link.client);
    reset(link.upstream);
  }

  function stall(link: Link, ms: number): void {
    const kind = (link.request as ProxiedRequest).kind;
    stalls[kind] = (stalls[kind] ?? 0) + 1;
    link.stalled = true;
    link.upstream.pause();
    const release = options.onStall?.(link.upstream.localPort ?? 0);
    if (release) link.release = release;
    link.stallTimer = setTimeout(() => {
      unstall(link);
      resume(link);
    }, ms);
  }

  /** The connection's request head has arrived: decide its fate, then forward what was held back. */
  function admit(link: Link): void {
    const request = parseRequest(Buffer.concat(link.head).toString('latin1'));
    link.request = request;
    const held = link.head;
    link.head = [];
    if (chaos && !options.spare(request)) {
      const { cutOnRequest } = options;
      const chance = typeof cutOnRequest === 'number' ? cutOnRequest : cutOnRequest(request);
      if (random.chance(chance)) return cut(link, 'request');
      if (random.chance(options.cutOnResponse)) link.cutAfter = random.integer(0, options.cutResponseMaxBytes);
    }
    for (const chunk of held) link.upstream.write(chunk);
  }

  const server = createServer((client) => {
    const link: Link = {
      id: ++connections,
      client,
      upstream: connect(targetPort, '127.0.0.1'),
      head: [],
      responseBytes: 0,
      stalled: false,
      blocked: false,
    };
    links.add(link);
    const { upstream } = link;
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    // A reset on one side is passed on as a reset; an orderly end as an end, after what was already written.
    const abort = (other: Socket) => () => {
      forget(link);
      reset(other);
    };
    client.on('error', abort(upstream));
    upstream.on('error', abort(client));
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
    let closedSides = 0;
    const closed = () => ++closedSides === 2 && forget(link);
    client.on('close', closed);
    upstream.on('close', closed);
    client.on('data', (chunk) => {
      if (link.request) return void upstream.write(chunk);
      link.head.push(chunk);
      if (Buffer.concat(link.head).includes('\r\n\r\n')) admit(link);
    });
    upstream.on('data', (chunk) => {
      if (link.cutAfter !== undefined && link.responseBytes + chunk.length > link.cutAfter) {
        const part = chunk.subarray(0, link.cutAfter - link.responseBytes);
        if (part.length > 0) client.write(part);
        link.responseBytes += part.length;
        return cut(link, 'response');
      }
      link.responseBytes += chunk.length;
      if (client.write(chunk)) return;
      link.blocked = true;
      upstream.pause();
      client.once('drain', () => {
        link.blocked = false;
        resume(link);
      });
    });
  });

  function tick(): void {
    tickTimer = undefined;
    if (!chaos) return;
    const live = [...links].filter((link) => link.request !== undefined && !options.spare(link.request));
    const share = Math.min(1, live.length / options.crowd);
    if (live.length > 0 && random.chance(options.cutPerTick * share)) cut(random.pick(live), 'scheduled');
    const calm = live.filter((link) => links.has(link) && !link.stalled);
    if (calm.length > 0 && random.chance(options.stallPerTick * share)) {
      stall(random.pick(calm), random.integer(options.stallMs.min, options.stallMs.max));
    }
    tickTimer = setTimeout(tick, options.tickMs * (0.5 + random.next()));
  }

  function stop(): void {
    chaos = false;
    clearTimeout(tickTimer);
    tickTimer = undefined;
    for (const link of links) {
      delete link.cutAfter;
      if (!link.stalled) continue;
      unstall(link);
      resume(link);
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get connections() {
      return connections;
    },
    get open() {
      return links.size;
    },
    cuts,
    stalls,
    start() {
      chaos = true;
      if (!tickTimer) tick();
    },
    stop,
    async close() {
      stop();
      for (const link of [...links]) {
        forget(link);
        link.client.destroy();
        link.upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Resets a connection (RST), or destroys it when its end was already sent: Node cannot reset a socket that is shutting
 * down (libuv answers EINVAL), and its handle would then never be closed.
 */
function reset(socket: Socket): void {
  if (socket.destroyed) return;
  if (socket.writableEnded) socket.destroy();
  else socket.resetAndDestroy();
}

const KINDS: Array<[method: string, path: RegExp, kind: RequestKind]> = [
  ['POST', /^\/api\/sync\/chat$/, 'sync'],
  ['POST', /^\/api\/async\/chat$/, 'polling-create'],
  ['GET', /^\/api\/async\/status\/[^/]+$/, 'poll'],
  ['POST', /^\/api\/sse\/chat$/, 'sse-create'],
  ['GET', /^\/api\/sse\/chat\/[^/]+$/, 'sse-resume'],
  ['GET', /^\/ws\/chat$/, 'ws'],
  ['POST', /^\/api\/runs\/[^/]+\/cancel$/, 'cancel'],
];

/** Reads the request line and the `Idempotency-Key` header of an HTTP/1.1 request head. */
export function parseRequest(head: string): ProxiedRequest {
  const lines = head.slice(0, head.indexOf('\r\n\r\n')).split('\r\n');
  const [method = '', target = ''] = (lines[0] ?? '').split(' ');
  const path = target.split('?')[0] ?? '';
  let idempotencyKey: string | undefined;
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (line.slice(0, colon).trim().toLowerCase() === 'idempotency-key') idempotencyKey = line.slice(colon + 1).trim();
  }
  const kind = KINDS.find(([m, pattern]) => m === method && pattern.test(path))?.[2] ?? 'other';
  return { kind, method, path, idempotencyKey };
}
