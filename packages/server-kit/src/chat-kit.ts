import type { IncomingMessage, Server } from 'node:http';
import { MODES, type Mode, type RequestLimits } from '@chatwire/protocol';
import { createFetchHandler, type FetchHandler } from './adapters/fetch.js';
import { createKoaMiddleware, type KoaMiddleware } from './adapters/koa.js';
import { createNodeAdapter, type NodeHandler } from './adapters/node.js';
import { createClientAddress, type AddressedRequest } from './client-address.js';
import { createDrain } from './drain.js';
import { createKitCore } from './http/kit-core.js';
import type { Route } from './http/route.js';
import type { KitContext } from './kit-context.js';
import { createConsoleLogger, type Logger } from './logger.js';
import { createKitMetrics, type KitMetrics, type KitMetricsOptions } from './metrics.js';
import { pollingRoutes } from './modes/polling.js';
import { sseRoutes } from './modes/sse.js';
import { syncRoutes } from './modes/sync.js';
import { attachWebSocketMode, type WebSocketMode, type WebSocketModeOptions } from './modes/ws.js';
import { createApiKeyAuthenticator, type Authenticate } from './principal.js';
import type { Provider } from './provider.js';
import { createSimulatedProvider } from './providers/simulated.js';
import { modelsRoutes, openRoutes } from './routes/meta.js';
import { runRoutes } from './routes/runs.js';
import { ticketRoutes } from './routes/ws-ticket.js';
import { createRunEngine, type RunEngine, type RunObserver } from './run-engine.js';
import { combineObservers, createRunLogObserver } from './run-log.js';
import { createRunLimits, type RunLimitsOptions } from './run-limits.js';
import type { JobQueue } from './job-queue.js';
import type { RunStore } from './store.js';
import { createMemoryRunStore } from './stores/memory.js';
import { createTicketIssuer, ticketSecretFor } from './ws-ticket.js';

/** Options of {@link createChatKit}; every one has a default. */
export interface ChatKitOptions {
  /** The model backend (default: the simulated model). */
  provider?: Provider;
  /** Where runs live (default: a memory store). */
  store?: RunStore;
  /** Where polling runs wait for a worker of any instance (default: none, run where accepted); see `createRedisBackend`. */
  jobQueue?: JobQueue;
  /** Which modes to serve (default: all four). */
  modes?: readonly Mode[];
  /** A path prefix for every route, the WS path included, e.g. `/chat` (default: none). */
  basePath?: string;
  /** Model used when a request names none (default: the provider's). */
  defaultModel?: string;
  /** Request validation caps (`max_tokens`, message count and length). */
  limits?: RequestLimits;
  /** Concurrency and rate limits on run creation. */
  runLimits?: RunLimitsOptions;
  /** Largest request body (default 1 MiB). */
  bodyLimitBytes?: number;
  /** Longest long-poll `?wait=` (default 30 s). */
  maxWaitSeconds?: number;
  /**
   * Batching window of long polls, in ms (default 150, at most 1000): a held poll of a client that already has tokens
   * (`after` >= 1) that sees new events waits this long for more before answering, so a poller makes a handful of
   * requests per answer instead of one per burst. The first answer of a run and the terminal event are never held.
   */
  pollLingerMs?: number;
  /** SSE comment heartbeat interval (default 15 s, well inside nginx's 60 s read timeout). */
  sseHeartbeatMs?: number;
  /** WS ping interval and dead-peer timeout (default 30 s). */
  wsPingMs?: number;
  /** Largest WS frame (default 1 MiB); larger ones close the socket with 1009. */
  wsMaxPayloadBytes?: number;
  /** Unsent bytes per connection above which a stream waits for the socket and then merges tokens (default 64 KiB). */
  highWaterBytes?: number;
  /** Unsent bytes per connection above which the connection is dropped, to be resumed (default 1 MiB). */
  maxBufferedBytes?: number;
  /** A reader that takes nothing for this long is dropped, to be resumed (default 30 s). */
  slowReaderTimeoutMs?: number;
  /** How long a streaming run nobody follows keeps going before it is cancelled upstream (default 30 s). */
  disconnectGraceMs?: number;
  /** Your own authentication; takes precedence over `apiKeys`. */
  authenticate?: Authenticate;
  /** Accepted API keys (`Authorization: Bearer`, WS `bearer.<key>` subprotocol); none: the server is open. */
  apiKeys?: readonly string[];
  /**
   * Proxies whose `X-Forwarded-For` is believed (IPs, CIDRs, or `loopback`/`linklocal`/`uniquelocal`); default none:
   * every client is known by its socket address, for rate limits and `AuthenticationRequest.ip`.
   */
  trustedProxies?: readonly string[];
  /** Exact origins allowed to open a WebSocket and to call the HTTP modes cross-origin (default: any, no CORS). */
  allowedOrigins?: readonly string[];
  /**
   * Secret signing WS tickets, at least 32 characters. Default: derived from `apiKeys` when there are some (instances
   * sharing the keys accept each other's tickets), else random per process (share one when several instances sit
   * behind a balancer with an `authenticate` hook).
   */
  ticketSecret?: string;
  /** Where the kit logs, e.g. a pino logger (default: warnings and errors as JSON lines on stderr). */
  logger?: Logger;
  /** Serve Prometheus metrics at `/metrics` (no key needed); off by default. */
  metrics?: boolean | KitMetricsOptions;
  /** Your own hooks on run start, first token and end. */
  observer?: RunObserver;
}

