import { targetById, type TargetId } from '../targets.js';
import { bytes, delta, ms, num, percent, ratio, table } from './format.js';
import type { Derived, ResultsIndex } from './metrics.js';

/** The label of a target in tables. */
export function label(id: TargetId): string {
  return targetById(id).label;
}

/** "zero-delay" or the model's name, for headings. */
export function profileName(model: string): string {
  return model === 'sim/instant'
    ? '`sim/instant` (zero delay: transport cost alone)'
    : `\`${model}\` (Groq-like timing)`;
}

/** Time to first token per target and concurrency, with the overhead over the in-process provider. */
export function ttftTable(index: ResultsIndex, model: string): string {
  const levels = index.concurrencies(model);
  const rows = index.targets.map((target) => [
    label(target),
    ...levels.map((level) => {
      const derived = index.get(target, model, level);
      if (!derived) return '–';
      const direct = index.get('direct', model, level);
      const overhead = direct && target !== 'direct' ? ` (${delta(derived.ttftP50 - direct.ttftP50)})` : '';
      return `${ms(derived.ttftP50)} / ${ms(derived.ttftP95)} / ${ms(derived.ttftP99)}${overhead}`;
    }),
  ]);
  return table(['target', ...levels.map((level) => `c=${level}: p50 / p95 / p99 (p50 over the limit)`)], rows);
}

/** Total time and tokens per second delivered, per target and concurrency. */
export function throughputTable(index: ResultsIndex, model: string): string {
  const levels = index.concurrencies(model);
  const rows = index.targets.map((target) => [
    label(target),
    ...levels.map((level) => {
      const derived = index.get(target, model, level);
      const direct = index.get('direct', model, level);
      if (!derived) return '–';
      const share =
        direct && target !== 'direct' ? ` (${ratio(derived.tokensPerSecond / direct.tokensPerSecond)})` : '';
      return `${ms(derived.totalP50)} / ${ms(derived.totalP95)} · ${num(derived.tokensPerSecond)}${share}`;
    }),
  ]);
  return table(['target', ...levels.map((level) => `c=${level}: total p50 / p95 ms · tokens/s (of the limit)`)], rows);
}

/** Requests and bytes per chat at one concurrency. */
export function wireTable(index: ResultsIndex, model: string, level: number, answerTokens: number): string {
  const rows = index.targets
    .filter((target) => target !== 'direct')
    .map((target) => {
      const derived = index.get(target, model, level);
      return [
        label(target),
        num(derived?.requestsPerChat, 2),
        bytes(derived?.bytesUpPerChat),
        bytes(derived?.bytesDownPerChat),
        bytes(derived?.bytesPerChat),
        derived?.bytesPerChat === undefined ? '–' : num(derived.bytesPerChat / answerTokens, 1),
      ];
    });
  return table(
    ['target', 'HTTP requests / chat', 'bytes up / chat', 'bytes down / chat', 'bytes / chat', 'bytes / token'],
    rows,
  );
}

/** Server CPU per chat and per 1,000 tokens, and RSS per open stream. */
export function serverCostTable(index: ResultsIndex, model: string): string {
  const levels = index.concurrencies(model);
  const rows = index.targets
    .filter((target) => target !== 'direct')
    .map((target) => [
      label(target),
      ...levels.map((level) => {
        const derived = index.get(target, model, level);
        if (!derived?.serverCpuMsPerChat) return '–';
        return `${ms(derived.serverCpuMsPerChat)} · ${ms(derived.serverCpuMsPer1kTokens)} · ${percent(derived.serverCpuShare)}`;
      }),
      rssCell(index, target, model, levels),
    ]);
  return table(
    [
      'target',
      ...levels.map((level) => `c=${level}: CPU ms / chat · / 1k tokens · core busy`),
      'RSS / open stream (largest c)',
    ],
    rows,
  );
}

function rssCell(index: ResultsIndex, target: TargetId, model: string, levels: number[]): string {
  const level = levels.at(-1);
  if (level === undefined || level < 100) return '–';
  const derived = index.get(target, model, level);
  return derived?.rssPerStream === undefined ? '–' : `${bytes(derived.rssPerStream)} (c=${level})`;
}

/** How busy the machine was with other work, per scenario: the median and worst share of a core. */
export function noiseSummary(derived: Derived[]): { median: number; worst: number } {
  const shares = derived
    .map((item) => item.otherCpuShare)
    .filter((value): value is number => value !== undefined)
    .sort((a, b) => a - b);
  return { median: shares[Math.floor(shares.length / 2)] ?? 0, worst: shares.at(-1) ?? 0 };
}

/**
 * When a section's run was started, and the command that makes such a run: the full `npm run bench` when the section
 * comes from the report's own run, else (`source` names the file) the run of that section alone (`--<only>-only`).
 */
export function runOrigin(
  run: { startedAt: string; quick?: boolean },
  source: string | undefined,
  only: string,
): { when: string; command: string } {
  const when = `${run.startedAt.slice(0, 16).replace('T', ' ')} UTC`;
  const command = run.quick ? 'npm run bench -- --quick' : source ? `npm run bench -- --${only}-only` : 'npm run bench';
  return { when, command };
}
