import type { KitAdapterInfo } from './adapters.js';
import { describeEntry, type Lab } from './lab.js';
import type { BenchChild } from './processes.js';
import type { AdapterEntry, AdapterResults } from './results.js';
import { targetById, type TargetId } from './targets.js';

/** What the adapter comparison measures. */
export interface AdapterPlan {
  model: string;
  concurrency: number;
  /** Chats per scenario. */
  chats: number;
  /** Every adapter is measured once per round and mode. */
  rounds: number;
  /** Unmeasured chats per server before a mode's first round, so the JIT is warm on that mode's path. */
  warmupChats: number;
  /** The kit modes (their targets) to measure. */
  targets: TargetId[];
}

const CHAT_TIMEOUT_MS = 60_000;

/** One adapter and the baseline server it is compared with. */
interface Pair {
  adapter: KitAdapterInfo;
  server: BenchChild;
  baseline: BenchChild;
}

/**
 * The same kit mounted through each adapter, every mode of the plan measured in rounds. Each adapter is paired with a
 * server of its own running the baseline (the first adapter), so both serve the same chats and hold the same stored
 * runs; a round measures each pair back to back, the adapter first in one round and the baseline in the next, so a
 * ratio compares two scenarios a second or two apart whatever else the machine does. Pairs take turns at the start of
 * a round. Every server runs on the server core; idle ones cost nothing.
 */
export async function runAdapterCosts(
  lab: Lab,
  plan: AdapterPlan,
  adapters: readonly KitAdapterInfo[],
  log: (line: string) => void,
): Promise<AdapterResults> {
  const { model, concurrency, chats } = plan;
  const [baseline, ...others] = adapters;
  if (!baseline || others.length === 0) throw new RangeError('the adapter comparison needs the baseline and another');
  const entries: AdapterEntry[] = [];
  const started: BenchChild[] = [];
  const start = async (adapter: KitAdapterInfo, label: string) => {
    const server = await lab.startServer({ ...targetById('kit-sse'), server: adapter.server });
    started.push(server);
    log(`${label}: server pid ${server.process.pid ?? '?'}`);
    return server;
  };
  const measure = async (id: TargetId, pair: Pair, measured: 'adapter' | 'baseline', round: number) => {
    const adapter = measured === 'adapter' ? pair.adapter : baseline;
    const target = { ...targetById(id), server: adapter.server };
    const spec = { model, concurrency, chats, chatTimeoutMs: CHAT_TIMEOUT_MS };
    const entry = await lab.measure(target, measured === 'adapter' ? pair.server : pair.baseline, spec);
    const pairedWith = measured === 'baseline' ? { pairedWith: pair.adapter.id } : {};
    entries.push({ ...entry, adapter: adapter.id, round, ...pairedWith });
    const perThousand = entry.server ? (entry.server.cpuMs / Math.max(1, entry.load.tokens)) * 1000 : NaN;
    const tag = measured === 'adapter' ? adapter.id : `${adapter.id} for ${pair.adapter.id}`;
    log(`[${tag} ${round + 1}/${plan.rounds}] ${describeEntry(entry)}, ${perThousand.toFixed(2)} ms cpu/1k tokens`);
  };
  try {
    const pairs: Pair[] = [];
    for (const adapter of others) {
      const server = await start(adapter, `kit on ${adapter.label}`);
      pairs.push({ adapter, server, baseline: await start(baseline, `kit on ${baseline.label} (for ${adapter.id})`) });
    }
    for (const id of plan.targets) {
      for (const server of started) {
        const url = await server.ipc.call<string>('ready');
        await lab.runLoad({ target: id, url, model, concurrency, chats: plan.warmupChats, chatTimeoutMs: 30_000 });
      }
      log(`${started.length} servers warmed up on ${id}`);
      for (let round = 0; round < plan.rounds; round++) {
        for (const position of pairs.keys()) {
          const index = (position + round) % pairs.length;
          const pair = pairs[index] as Pair;
          // Each pair alternates which of its two goes first, round after round.
          const order =
            (round + index) % 2 === 0 ? (['baseline', 'adapter'] as const) : (['adapter', 'baseline'] as const);
          for (const measured of order) await measure(id, pair, measured, round);
        }
      }
    }
  } finally {
    for (const server of started) await server.stop();
  }
  return { model, concurrency, chats, rounds: plan.rounds, entries };
}
