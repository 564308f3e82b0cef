import {
  createChatKit,
  createGroqProvider,
  createMemoryRunStore,
  createSimulatedProvider,
  type ChatKitOptions,
} from '@chatwire/server-kit';
import type { KitAdapter } from '../adapters.js';
import type { BenchServer } from './bench-server.js';
import { mountKit } from './kit-mounts.js';

/** Options of {@link startKitServer}. */
export interface KitServerOptions {
  /** Serve Prometheus metrics, as the reference server does (default true). */
  metrics?: boolean;
  /** Real Groq (GROQ_API_KEY) instead of the simulated model. */
  groq?: boolean;
  /**
   * Runs, the polling job queue and the limits on this Redis, shared with the other instances behind the same nginx,
   * as the reference server does with `REDIS_URL`; none: the memory store.
   */
  redisUrl?: string;
  /** The framework the kit is mounted in (default Koa, as the reference server). */
  adapter?: KitAdapter;
  /** Groq at this base URL with this key (the capacity scenario's fake Groq), serving `openai/gpt-oss-20b`. */
  upstream?: { baseUrl: string; apiKey: string };
}

// Ended runs are kept 15 s: memory measures open streams, not the history of the whole bench.
const RUN_TTL_MS = 15_000;
// Admission limits high enough for thousands of concurrent runs from one loopback address.
const LIMITS = { maxConcurrentRuns: 100_000, maxConcurrentRunsPerPrincipal: 100_000, runsPerMinute: 100_000_000 };

async function runsBackend(
  redisUrl: string | undefined,
): Promise<Pick<ChatKitOptions, 'store' | 'jobQueue' | 'runLimits'>> {
  if (!redisUrl) return { store: createMemoryRunStore({ ttlMs: RUN_TTL_MS, maxRuns: 200_000 }), runLimits: LIMITS };
  const { createRedisBackend } = await import('@chatwire/server-kit/redis');
  const backend = createRedisBackend({
    url: redisUrl,
    ttlMs: RUN_TTL_MS,
    runsPerMinute: LIMITS.runsPerMinute,
    // Each instance's workers take as many polling runs at once as the load sends (the default is 100).
    queueConcurrency: 10_000,
    // To compare windows by hand (0: one script call per event, as before the window); the store's default otherwise.
    ...(process.env.BENCH_WRITE_BEHIND_MS ? { writeBehindMs: Number(process.env.BENCH_WRITE_BEHIND_MS) } : {}),
  });
  return { ...backend, runLimits: { ...backend.runLimits, ...LIMITS } };
}

/**
 * The reference server's app, built the way examples/koa-server/src/reference-server.ts builds it (createChatKit +
 * Koa, simulated provider, metrics on, the memory store or Redis), or the same kit mounted through another adapter
 * (`options.adapter`), with three bench settings: admission limits high enough for thousands of concurrent runs from
 * one loopback address, ended runs kept 15 s instead of 10 min, and a 2 s disconnect grace (so a ramp step's
 * leftovers die before the next).
 * Logging stays at the kit's default (warnings and errors); the reference server's per-run info lines are off.
 */
export async function startKitServer(options: KitServerOptions = {}): Promise<BenchServer> {
  const kit = createChatKit({
    ...(await runsBackend(options.redisUrl)),
    provider: options.upstream
      ? createGroqProvider({
          apiKey: options.upstream.apiKey,
          baseURL: options.upstream.baseUrl,
          models: ['openai/gpt-oss-20b'],
        })
      : options.groq
        ? createGroqProvider({ apiKey: process.env.GROQ_API_KEY ?? '' })
        : createSimulatedProvider(),
    metrics: options.metrics ?? true,
    disconnectGraceMs: 2_000,
  });
  const mounted = await mountKit(kit, options.adapter ?? 'koa');
  return {
    server: mounted.server,
    url: mounted.url,
    openStreams() {
      const { streams } = kit.stats();
      return streams.sse + streams.ws;
    },
    async close() {
      await kit.close();
      await mounted.close();
    },
  };
}
