import type { ContextSwitches } from './process-tree.js';
import type { KitAdapter } from './adapters.js';
import type { MachineInfo } from './machine.js';
import type { ScenarioResult } from './scenario.js';
import type { WireCounts } from './wire-meter.js';
import type { GcCounts } from './server-stats.js';
import type { TargetId } from './targets.js';
import type { Topology, TopologyId } from './cluster.js';
import type { CapacityResults } from './capacity-figures.js';

/** The server side of one scenario, from the server process itself. */
export interface ServerMeasure {
  /** CPU time (user + system) the server process spent during the scenario. */
  cpuMs: number;
  /** RSS after warm-up and a full GC, before the scenario. */
  rssBefore: number;
  peakRss: number;
  peakStreams: number;
  peakConnections: number;
  wire: WireCounts;
  /** Garbage collections during the scenario (absent in results written before they were counted). */
  gc?: GcCounts;
}

/** One measured scenario. */
export interface ScenarioEntry {
  target: TargetId;
  model: string;
  concurrency: number;
  load: ScenarioResult;
  server?: ServerMeasure;
  /** CPU time the rest of the machine (other processes) used during the scenario, from /proc/stat. */
  otherCpuMs?: number;
}

/** One step of a concurrency ramp. */
export interface RampStep extends ScenarioEntry {
  pass: boolean;
  /** Why it failed: errors, the gap threshold, or both. */
  reasons: string[];
}

/** The ramp of one target: the largest step that passed. */
export interface RampResult {
  target: TargetId;
  /** Largest concurrency that passed; 0 when even the first step failed. */
  maxConcurrency: number;
  /** True when the largest step tried passed: the real limit is higher. */
  capped: boolean;
  steps: RampStep[];
}

/** One scenario on one topology of the instance comparison. */
export interface ClusterEntry {
  topology: TopologyId;
  target: TargetId;
  model: string;
  concurrency: number;
  load: ScenarioResult;
  /** CPU time over the scenario: the kit instances together (their own `process.cpuUsage()`), nginx, redis-server. */
  cpuMs: { instances: number; nginx?: number; redis?: number };
  /** Requests each instance received (WebSocket: the handshakes), to show how nginx spread the load. */
  instanceRequests: number[];
  otherCpuMs?: number;
  /**
   * Commands redis-server ran over the scenario (`INFO commandstats`, so the commands inside scripts count one by one
   * besides the `evalsha` that ran them), in all and by command; older results have none.
   */
  redisCommands?: { total: number; byCommand: Record<string, number> };
  /**
   * Context switches of the instances' main threads and of redis-server over the scenario (went to sleep, were
   * preempted); older results have none.
   */
  contextSwitches?: { instances: ContextSwitches; redis?: ContextSwitches };
  /**
   * Measured in several rounds (the plan's `rounds`): server-side CPU ms per 1,000 tokens of each, in order; this entry
   * is the median round. Absent: one round.
   */
  roundsCpuPerThousand?: number[];
}

/** One instance against two behind nginx with Redis (`--no-cluster` skips it). */
export interface ClusterResults {
  topologies: Topology[];
  entries: ClusterEntry[];
  /** Why it did not run (nginx or redis-server missing). */
  skipped?: string;
  /** One instance against two, one per core (older results have none). */
  scaling?: ScalingResults;
}

/** One scenario of the scaling measurement: a cluster entry, with its deployment's size and its round. */
export interface ScalingEntry extends ClusterEntry {
  instances: number;
  round: number;
}

/** One instance against two on Redis behind nginx, instance i pinned to core i, at the same client load. */
export interface ScalingResults {
  model: string;
  concurrency: number;
  chats: number;
  /** Cores of the machine. */
  cores: number;
  entries: ScalingEntry[];
  /** Why it did not run. */
  skipped?: string;
}

/** One scenario of the adapter comparison: a kit mode served through one framework adapter. */
export interface AdapterEntry extends ScenarioEntry {
  adapter: KitAdapter;
  /** The round (from 0): each round measures every adapter once, each right next to a scenario of the baseline. */
  round: number;
  /** For a scenario of the baseline: the adapter it was measured next to, and is compared with. */
  pairedWith?: KitAdapter;
}

/** The kit mounted through each framework adapter against Koa (`--adapters-only`, or part of a full run). */
export interface AdapterResults {
  model: string;
  concurrency: number;
  /** Chats per scenario. */
  chats: number;
  rounds: number;
  entries: AdapterEntry[];
}

/** One scenario of the paired kit-against-floor comparison. */
export interface FloorPairEntry extends ScenarioEntry {
  /** The round (from 0): each round measures both sides of every pair, right next to each other. */
  round: number;
  /** `cpu`: many chats at once, for server CPU per token; `ttft`: one chat at a time, for time to first token. */
  scenario: 'cpu' | 'ttft';
  /** The kit target of the pair this scenario belongs to. */
  pair: TargetId;
}

/** The kit's SSE and WS against the bare transports, measured in pairs (`--pairs-only`, or part of a full run). */
export interface FloorPairResults {
  model: string;
  cpu: { concurrency: number; chats: number };
  ttft: { chats: number };
  rounds: number;
  pairs: Array<{ kit: TargetId; floor: TargetId }>;
  entries: FloorPairEntry[];
}

/** A whole bench run, as written to bench/results/*.json. */
export interface BenchResults {
  version: 1;
  startedAt: string;
  durationMs: number;
  quick: boolean;
  machine: MachineInfo;
  /** Whether server and load generator were pinned to separate cores. */
  pinning: { used: boolean; serverCore?: number; loadCore?: number };
  /** Nice value the server and load generator ran at, when it could be set. */
  priority?: number;
  settings: {
    answerTokens: number;
    kitMetrics: boolean;
    ramp?: {
      model: string;
      steps?: number[];
      rampInMs: number;
      holdMs: number;
      modelGapP99Ms: number;
      thresholdMs: number;
    };
  };
  scenarios: ScenarioEntry[];
  ramps: RampResult[];
  cluster?: ClusterResults;
  adapters?: AdapterResults;
  floorPairs?: FloorPairResults;
  /** Slow streams held open (`--capacity-only`, or part of a full run; `--no-capacity` skips it). */
  capacity?: CapacityResults;
  /** Runs against real Groq (only with GROQ_API_KEY), kept apart from the simulated figures. */
  groq?: ScenarioEntry[];
}
