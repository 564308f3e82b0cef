import { describeEntry, type Lab } from './lab.js';
import type { BenchChild } from './processes.js';
import type { FloorPairEntry, FloorPairResults } from './results.js';
import { targetById, type TargetId } from './targets.js';

/** What the paired kit-against-floor comparison measures. */
export interface FloorPairPlan {
  model: string;
  /** The CPU scenario: concurrent chats, and chats in all. */
  cpu: { concurrency: number; chats: number };
  /** The time-to-first-token scenario: one chat at a time, this many. */
  ttft: { chats: number };
  /** Every pair is measured once per round, each side right next to the other. */
  rounds: number;
  /** Each kit target and the bare transport it is compared with. */
  pairs: Array<{ kit: TargetId; floor: TargetId }>;
}

const CHAT_TIMEOUT_MS = 60_000;

/**
 * The kit against the bare transport sending the same frames, in rounds: a round measures each pair back to back (the
 * kit first in one round, the floor first in the next), once at `cpu.concurrency` for server CPU per token and once one
 * chat at a time for time to first token, so a ratio or a difference compares two scenarios seconds apart whatever
 * else the machine does. One server per side for the whole comparison, warmed up like every bench server.
 */
export async function runFloorPairs(
  lab: Lab,
  plan: FloorPairPlan,
  log: (line: string) => void,
): Promise<FloorPairResults> {
  const entries: FloorPairEntry[] = [];
  const started: BenchChild[] = [];
  try {
    const servers = new Map<TargetId, BenchChild>();
    for (const { kit, floor } of plan.pairs) {
      for (const id of [kit, floor]) {
        const server = await lab.startServer(targetById(id));
        started.push(server);
        servers.set(id, server);
      }
    }
    log(`kit against floor, in pairs: ${started.length} servers started and warmed up`);
    for (let round = 0; round < plan.rounds; round++) {
      for (const [index, pair] of plan.pairs.entries()) {
        const order = (round + index) % 2 === 0 ? [pair.kit, pair.floor] : [pair.floor, pair.kit];
        for (const scenario of ['cpu', 'ttft'] as const) {
          for (const id of order) {
            const spec =
              scenario === 'cpu'
                ? { model: plan.model, ...plan.cpu, chatTimeoutMs: CHAT_TIMEOUT_MS }
                : { model: plan.model, concurrency: 1, chats: plan.ttft.chats, chatTimeoutMs: CHAT_TIMEOUT_MS };
            const entry = await lab.measure(targetById(id), servers.get(id), spec);
            entries.push({ ...entry, round, scenario, pair: pair.kit });
            log(`[pairs ${round + 1}/${plan.rounds} ${scenario}] ${describeEntry(entry)}`);
          }
        }
      }
    }
  } finally {
    for (const server of started) await server.stop();
  }
  return { ...plan, entries };
}
