import type { RampResult } from '../results.js';
import { targetById, type TargetId } from '../targets.js';
import { bytes, ms, num, ratio, table } from './format.js';
import { label } from './measured.js';
import type { ResultsIndex } from './metrics.js';
import { maxStreams } from './ramp-tables.js';

/**
 * One row per target at one profile and concurrency, every figure also as a ratio: time to first token and tokens/s
 * against the in-process provider, wire and CPU against the bare SSE floor.
 */
export function headlineTable(index: ResultsIndex, model: string, level: number, ramps: RampResult[]): string {
  const direct = index.get('direct', model, level);
  const floor = index.get('bare-sse', model, level);
  const rows = index.targets.map((target) => {
    const derived = index.get(target, model, level);
    const ramp = ramps.find((item) => item.target === target);
    if (!derived) return [label(target), '–', '–', '–', '–', '–', '–'];
    const over = (mine: number | undefined, theirs: number | undefined) =>
      mine === undefined || theirs === undefined || target === 'direct' ? '' : ` (${ratio(mine / theirs)})`;
    return [
      label(target),
      `${ms(derived.ttftP50)}${over(derived.ttftP50, direct?.ttftP50)}`,
      `${num(derived.tokensPerSecond)}${over(derived.tokensPerSecond, direct?.tokensPerSecond)}`,
      num(derived.requestsPerChat, 2),
      derived.bytesPerChat === undefined
        ? '–'
        : `${bytes(derived.bytesPerChat)}${target === 'bare-sse' ? '' : over(derived.bytesPerChat, floor?.bytesPerChat)}`,
      derived.serverCpuMsPer1kTokens === undefined
        ? '–'
        : `${ms(derived.serverCpuMsPer1kTokens)}${target === 'bare-sse' ? '' : over(derived.serverCpuMsPer1kTokens, floor?.serverCpuMsPer1kTokens)}`,
      ramp ? maxStreams(ramp) : '–',
    ];
  });
  return table(
    [
      'target',
      'TTFT p50 ms (× limit)',
      'tokens/s (× limit)',
      'requests / chat',
      'bytes / chat (× bare SSE)',
      'server CPU ms / 1k tokens (× bare SSE)',
      'max streams',
    ],
    rows,
  );
}

/** The kit's streaming modes against the bare transports with the same wire. */
export function floorTable(index: ResultsIndex, model: string): { text: string; worst: number } {
  const rows: string[][] = [];
  let worst = 1;
  for (const kit of ['kit-sse', 'kit-ws'] as const) {
    const floor = targetById(kit).floor as TargetId;
    for (const level of index.concurrencies(model)) {
      const mine = index.get(kit, model, level);
      const theirs = index.get(floor, model, level);
      if (!mine || !theirs) continue;
      const cpu = (mine.serverCpuMsPer1kTokens ?? NaN) / (theirs.serverCpuMsPer1kTokens ?? NaN);
      const rate = theirs.tokensPerSecond / mine.tokensPerSecond;
      const total = mine.totalP50 / theirs.totalP50;
      // Server CPU per token is the verdict: wall-clock figures also move with whatever else the machine runs.
      if (Number.isFinite(cpu)) worst = Math.max(worst, cpu);
      rows.push([
        `${label(kit)} vs ${label(floor)}`,
        String(level),
        `${ms(mine.serverCpuMsPer1kTokens)} vs ${ms(theirs.serverCpuMsPer1kTokens)} (${ratio(cpu)})`,
        `${num(mine.tokensPerSecond)} vs ${num(theirs.tokensPerSecond)} (${ratio(rate)})`,
        `${ms(mine.totalP50)} vs ${ms(theirs.totalP50)} (${ratio(total)})`,
        `${ms(mine.ttftP50)} vs ${ms(theirs.ttftP50)}`,
        cpu > 1.2 ? '**more than 20% over the floor**' : 'within 20%',
      ]);
    }
  }
  const text = table(
    [
      'pair',
      'c',
      'server CPU ms / 1k tokens (kit ÷ floor)',
      'tokens/s (floor ÷ kit)',
      'total p50 ms (kit ÷ floor)',
      'TTFT p50 ms',
      'verdict (CPU)',
    ],
    rows,
  );
  return { text, worst };
}
