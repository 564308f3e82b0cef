/** The servers the capacity scenario holds slow streams on: the kit in each mode, and two bare relays. */
export type CapacityServer = 'kit-sse' | 'kit-ws' | 'kit-polling' | 'kit-sync' | 'relay-fetch' | 'relay-http';

/** The relay every other server is compared with: the same upstream request through the global `fetch`. */
export const CAPACITY_BASELINE: CapacityServer = 'relay-fetch';

/** The memory budget per held stream, as a multiple of the baseline relay's in the same run (issue #16). */
export const CAPACITY_GOAL = 1.2;

/** The server's memory after a full GC (`process.memoryUsage()`, bytes). */
export interface MemoryReading {
  rss: number;
  heapUsed: number;
  external: number;
  /**
   * The heap's reserved size (`heapTotal`) and, per V8 space, what its pages take in memory (`physical`) against what
   * lives in them (`used`): where RSS beyond the live heap goes. Absent from results before 2026-12-05.
   */
  heapTotal?: number;
  spaces?: Record<string, { used: number; physical: number }>;
}

/** One level of held streams on one server. */
export interface CapacityLevel {
  /** Streams asked for. */
  level: number;
  /** Streams open when measured (asked for, minus those refused, failed or ended). */
  held: number;
  /** Held streams that received a token in the last `aliveWindowMs` (sync: held, as it sends nothing until the end). */
  alive: number;
  /** Streams that failed to open or ended early, since the level began. */
  failed: number;
  memory: MemoryReading;
  /** Event-loop delay of the server while holding them (`monitorEventLoopDelay`), ms. */
  eventLoopLagMs: { p50: number; p99: number; max: number };
  /** `GET /healthz` on a connection of its own, every `healthEveryMs` while holding them. */
  health: { count: number; failed: number; p50Ms: number; p99Ms: number };
}

/** One server's run: its idle baseline (after warm-up and a full GC) and each level. */
export interface CapacityEntry {
  server: CapacityServer;
  baseline: MemoryReading;
  levels: CapacityLevel[];
  /** Why it stopped before the last level (streams refused, the process died). */
  stopped?: string;
}

/** The capacity scenario of a bench run. */
export interface CapacityResults {
  /** The fake Groq's interval between tokens. */
  tokenIntervalMs: number;
  levels: number[];
  /** Levels left out because the open-file limit could not hold them (a server holds two sockets per stream). */
  skippedLevels: number[];
  /** The soft open-file limit the processes ran with. */
  fileLimit: number;
  /** How long each level is held while lag and health are sampled. */
  holdMs: number;
  aliveWindowMs: number;
  healthEveryMs: number;
  entries: CapacityEntry[];
}

/** One server at one level, per held stream, with its ratio to the baseline relay at the same level. */
export interface CapacityFigure {
  server: CapacityServer;
  level: number;
  held: number;
  alive: number;
  /** Every stream asked for is held and receiving. */
  complete: boolean;
  /** (RSS − idle RSS) ÷ held streams, bytes. */
  rssPerStream: number;
  /** (heap used − idle heap used) ÷ held streams after a full GC: what a stream keeps alive, bytes. */
  heapPerStream: number;
  lagP99Ms: number;
  healthP99Ms: number;
  /** × the baseline relay's RSS per stream at the same level; absent for the baseline or when either is incomplete. */
  rssRatio?: number;
  heapRatio?: number;
}

/** What each held stream costs above the idle server; 0 streams cost nothing. */
export function perStream(
  baseline: MemoryReading,
  reading: MemoryReading,
  streams: number,
): { rss: number; heap: number } {
  if (streams <= 0) return { rss: 0, heap: 0 };
  return { rss: (reading.rss - baseline.rss) / streams, heap: (reading.heapUsed - baseline.heapUsed) / streams };
}

/** Every (server, level) of a run, per stream, with ratios to the baseline relay measured in the same run. */
export function capacityFigures(results: CapacityResults): CapacityFigure[] {
  const figures = results.entries.flatMap((entry) =>
    entry.levels.map((level): CapacityFigure => {
      const cost = perStream(entry.baseline, level.memory, level.held);
      return {
        server: entry.server,
        level: level.level,
        held: level.held,
        alive: level.alive,
        complete: level.held === level.level && level.alive === level.level,
        rssPerStream: cost.rss,
        heapPerStream: cost.heap,
        lagP99Ms: level.eventLoopLagMs.p99,
        healthP99Ms: level.health.p99Ms,
      };
    }),
  );
  for (const figure of figures) {
    if (figure.server === CAPACITY_BASELINE || !figure.complete) continue;
    const base = figures.find(
      (other) => other.server === CAPACITY_BASELINE && other.level === figure.level && other.complete,
    );
    if (!base || base.rssPerStream <= 0 || base.heapPerStream <= 0) continue;
    figure.rssRatio = figure.rssPerStream / base.rssPerStream;
    figure.heapRatio = figure.heapPerStream / base.heapPerStream;
  }
  return figures;
}

/** The `p`-th percentile (0–100) of `values`, nearest rank; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}
