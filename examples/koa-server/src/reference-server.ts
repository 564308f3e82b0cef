import { createServer, type Server } from 'node:http';
import { Server as NetServer, type AddressInfo } from 'node:net';
import {
  createChatKit,
  createGroqProvider,
  createMemoryRunStore,
  createSimulatedProvider,
  isClientDisconnect,
  type ChatKit,
  type ChatKitOptions,
  type Provider,
} from '@chatwire/server-kit';
import Koa from 'koa';
import { pino, type Logger } from 'pino';
import type { ServerConfig } from './config.js';
import { serveApiDocs } from './api-docs.js';
import { requestLog } from './request-log.js';
import { builtUiRoot, serveStaticUi } from './static-ui.js';

/** A running reference server. */
export interface ReferenceServer {
  server: Server;
  kit: ChatKit;
  /** `http://host:port` it listens on. */
  url: string;
  close(deadlineMs?: number): Promise<void>;
}

function createProvider(config: ServerConfig): Provider {
  if (config.provider === 'groq' && config.groqApiKey) {
    return createGroqProvider({
      apiKey: config.groqApiKey,
      ...(config.groqBaseUrl ? { baseURL: config.groqBaseUrl } : {}),
      ...(config.defaultModel ? { defaultModel: config.defaultModel } : {}),
    });
  }
  return createSimulatedProvider(config.defaultModel ? { defaultModel: config.defaultModel } : {});
}

/** Starts the reference server: the kit's four modes on one Koa app and HTTP server. */
export async function startReferenceServer(config: ServerConfig): Promise<ReferenceServer> {
  const logger: Logger = pino({ level: config.logLevel, base: { service: 'chatwire' } });
  const backend = await runsBackend(config);
  const kit = createChatKit({
    ...backend,
    provider: createProvider(config),
    logger,
    metrics: true,
    // With Redis, the backend's shared counter and rate limiter stay; the numbers come from the environment.
    runLimits: { ...backend.runLimits, ...config.runLimits },
    apiKeys: config.apiKeys,
    allowedOrigins: config.allowedOrigins,
    trustedProxies: config.trustedProxies,
    ...(config.ticketSecret ? { ticketSecret: config.ticketSecret } : {}),
    ...(config.defaultModel ? { defaultModel: config.defaultModel } : {}),
  });
  const app = new Koa();
  // Koa's own proxy mode would believe X-Forwarded-For from anyone: the kit decides whom to believe.
  app.proxy = false;
  app.silent = true;
  app.on('error', (error: unknown) => {
    if (!isClientDisconnect(error))
      logger.error({ err: error instanceof Error ? error.message : String(error) }, 'koa error');
  });
  app.use(requestLog(logger, kit.clientAddress));
  app.use(kit.middleware());
  app.use(serveApiDocs());
  // The built web UI (examples/svelte-web/dist), so `npm start` shows the demo with no nginx in front.
  const uiRoot = builtUiRoot();
  if (uiRoot) app.use(serveStaticUi({ root: uiRoot }));
  const server = createServer(
    // Slow-header and slow-body clients are cut off; responses (long streams) are not limited by these.
    { headersTimeout: 10_000, requestTimeout: 30_000 },
    app.callback(),
  );
  kit.attachWebSocket(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    server,
    kit,
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}`,
    /**
     * Stops accepting connections, lets runs finish until the deadline and ends the rest (`interrupted`), lets every
     * open stream and held poll deliver its run through the terminal event, then closes connections (WS with 1001).
     */
    async close(deadlineMs = 0) {
      // net.Server's close stops listening and leaves open connections alone; http.Server's would also drop idle
      // keep-alive connections at once, racing the poll or resume a client is sending on one at this very moment.
      const closed = new Promise<void>((resolve) => NetServer.prototype.close.call(server, () => resolve()));
      await kit.close({ deadlineMs });
      server.closeAllConnections();
      await closed;
    },
  };
}

/** Where runs live: Redis shared by every instance when `REDIS_URL` is set, else this process's memory. */
async function runsBackend(config: ServerConfig): Promise<Pick<ChatKitOptions, 'store' | 'jobQueue' | 'runLimits'>> {
  const ttl = config.runTtlMs === undefined ? {} : { ttlMs: config.runTtlMs };
  if (!config.redisUrl) return { store: createMemoryRunStore(ttl) };
  // Loaded only here, so a single instance never needs ioredis.
  const { createRedisBackend } = await import('@chatwire/server-kit/redis');
  const { runsPerMinute } = config.runLimits;
  return createRedisBackend({
    url: config.redisUrl,
    ...ttl,
    ...(config.leaseMs === undefined ? {} : { leaseMs: config.leaseMs }),
    ...(config.writeBehindMs === undefined ? {} : { writeBehindMs: config.writeBehindMs }),
    ...(config.tokenWindowMs === undefined ? {} : { tokenWindowMs: config.tokenWindowMs }),
    ...(runsPerMinute === undefined ? {} : { runsPerMinute }),
  });
}
