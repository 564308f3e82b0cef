import type { BenchResults, ScenarioEntry } from '../results.js';
import { TARGETS, type TargetId } from '../targets.js';

/** What the report shows for one scenario, derived from its raw measures. */
export interface Derived {
  entry: ScenarioEntry;
  ttftP50: number;
  ttftP95: number;
  ttftP99: number;
  totalP50: number;
  totalP95: number;
  tokensPerSecond: number;
  gapP99: number;
  requestsPerChat?: number;
  bytesPerChat?: number;
  bytesUpPerChat?: number;
  bytesDownPerChat?: number;
  serverCpuMsPerChat?: number;
  serverCpuMsPer1kTokens?: number;
  /** Server CPU used over the scenario's wall time (1 = one full core). */
  serverCpuShare?: number;
  loadCpuShare: number;
  /** CPU other processes took over the wall time (in cores). */
  otherCpuShare?: number;
  rssPerStream?: number;
}

/** Derives the figures of one scenario. */
export function derive(entry: ScenarioEntry): Derived {
  const { load, server } = entry;
  const chats = Math.max(1, load.chats);
  const derived: Derived = {
    entry,
    ttftP50: load.ttftMs.p50,
    ttftP95: load.ttftMs.p95,
    ttftP99: load.ttftMs.p99,
    totalP50: load.totalMs.p50,
    totalP95: load.totalMs.p95,
    tokensPerSecond: load.tokens / (load.wallMs / 1000),
    gapP99: load.gapMs.p99,
    loadCpuShare: load.clientCpuMs / load.wallMs,
  };
  if (entry.otherCpuMs !== undefined) derived.otherCpuShare = entry.otherCpuMs / load.wallMs;
  if (server) {
    derived.requestsPerChat = server.wire.requests / chats;
    derived.bytesUpPerChat = server.wire.bytesIn / chats;
    derived.bytesDownPerChat = server.wire.bytesOut / chats;
    derived.bytesPerChat = derived.bytesUpPerChat + derived.bytesDownPerChat;
    derived.serverCpuMsPerChat = server.cpuMs / chats;
    if (load.tokens > 0) derived.serverCpuMsPer1kTokens = server.cpuMs / (load.tokens / 1000);
    derived.serverCpuShare = server.cpuMs / load.wallMs;
    derived.rssPerStream = Math.max(0, server.peakRss - server.rssBefore) / entry.concurrency;
  }
  return derived;
}

/** Lookups over one results file. */
export interface ResultsIndex {
  results: BenchResults;
  models: string[];
  concurrencies(model: string): number[];
  targets: TargetId[];
  get(target: TargetId, model: string, concurrency: number): Derived | undefined;
}

/** Indexes the scenarios of a results file. */
export function indexResults(results: BenchResults): ResultsIndex {
  const byKey = new Map<string, Derived>();
  for (const entry of results.scenarios)
    byKey.set(`${entry.target}|${entry.model}|${entry.concurrency}`, derive(entry));
  const models = [...new Set(results.scenarios.map((entry) => entry.model))];
  const present = new Set(results.scenarios.map((entry) => entry.target));
  return {
    results,
    models,
    concurrencies: (model) =>
      [...new Set(results.scenarios.filter((entry) => entry.model === model).map((entry) => entry.concurrency))].sort(
        (a, b) => a - b,
      ),
    targets: TARGETS.map((target) => target.id).filter((id) => present.has(id)),
    get: (target, model, concurrency) => byKey.get(`${target}|${model}|${concurrency}`),
  };
}
