import type { RampResult } from '../results.js';
import { ms, num, percent, table } from './format.js';
import { label } from './measured.js';

/** The concurrency ramp: the largest number of streams held within the gap threshold and without errors. */
export function rampTable(ramps: RampResult[]): string {
  const rows = ramps.map((ramp) => {
    const best = ramp.steps.filter((step) => step.pass && step.concurrency === ramp.maxConcurrency).at(-1);
    // The smallest step that failed (its last attempt): the bound just above the figure.
    const failed = ramp.steps.filter((step) => !step.pass && step.concurrency > ramp.maxConcurrency);
    const lowest = Math.min(...failed.map((step) => step.concurrency));
    const broke = failed.filter((step) => step.concurrency === lowest).at(-1);
    return [
      label(ramp.target),
      maxStreams(ramp),
      best
        ? `${ms(best.load.gapMs.p99)} · ${ms(best.load.ttftMs.p99)} · ${best.server?.peakStreams ? num(best.server.peakStreams, 0) : '–'}`
        : '–',
      best?.server
        ? `${percent(best.server.cpuMs / best.load.wallMs)} / ${percent(best.load.clientCpuMs / best.load.wallMs)}`
        : '–',
      broke ? `c=${broke.concurrency}: ${broke.reasons.join(', ')}` : ramp.capped ? 'not reached' : '–',
    ];
  });
  return table(
    [
      'target',
      'max concurrent streams',
      'at max: p99 gap · TTFT p99 ms · streams seen by server',
      'server / load CPU at max',
      'first failure',
    ],
    rows,
  );
}

/** The ramp's result as text: `≥ n` when never broken, `< n` when even the first step failed. */
export function maxStreams(ramp: RampResult): string {
  if (ramp.maxConcurrency === 0) return `< ${num(ramp.steps[0]?.concurrency ?? 0, 0)}`;
  return `${ramp.capped ? '≥ ' : ''}${num(ramp.maxConcurrency, 0)}`;
}

/** Every step of every ramp, for the record. */
export function rampStepsTable(ramps: RampResult[]): string {
  const rows = ramps.flatMap((ramp) =>
    ramp.steps.map((step) => [
      label(ramp.target),
      String(step.concurrency),
      num(step.load.chats, 0),
      num(step.load.errors, 0),
      ms(step.load.gapMs.p99),
      ms(step.load.ttftMs.p99),
      num(step.load.tokens / (step.load.wallMs / 1000)),
      step.server ? percent(step.server.cpuMs / step.load.wallMs) : '–',
      percent(step.load.clientCpuMs / step.load.wallMs),
      step.otherCpuMs === undefined ? '–' : percent(step.otherCpuMs / step.load.wallMs),
      step.pass ? 'pass' : step.reasons.join(', '),
    ]),
  );
  return table(
    [
      'target',
      'c',
      'chats',
      'errors',
      'p99 gap ms',
      'TTFT p99 ms',
      'tokens/s',
      'server CPU',
      'load CPU',
      'other CPU',
      'result',
    ],
    rows,
  );
}
