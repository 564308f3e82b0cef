import type { AdapterPlan } from './adapter-costs.js';
import type { CapacityPlan } from './capacity.js';
import { ADAPTER_TARGETS } from './adapters.js';
import type { ClusterPlan } from './cluster.js';
import type { FloorPairPlan } from './floor-pairs.js';
import type { ScalingPlan } from './scaling.js';
import type { TargetId } from './targets.js';

/** One timing profile measured at several concurrencies. */
export interface ProfilePlan {
  model: string;
  /** Concurrency → chats to run in all. */
  chats: Record<number, number>;
}

/** What a bench run measures. */
export interface BenchPlan {
  quick: boolean;
  profiles: ProfilePlan[];
  /** Warm-up chats (zero-delay model) before a server's first scenario, so the JIT is warm. */
  warmupChats: number;
  /**
   * `per-profile`: a fresh server process for each target at the first and at the largest concurrency of each profile
   * (a clean heap and RSS baseline where RSS per stream is read); `shared`: one per target for the whole run.
   */
  servers: 'per-profile' | 'shared';
  ramp?: {
    model: string;
    targets: TargetId[];
    steps: number[];
    rampInMs: number;
    holdMs: number;
    /** Attempts at a step that fails while other processes are busy. */
    attempts: number;
  };
  chatTimeoutMs: number;
  /** One instance against two behind nginx with Redis. */
  cluster?: ClusterPlan & { scaling?: ScalingPlan };
  /** The kit through each framework adapter against Koa. */
  adapters?: AdapterPlan;
  /** The kit's SSE and WS against the bare transports, in pairs. */
  floorPairs?: FloorPairPlan;
  /** Slow streams held open on the kit and on bare relays. */
  capacity?: CapacityPlan;
}

// Every server of the capacity scenario, 1k, 2k and 4k streams: about six minutes on two cores.
const CAPACITY: CapacityPlan = {
  levels: [1_000, 2_000, 4_000],
  servers: ['relay-fetch', 'relay-http', 'kit-sse', 'kit-ws', 'kit-polling', 'kit-sync'],
  holdMs: 5_000,
  settleMs: 3_000,
};

const RAMP_TARGETS: TargetId[] = ['kit-polling', 'kit-sse', 'kit-ws', 'bare-sse', 'bare-ws', 'ai-sdk', 'socket.io'];

// Zero delay, so the server's CPU per token is the code's cost alone; short scenarios, many rounds: the spread of the
// ratios is the noise of a shared machine, and more pairs a second apart beat fewer long ones.
const ADAPTERS: AdapterPlan = {
  model: 'sim/instant',
  concurrency: 50,
  chats: 200,
  rounds: 8,
  warmupChats: 100,
  targets: [...ADAPTER_TARGETS],
};

// Zero delay at c=50 for CPU per token and one chat at a time for time to first token, in rounds like the adapters.
const FLOOR_PAIRS: FloorPairPlan = {
  model: 'sim/instant',
  cpu: { concurrency: 50, chats: 200 },
  ttft: { chats: 100 },
  rounds: 8,
  pairs: [
    { kit: 'kit-sse', floor: 'bare-sse' },
    { kit: 'kit-ws', floor: 'bare-ws' },
  ],
};

/**
 * Which plan: the full run (under half an hour on two cores, the adapter comparison 8 to 13 minutes of it), the quick
 * one (a minute or two), or a profiling run.
 */
export type PlanKind = 'full' | 'quick' | 'profile';

/** The plan of a bench run. */
export function createPlan(kind: PlanKind): BenchPlan {
  if (kind === 'profile') {
    // Long zero-delay scenarios only, so a --cpu-prof profile is steady state, not start-up.
    return {
      quick: true,
      profiles: [{ model: 'sim/instant', chats: { 10: 1500, 100: 2500 } }],
      warmupChats: 200,
      servers: 'shared',
      chatTimeoutMs: 60_000,
      // With --cluster-only --topologies=one-redis-nginx: the instance on Redis, at the pace of a real model.
      cluster: {
        targets: ['kit-sync', 'kit-polling', 'kit-sse', 'kit-ws'],
        profiles: [{ model: 'sim/gpt-oss-20b', chats: { 10: 150, 100: 1000 } }],
      },
    };
  }
  const quick = kind === 'quick';
  if (quick) {
    return {
      quick,
      profiles: [
        { model: 'sim/instant', chats: { 1: 10, 10: 40, 100: 100 } },
        { model: 'sim/gpt-oss-20b', chats: { 10: 10 } },
      ],
      warmupChats: 20,
      servers: 'shared',
      ramp: {
        model: 'sim/gpt-oss-20b',
        targets: ['kit-sse'],
        steps: [10, 40],
        rampInMs: 300,
        holdMs: 800,
        attempts: 1,
      },
      chatTimeoutMs: 30_000,
      cluster: {
        targets: ['kit-sse', 'kit-ws'],
        profiles: [{ model: 'sim/gpt-oss-20b', chats: { 10: 20 } }],
        rounds: { 10: 2 },
        scaling: { targets: ['kit-sse'], model: 'sim/instant', concurrency: 100, chats: 100, rounds: 1 },
      },
      // SSE only: eight servers start for it, and the quick run is a smoke test.
      adapters: { ...ADAPTERS, chats: 40, rounds: 1, warmupChats: 10, targets: ['kit-sse'] },
      floorPairs: { ...FLOOR_PAIRS, cpu: { concurrency: 50, chats: 50 }, ttft: { chats: 10 }, rounds: 1 },
      capacity: { ...CAPACITY, levels: [100, 200], servers: ['relay-fetch', 'kit-sse', 'kit-ws'], holdMs: 2_000 },
    };
  }
  return {
    quick,
    profiles: [
      { model: 'sim/instant', chats: { 1: 60, 10: 200, 100: 500, 1000: 1000 } },
      { model: 'sim/gpt-oss-20b', chats: { 1: 6, 10: 30, 100: 200, 1000: 1000 } },
      { model: 'sim/gpt-oss-120b', chats: { 1: 3, 10: 20, 100: 100 } },
    ],
    warmupChats: 100,
    servers: 'per-profile',
    ramp: {
      model: 'sim/gpt-oss-20b',
      targets: RAMP_TARGETS,
      steps: [10, 25, 50, 100, 200, 400, 800, 1600, 3200],
      rampInMs: 1000,
      holdMs: 2000,
      attempts: 3,
    },
    chatTimeoutMs: 60_000,
    cluster: {
      targets: ['kit-sync', 'kit-polling', 'kit-sse', 'kit-ws'],
      profiles: [
        { model: 'sim/gpt-oss-20b', chats: { 10: 120, 100: 400, 1000: 2000 } },
        { model: 'sim/instant', chats: { 100: 500 } },
      ],
      // About 7 s a scenario at c=10 (120 chats; 60 left single rounds moving by 30%): five rounds, the topologies
      // taking turns, the median kept (three still let one slow round of a machine shared with other VMs decide a
      // ratio; about 9 minutes more than one round).
      rounds: { 10: 5 },
      // Zero delay at c=100: both deployments saturated, so tokens/s is what the cores can serve (about two minutes).
      scaling: {
        targets: ['kit-sync', 'kit-polling', 'kit-sse', 'kit-ws'],
        model: 'sim/instant',
        concurrency: 100,
        chats: 400,
        rounds: 3,
      },
    },
    adapters: ADAPTERS,
    floorPairs: FLOOR_PAIRS,
    capacity: CAPACITY,
  };
}
