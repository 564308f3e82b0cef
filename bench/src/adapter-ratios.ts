import { BASELINE_ADAPTER, KIT_ADAPTERS, type KitAdapter } from './adapters.js';
import type { AdapterEntry, AdapterResults } from './results.js';
import type { TargetId } from './targets.js';

/** A median with the lowest and highest value it was taken from. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  /** How many values. */
  count: number;
}

/** What one adapter cost in one mode, over the rounds of the comparison. */
export interface AdapterCost {
  target: TargetId;
  adapter: KitAdapter;
  /** Server CPU ms per 1,000 tokens delivered, over the rounds. */
  cpuPer1k: Spread;
  /** CPU per token ÷ the baseline's measured next to it, over the rounds; none for the baseline itself. */
  ratio?: Spread;
  /** Failed chats over all rounds. */
  errors: number;
  /** HTTP requests per chat (polling makes several), over all rounds. */
  requestsPerChat: number;
}

/** The median (the mean of the two middle values for an even count), lowest and highest; undefined when empty. */
export function spreadOf(values: readonly number[]): Spread | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  const median = Number.isInteger(middle)
    ? ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
    : (sorted[Math.floor(middle)] as number);
  return { median, min: sorted[0] as number, max: sorted.at(-1) as number, count: sorted.length };
}

/** Server CPU ms per 1,000 tokens of a scenario; undefined without a server measure or tokens. */
export function cpuPer1kTokens(entry: AdapterEntry): number | undefined {
  if (!entry.server || entry.load.tokens <= 0) return undefined;
  return (entry.server.cpuMs / entry.load.tokens) * 1000;
}

/**
 * Each adapter's cost per mode, in mode then adapter order (the baseline first). A ratio is taken within a pair: the
 * adapter's scenario of a round against the baseline's scenario measured right next to it (`pairedWith`), and only
 * where both delivered tokens.
 */
export function adapterCosts(results: AdapterResults): AdapterCost[] {
  const pairKey = (target: TargetId, adapter: KitAdapter | undefined, round: number) => `${target}|${adapter}|${round}`;
  const baselines = new Map(
    results.entries
      .filter((entry) => entry.adapter === BASELINE_ADAPTER)
      .map((entry) => [pairKey(entry.target, entry.pairedWith, entry.round), entry]),
  );
  const targets = [...new Set(results.entries.map((entry) => entry.target))];
  const costs: AdapterCost[] = [];
  for (const target of targets) {
    for (const { id: adapter } of KIT_ADAPTERS) {
      const entries = results.entries.filter((entry) => entry.target === target && entry.adapter === adapter);
      const cpuPer1k = spreadOf(entries.flatMap((entry) => cpuPer1kTokens(entry) ?? []));
      if (!cpuPer1k) continue;
      const ratios = entries.flatMap((entry) => {
        const baseline = baselines.get(pairKey(target, adapter, entry.round));
        const mine = cpuPer1kTokens(entry);
        const theirs = baseline && cpuPer1kTokens(baseline);
        return mine !== undefined && theirs ? [mine / theirs] : [];
      });
      const ratio = adapter === BASELINE_ADAPTER ? undefined : spreadOf(ratios);
      const chats = entries.reduce((sum, entry) => sum + entry.load.chats, 0);
      const requests = entries.reduce((sum, entry) => sum + (entry.server?.wire.requests ?? 0), 0);
      costs.push({
        target,
        adapter,
        cpuPer1k,
        ...(ratio ? { ratio } : {}),
        errors: entries.reduce((sum, entry) => sum + entry.load.errors, 0),
        requestsPerChat: requests / Math.max(1, chats),
      });
    }
  }
  return costs;
}