/** A point-in-time view of the kit's load. */
export interface ChatKitStats {
  activeRuns: number;
  streams: { sse: number; ws: number };
  /** Unsent bytes across all streaming connections: bounded by the backpressure caps, whatever readers do. */
  bufferedBytes: number;
}

/** The mounted kit. */
export interface ChatKit {
  readonly engine: RunEngine;
  /** True when API keys or an `authenticate` hook guard the routes. */
  readonly authenticated: boolean;
  /** Koa: `app.use(kit.middleware())`. Serves the kit's routes and passes every other request on. */
  middleware(): KoaMiddleware;
  /**
   * Node's request handler: `http.createServer(kit.handler())`, or Express 5 / Connect `app.use(kit.handler())`. With
   * `next`, requests for paths the kit does not own are passed on (synchronously); without, they get a 404 JSON error.
   */
  handler(): NodeHandler;
  /**
   * The fetch-style handler, `(Request) => Promise<Response>`: Hono, Next.js route handlers, Bun.serve, Deno.serve.
   * SSE streams as a pull-based `ReadableStream`; the request's `signal` is the client's disconnect. Paths the kit
   * does not own get a 404 JSON error. WebSocket is Node's: use {@link ChatKit.attachWebSocket}.
   */
  readonly fetch: FetchHandler;
  /** Serves the WS mode on `server` (when `ws` is among the modes), at `<basePath>/ws/chat` unless told otherwise. */
  attachWebSocket(server: Server, options?: WebSocketModeOptions): WebSocketMode;
  /** The request's client address, as rate limits see it (forwarded headers only from `trustedProxies`). */
  clientAddress(request: IncomingMessage | AddressedRequest): string;
  /** What the kit holds now: runs it drives, open streams by mode, and bytes written to them but not yet sent. */
  stats(): ChatKitStats;
  /**
   * Shuts down without cutting a stream short: refuses new runs, lets active ones finish until `deadlineMs` (default
   * 0) and ends the rest with a retryable `interrupted`; then waits up to `drainMs` (default 5 s) until every open
   * response, SSE stream, long poll and WS follow has delivered its run through the terminal event; ends whatever is
   * still open (streams of runs driven by another instance: their clients resume there), and closes WS sockets (1001).
   * Close your HTTP server's connections only after it resolves.
   */
  close(options?: { deadlineMs?: number; drainMs?: number }): Promise<void>;
}

/**
 * Creates the chat kit: the four modes over one run engine.
 *
 * @example
 * const kit = createChatKit();
 * const server = createServer(new Koa().use(kit.middleware()).callback());
 * kit.attachWebSocket(server);
 * server.listen(8000);
 */
