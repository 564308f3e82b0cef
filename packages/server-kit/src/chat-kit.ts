import type { IncomingMessage, Server } from 'node:http';
import { MODES, type Mode, type RequestLimits } from '@chatwire/protocol';
import cors from '@koa/cors';
import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import compose from 'koa-compose';
import { ChatError } from './chat-error.js';
import { createClientAddress } from './client-address.js';
import { createDrain } from './drain.js';
import { authenticateRequest } from './http/authenticate-request.js';
import { respondError } from './http/respond-error.js';
import type { KitContext } from './kit-context.js';
import { createConsoleLogger, type Logger } from './logger.js';
import { registerPollingMode } from './modes/polling.js';
import { registerSseMode } from './modes/sse.js';
import { registerSyncMode } from './modes/sync.js';
import { attachWebSocketMode, type WebSocketMode, type WebSocketModeOptions } from './modes/ws.js';
import { createApiKeyAuthenticator, type Authenticate } from './principal.js';
import type { Provider } from './provider.js';
import { createSimulatedProvider } from './providers/simulated.js';
import { registerHealthRoute, registerModelsRoute, registerOpenApiRoute, registerReadyRoute } from './routes/meta.js';
import { registerRunRoutes } from './routes/runs.js';
import { registerTicketRoute } from './routes/ws-ticket.js';
import { overhead } from './http/overhead.js';
import { createKitMetrics, type KitMetricsOptions } from './metrics.js';
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
  /** Error handling, CORS, `/healthz` and the authenticated API routes, ready for `app.use()`. */
  middleware(): Middleware;
  /** Serves the WS mode on `server` (when `ws` is among the modes). */
  attachWebSocket(server: Server, options?: WebSocketModeOptions): WebSocketMode;
  /** The request's client address, as rate limits see it (forwarded headers only from `trustedProxies`). */
  clientAddress(request: IncomingMessage): string;
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
    logger,
    drain: createDrain(),
    streams: new Map(),
  };
  const modes = new Set(options.modes ?? MODES);
  const open = new Router();
  registerHealthRoute(open, context);
  registerReadyRoute(open, context);
  registerOpenApiRoute(open, context);
  if (metrics) {
    metrics.trackStreams(() => countStreams(context));
    open.get('/metrics', async (ctx) => {
      ctx.set('Content-Type', metrics.registry.contentType);
      ctx.body = await metrics.registry.metrics();
    });
  }
  const api = new Router();
  api.use(authenticateRequest(context));
  if (modes.has('sync')) registerSyncMode(api, context);
  if (modes.has('polling')) registerPollingMode(api, context);
  if (modes.has('sse')) registerSseMode(api, context);
  if (modes.has('ws')) registerTicketRoute(api, context);
  registerRunRoutes(api, context);
  registerModelsRoute(api, context);
  const sockets: WebSocketMode[] = [];

  const handleErrors: Middleware = async (ctx, next) => {
    overhead.begin(ctx);
    // Until its response is out, a request counts as a delivery a closing kit waits for.
    context.drain.track(new Promise((resolve) => ctx.res.once('close', resolve)));
    // A closing server answers what it still serves on connections it then closes: a balancer's pooled connection is
    // not reused for a new chat this instance would refuse, and goes to another instance instead.
    if (context.drain.closing) ctx.set('Connection', 'close');
    try {
      // Koa parses the URL lazily and throws on one it cannot parse (`GET http://[x/...`): refuse it as bad input.
      requestPath(ctx);
      await next();
    } catch (caught) {
      const error = ChatError.from(caught);
      metrics?.countError(error.code);
      if (error.code === 'internal')
        context.logger.error({ err: describe(caught), path: requestPath(ctx, false) }, 'request failed');
      if (ctx.respond === false || ctx.headerSent) return;
      respondError(ctx, error);
    }
  };
  const corsForApi = corsMiddleware(context.allowedOrigins);

  return {
    engine,
    authenticated: context.authenticate !== undefined,
    clientAddress: context.clientAddress,
    middleware() {
      const refusals = {
        throw: true,
        methodNotAllowed: () => new ChatError('method_not_allowed', 'this method is not allowed on this path'),
        notImplemented: () => new ChatError('method_not_allowed', 'this method is not supported'),
      };
      return compose([
        handleErrors,
        corsForApi,
        open.routes() as Middleware,
        open.allowedMethods(refusals) as Middleware,
        api.routes() as Middleware,
        api.allowedMethods(refusals) as Middleware,
      ]);
    },
    stats() {
      let bufferedBytes = 0;
      for (const sink of context.streams.keys()) bufferedBytes += sink.buffered;
      return { activeRuns: engine.activeRuns(), streams: countStreams(context), bufferedBytes };
    },
    attachWebSocket(server, socketOptions) {
      if (!modes.has('ws')) throw new Error('the ws mode is not enabled in this kit');
      const mode = attachWebSocketMode(server, context, socketOptions);
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

function countStreams(context: KitContext): { sse: number; ws: number } {
  const streams = { sse: 0, ws: 0 };
  for (const mode of context.streams.values()) streams[mode]++;
  return streams;
}

/** CORS for the API routes, following the same allowlist as WS origins; none configured, no CORS headers. */
function corsMiddleware(allowed: ReadonlySet<string> | undefined): Middleware {
  if (!allowed) return (_ctx, next) => next();
  const handler = cors({
    origin: (ctx) => (allowed.has(ctx.get('Origin')) ? ctx.get('Origin') : ''),
    allowHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'Last-Event-ID'],
    exposeHeaders: ['Retry-After', 'Location'],
    maxAge: 600,
  });
  return (ctx, next) => (ctx.path.startsWith('/api/') ? handler(ctx, next) : next());
}

/** `ctx.path`, which throws for a URL Koa cannot parse: as `invalid_request`, or (`strict` false) as `?`. */
function requestPath(ctx: Context, strict = true): string {
  try {
    return ctx.path;
  } catch (error) {
    if (!strict) return '?';
    throw new ChatError('invalid_request', 'the request URL is malformed', { cause: error });
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** True for the error Koa reports when a client disconnects mid-response: a disconnect, not a failure. */
export function isClientDisconnect(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  return code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNRESET' || code === 'EPIPE';
}
