import type { GcCounts } from '../server-stats.js';
import type { ScenarioEntry } from '../results.js';
import type { TargetId } from '../targets.js';

/** What a test sets of a {@link fakeScenarioEntry}; the rest is zero. */
export interface FakeScenario {
  target: TargetId;
  concurrency?: number;
  /** Chats in the scenario (default 10), each of 100 tokens. */
  chats?: number;
  errors?: number;
  /** Server CPU over the scenario (default 100 ms). */
  cpuMs?: number;
  /** Time to first token p50 (no TTFT figures without it). */
  ttftMs?: number;
  /** HTTP requests the server counted (default one per chat). */
  requests?: number;
  /** Garbage collections the server counted (none recorded without it, as in older results). */
  gc?: GcCounts;
}

const none = { count: 0, mean: 0, p50: 0, p95: 0, p99: 0, max: 0 };
const only = (value: number, count: number) => ({ count, mean: value, p50: value, p95: value, p99: value, max: value });

/** A measured scenario for the tests of the figures computed from results files. */
export function fakeScenarioEntry(scenario: FakeScenario): ScenarioEntry {
  const { target, concurrency = 50, chats = 10, errors = 0, cpuMs = 100, ttftMs, requests = chats, gc } = scenario;
  return {
    target,
    model: 'sim/instant',
    concurrency,
    load: {
      chats,
      errors,
      errorSamples: [],
      wallMs: 1000,
      tokens: chats * 100,
      ttftMs: ttftMs === undefined ? none : only(ttftMs, chats),
      totalMs: only(5, chats),
      gapMs: only(0.1, chats),
      clientCpuMs: 0,
      counters: {},
    },
    server: {
      cpuMs,
      rssBefore: 0,
      peakRss: 0,
      peakStreams: 0,
      peakConnections: 0,
      wire: { requests, connections: 1, bytesIn: 0, bytesOut: 0 },
      ...(gc ? { gc } : {}),
    },
  };
}