export function createChatKit(options: ChatKitOptions = {}): ChatKit {
  const provider = options.provider ?? createSimulatedProvider();
  const logger = options.logger ?? createConsoleLogger();
  const metrics = options.metrics ? createKitMetrics(options.metrics === true ? {} : options.metrics) : undefined;
  const rawStore = options.store ?? createMemoryRunStore();
  const store = metrics ? metrics.instrumentStore(rawStore) : rawStore;
  const engine = createRunEngine({
    provider,
    store,
    limits: createRunLimits(options.runLimits),
    ...(options.jobQueue ? { jobQueue: options.jobQueue } : {}),
    observer: combineObservers(createRunLogObserver(logger), metrics?.observer, options.observer),
    ...(options.defaultModel === undefined ? {} : { defaultModel: options.defaultModel }),
    ...(options.disconnectGraceMs === undefined ? {} : { disconnectGraceMs: options.disconnectGraceMs }),
  });
  const keys = (options.apiKeys ?? []).filter((key) => key !== '');
  const context: KitContext = {
    engine,
    limits: options.limits ?? {},
    bodyLimitBytes: options.bodyLimitBytes ?? 1024 * 1024,
    maxWaitSeconds: options.maxWaitSeconds ?? 30,
    pollLingerMs: Math.max(0, Math.min(options.pollLingerMs ?? 150, 1000)),
    sseHeartbeatMs: options.sseHeartbeatMs ?? 15_000,
    wsPingMs: options.wsPingMs ?? 30_000,
    wsMaxPayloadBytes: options.wsMaxPayloadBytes ?? 1024 * 1024,
    highWaterBytes: options.highWaterBytes ?? 64 * 1024,
    pump: {
      maxBufferedBytes: options.maxBufferedBytes ?? 1024 * 1024,
      slowReaderTimeoutMs: options.slowReaderTimeoutMs ?? 30_000,
    },
    authenticate: options.authenticate ?? (keys.length > 0 ? createApiKeyAuthenticator(keys) : undefined),
    clientAddress: createClientAddress(options.trustedProxies),
    tickets: createTicketIssuer({ secret: ticketSecretFor({ ...options, apiKeys: keys }) }),
    allowedOrigins: options.allowedOrigins?.length ? new Set(options.allowedOrigins) : undefined,
    basePath: normalizeBasePath(options.basePath),
    logger,
    drain: createDrain(),
    streams: new Map(),
  };
  const modes = new Set(options.modes ?? MODES);
  const core = createKitCore({ context, routes: kitRoutes(context, modes, metrics), metrics });
  const node = createNodeAdapter(core, context);
  const sockets: WebSocketMode[] = [];
  if (metrics) metrics.trackStreams(() => countStreams(context));

  return {
    engine,
    authenticated: context.authenticate !== undefined,
    clientAddress: context.clientAddress,
    middleware: () => createKoaMiddleware(node),
    handler: () => node.handler,
    fetch: createFetchHandler(core, context),
    stats() {
      let bufferedBytes = 0;
      for (const sink of context.streams.keys()) bufferedBytes += sink.buffered;
      return { activeRuns: engine.activeRuns(), streams: countStreams(context), bufferedBytes };
    },
    attachWebSocket(server, socketOptions) {
      if (!modes.has('ws')) throw new Error('the ws mode is not enabled in this kit');
      const mode = attachWebSocketMode(server, context, { path: `${context.basePath}/ws/chat`, ...socketOptions });
      sockets.push(mode);
      return mode;
    },
    async close({ deadlineMs = 0, drainMs = 5_000 } = {}) {
      context.drain.begin();
      await engine.close({ deadlineMs });
      // Every run this instance drove has its terminal event stored: let the readers have it.
      await context.drain.settled(drainMs);
      context.drain.abort();
      // What was cut just now ends its responses at once (no terminal event: the client resumes).
      await context.drain.settled(1_000);
      await Promise.all(sockets.map((mode) => mode.close()));
      await store.close();
    },
  };
}

/** Every route of the kit for the enabled modes: the open ones, then the API. */
function kitRoutes(context: KitContext, modes: ReadonlySet<Mode>, metrics: KitMetrics | undefined): Route[] {
  const routes = [...openRoutes(context)];
  if (metrics) {
    routes.push({
      method: 'GET',
      path: '/metrics',
      open: true,
      handle: async () => ({
        status: 200,
        headers: { 'Content-Type': metrics.registry.contentType },
        body: await metrics.registry.metrics(),
      }),
    });
  }
  if (modes.has('sync')) routes.push(...syncRoutes(context));
  if (modes.has('polling')) routes.push(...pollingRoutes(context));
  if (modes.has('sse')) routes.push(...sseRoutes(context));
  if (modes.has('ws')) routes.push(...ticketRoutes(context));
  routes.push(...runRoutes(context), ...modelsRoutes(context));
  return routes;
}

function countStreams(context: KitContext): { sse: number; ws: number } {
  const streams = { sse: 0, ws: 0 };
  for (const mode of context.streams.values()) streams[mode]++;
  return streams;
}

/** `''`, or the prefix with one leading slash and none trailing; anything else a path cannot hold is refused. */
function normalizeBasePath(basePath: string | undefined): string {
  const trimmed = (basePath ?? '').replace(/\/+$/, '');
  if (trimmed === '') return '';
  if (!/^\/[\w\-.~/%]*$/.test(trimmed) || trimmed.includes('//')) {
    throw new TypeError(`basePath must be a path such as "/chat", got "${basePath}"`);
  }
  return trimmed;
}

/** True for the error Koa reports when a client disconnects mid-response: a disconnect, not a failure. */
export function isClientDisconnect(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  return code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNRESET' || code === 'EPIPE';
}
