import { spreadOf, type Spread } from './adapter-ratios.js';
import type { FloorPairEntry, FloorPairResults } from './results.js';
import type { TargetId } from './targets.js';

/** One kit target against its floor, over the rounds of the paired comparison. */
export interface FloorPairCost {
  kit: TargetId;
  floor: TargetId;
  /** Server CPU ms per 1,000 tokens of each side, over the rounds. */
  cpuPer1k: { kit: Spread; floor: Spread };
  /** Kit ÷ floor CPU per token within each round. */
  cpuRatio: Spread;
  /** Time to first token p50 of each side, ms, over the rounds. */
  ttftP50: { kit: Spread; floor: Spread };
  /** Kit − floor TTFT p50 within each round, ms. */
  ttftDelta: Spread;
  /**
   * Kit ÷ floor young-generation collections per token within each round of the CPU scenario: how their allocation
   * per token compares, with less noise than CPU time. Absent for runs that did not count collections.
   */
  gcRatio?: Spread;
  /** Failed chats over all rounds, both sides. */
  errors: number;
}

const cpuPer1k = (entry: FloorPairEntry): number | undefined =>
  entry.server && entry.load.tokens > 0 ? (entry.server.cpuMs / entry.load.tokens) * 1000 : undefined;

const minorGcPer1k = (entry: FloorPairEntry): number | undefined =>
  entry.server?.gc && entry.load.tokens > 0 ? (entry.server.gc.minor / entry.load.tokens) * 1000 : undefined;

const ttftP50 = (entry: FloorPairEntry): number | undefined =>
  entry.load.ttftMs.count > 0 ? entry.load.ttftMs.p50 : undefined;

/**
 * Each pair's figures. A ratio or difference is taken within a round (the kit's scenario against the floor's measured
 * right next to it), and only where both sides have the figure.
 */
export function floorPairCosts(results: FloorPairResults): FloorPairCost[] {
  return results.pairs.flatMap(({ kit, floor }) => {
    const mine = results.entries.filter((entry) => entry.pair === kit);
    const side = (target: TargetId, scenario: FloorPairEntry['scenario']) =>
      new Map(
        mine
          .filter((entry) => entry.target === target && entry.scenario === scenario)
          .map((entry) => [entry.round, entry]),
      );
    const within = (scenario: FloorPairEntry['scenario'], read: (entry: FloorPairEntry) => number | undefined) => {
      const kits = side(kit, scenario);
      const floors = side(floor, scenario);
      const values = (entries: Map<number, FloorPairEntry>) => [...entries.values()].flatMap((e) => read(e) ?? []);
      const paired = [...kits].flatMap(([round, entry]) => {
        const a = read(entry);
        const other = floors.get(round);
        const b = other && read(other);
        return a === undefined || b === undefined ? [] : [[a, b] as const];
      });
      return { kit: spreadOf(values(kits)), floor: spreadOf(values(floors)), paired };
    };
    const cpu = within('cpu', cpuPer1k);
    const ttft = within('ttft', ttftP50);
    const cpuRatio = spreadOf(cpu.paired.flatMap(([a, b]) => (b > 0 ? [a / b] : [])));
    const ttftDelta = spreadOf(ttft.paired.map(([a, b]) => a - b));
    const gcRatio = spreadOf(within('cpu', minorGcPer1k).paired.flatMap(([a, b]) => (b > 0 ? [a / b] : [])));
    if (!cpu.kit || !cpu.floor || !ttft.kit || !ttft.floor || !cpuRatio || !ttftDelta) return [];
    return [
      {
        kit,
        floor,
        cpuPer1k: { kit: cpu.kit, floor: cpu.floor },
        cpuRatio,
        ttftP50: { kit: ttft.kit, floor: ttft.floor },
        ttftDelta,
        ...(gcRatio ? { gcRatio } : {}),
        errors: mine.reduce((sum, entry) => sum + entry.load.errors, 0),
      },
    ];
  });
}
