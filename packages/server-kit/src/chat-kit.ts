import type { Server } from 'node:http';
import { MODES, type Mode, type RequestLimits } from '@chatwire/protocol';
import Router from '@koa/router';
import type { Middleware } from 'koa';
import compose from 'koa-compose';
import { ChatError } from './chat-error.js';
import { respondError } from './http/respond-error.js';
import type { KitContext } from './kit-context.js';
import { createConsoleLogger, type Logger } from './logger.js';
import { registerPollingMode } from './modes/polling.js';
import { registerSseMode } from './modes/sse.js';
import { registerSyncMode } from './modes/sync.js';
import { attachWebSocketMode, type WebSocketMode, type WebSocketModeOptions } from './modes/ws.js';
import type { Provider } from './provider.js';
import { createSimulatedProvider } from './providers/simulated.js';
import { registerMetaRoutes } from './routes/meta.js';
import { registerRunRoutes } from './routes/runs.js';
import { createRunEngine, type RunEngine } from './run-engine.js';
import type { RunStore } from './store.js';
import { createMemoryRunStore } from './stores/memory.js';

/** Options of {@link createChatKit}; every one has a default. */
export interface ChatKitOptions {
  /** The model backend (default: the simulated model). */
  provider?: Provider;
  /** Where runs live (default: a memory store). */
  store?: RunStore;
  /** Which modes to serve (default: all four). */
  modes?: readonly Mode[];
  /** Model used when a request names none (default: the provider's). */
  defaultModel?: string;
  /** Request validation caps (`max_tokens`, message count and length). */
  limits?: RequestLimits;
  /** Largest request body (default 1 MiB). */
  bodyLimitBytes?: number;
  /** Longest long-poll `?wait=` (default 30 s). */
  maxWaitSeconds?: number;
  /** SSE comment heartbeat interval (default 15 s). */
  sseHeartbeatMs?: number;
  /** WS ping interval and dead-peer timeout (default 30 s). */
  wsPingMs?: number;
  /** Largest WS frame (default 1 MiB); larger ones close the socket with 1009. */
  wsMaxPayloadBytes?: number;
  /** Unsent bytes per connection above which a stream waits for the socket (default 64 KiB). */
  highWaterBytes?: number;
  /** How long a run nobody follows keeps going before it is cancelled upstream (default 30 s). */
  disconnectGraceMs?: number;
  /** Where the kit logs (default: warnings and errors as JSON lines on stderr). */
  logger?: Logger;
}

/** The mounted kit. */
export interface ChatKit {
  readonly engine: RunEngine;
  /** The HTTP routes of the selected modes plus `/api/runs`, `/api/models` and `/healthz`. */
  readonly router: Router;
  /** Error handling + routes, ready for `app.use()`. */
  middleware(): Middleware;
  /** Serves the WS mode on `server` (when `ws` is among the modes). */
  attachWebSocket(server: Server, options?: WebSocketModeOptions): WebSocketMode;
  /** Closes sockets, cancels active runs and closes the store. */
  close(): Promise<void>;
}

/**
 * Creates the chat kit: the four modes over one run engine.
 *
 * @example
 * const kit = createChatKit();
 * const app = new Koa().use(kit.middleware());
 * const server = app.listen(8000);
 * kit.attachWebSocket(server);
 */
export function createChatKit(options: ChatKitOptions = {}): ChatKit {
  const provider = options.provider ?? createSimulatedProvider();
  const store = options.store ?? createMemoryRunStore();
  const engine = createRunEngine({
    provider,
    store,
    ...(options.defaultModel === undefined ? {} : { defaultModel: options.defaultModel }),
    ...(options.disconnectGraceMs === undefined ? {} : { disconnectGraceMs: options.disconnectGraceMs }),
  });
  const context: KitContext = {
    engine,
    limits: options.limits ?? {},
    bodyLimitBytes: options.bodyLimitBytes ?? 1024 * 1024,
    maxWaitSeconds: options.maxWaitSeconds ?? 30,
    sseHeartbeatMs: options.sseHeartbeatMs ?? 15_000,
    wsPingMs: options.wsPingMs ?? 30_000,
    wsMaxPayloadBytes: options.wsMaxPayloadBytes ?? 1024 * 1024,
    highWaterBytes: options.highWaterBytes ?? 64 * 1024,
    logger: options.logger ?? createConsoleLogger(),
  };
  const modes = new Set(options.modes ?? MODES);
  const router = new Router();
  if (modes.has('sync')) registerSyncMode(router, context);
  if (modes.has('polling')) registerPollingMode(router, context);
  if (modes.has('sse')) registerSseMode(router, context);
  registerRunRoutes(router, context);
  registerMetaRoutes(router, context);
  const sockets: WebSocketMode[] = [];

  const handleErrors: Middleware = async (ctx, next) => {
    try {
      await next();
    } catch (caught) {
      const error = ChatError.from(caught);
      if (error.code === 'internal') context.logger.error({ err: describe(caught), path: ctx.path }, 'request failed');
      if (ctx.respond === false || ctx.headerSent) return;
      respondError(ctx, error);
    }
  };

  return {
    engine,
    router,
    middleware() {
      return compose([handleErrors, router.routes() as Middleware, router.allowedMethods() as Middleware]);
    },
    attachWebSocket(server, socketOptions) {
      if (!modes.has('ws')) throw new Error('the ws mode is not enabled in this kit');
      const mode = attachWebSocketMode(server, context, socketOptions);
      sockets.push(mode);
      return mode;
    },
    async close() {
      await Promise.all(sockets.map((mode) => mode.close()));
      await engine.close();
      await store.close();
    },
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** True for the error Koa reports when a client disconnects mid-response: a disconnect, not a failure. */
export function isClientDisconnect(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  return code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNRESET' || code === 'EPIPE';
}
