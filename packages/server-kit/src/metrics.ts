import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ErrorCode } from '@chatwire/protocol';
import type { RunObserver } from './run-engine.js';
import type { RunStore } from './store.js';

/** Options of {@link createKitMetrics}. */
export interface KitMetricsOptions {
  /** Registry to add the metrics to (default: a new one, so nothing leaks into prom-client's global registry). */
  registry?: Registry;
}

/** The kit's Prometheus metrics and the hooks that feed them. */
export interface KitMetrics {
  readonly registry: Registry;
  /** Feeds runs started/ended, time to first token, duration and tokens. */
  readonly observer: RunObserver;
  /** Counts an error answered over HTTP before any run existed. */
  countError(code: ErrorCode): void;
  /** Wraps a store so every operation's latency is recorded. */
  instrumentStore(store: RunStore): RunStore;
  /** Sets the open-streams gauge from a live count, read at scrape time. */
  trackStreams(count: () => { sse: number; ws: number }): void;
}

// Store operations worth timing; waits (long polls, follows) are not latency.
// `append` and `read` run once or more per token: timing them cost more than they take on the memory store (bench/).
const TIMED_OPERATIONS: Record<string, string> = {
  create: 'create',
  get: 'get',
  findIdempotent: 'find_idempotent',
  requestCancel: 'request_cancel',
};

const LATENCY = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** Creates the metrics served at `/metrics` when `createChatKit({ metrics: true })`. */
export function createKitMetrics(options: KitMetricsOptions = {}): KitMetrics {
  const registry = options.registry ?? new Registry();
  const registers = [registry];
  const started = new Counter({
    name: 'chatwire_runs_started_total',
    help: 'Runs started, by mode',
    labelNames: ['mode'],
    registers,
  });
  const ended = new Counter({
    name: 'chatwire_runs_ended_total',
    help: 'Runs ended, by mode and outcome',
    labelNames: ['mode', 'outcome'],
    registers,
  });
  const errors = new Counter({
    name: 'chatwire_errors_total',
    help: 'Errors by protocol code',
    labelNames: ['code'],
    registers,
  });
  const tokens = new Counter({
    name: 'chatwire_tokens_streamed_total',
    help: 'Token events written, by mode',
    labelNames: ['mode'],
    registers,
  });
  const ttft = new Histogram({
    name: 'chatwire_time_to_first_token_seconds',
    help: 'Time from run start to its first token, by mode',
    labelNames: ['mode'],
    buckets: LATENCY,
    registers,
  });
  const duration = new Histogram({
    name: 'chatwire_run_duration_seconds',
    help: 'Run duration, by mode',
    labelNames: ['mode'],
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers,
  });
  const storeLatency = new Histogram({
    name: 'chatwire_store_operation_seconds',
    help: 'Run store operation latency',
    labelNames: ['operation'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5],
    registers,
  });
  let streams: () => { sse: number; ws: number } = () => ({ sse: 0, ws: 0 });
  new Gauge({
    name: 'chatwire_active_streams',
    help: 'Open streaming connections, by mode',
    labelNames: ['mode'],
    registers,
    collect() {
      const count = streams();
      this.set({ mode: 'sse' }, count.sse);
      this.set({ mode: 'ws' }, count.ws);
    },
  });

  return {
    registry,
    observer: {
      runStarted: (info) => started.inc({ mode: info.mode }),
      firstToken: (info, milliseconds) => ttft.observe({ mode: info.mode }, milliseconds / 1000),
      runEnded: ({ info, terminal, tokens: count, durationMs }) => {
        const outcome = terminal.type === 'done' ? 'completed' : terminal.code;
        ended.inc({ mode: info.mode, outcome });
        if (terminal.type === 'error') errors.inc({ code: terminal.code });
        tokens.inc({ mode: info.mode }, count);
        duration.observe({ mode: info.mode }, durationMs / 1000);
      },
    },
    countError: (code) => errors.inc({ code }),
    instrumentStore(store) {
      // A proxy, so store methods added later pass through untouched; only the listed operations are timed.
      const wrappers = new Map<string, unknown>();
      return new Proxy(store, {
        get(target, property, receiver) {
          const value: unknown = Reflect.get(target, property, receiver);
          const operation = typeof property === 'string' ? TIMED_OPERATIONS[property] : undefined;
          if (!operation || typeof value !== 'function') return value;
          const cached = wrappers.get(operation);
          if (cached) return cached;
          const wrapper = async (...args: unknown[]) => {
            const stop = storeLatency.startTimer({ operation });
            try {
              return await (value as (...args: unknown[]) => Promise<unknown>).apply(target, args);
            } finally {
              stop();
            }
          };
          wrappers.set(operation, wrapper);
          return wrapper;
        },
      });
    },
    trackStreams(count) {
      streams = count;
    },
  };
}
