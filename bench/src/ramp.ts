import { describeEntry, type Lab } from './lab.js';
import type { BenchPlan } from './plan.js';
import type { BenchResults, RampResult, RampStep } from './results.js';
import { targetById, type Target } from './targets.js';

/** A step passes with a p99 gap within this much of the model's own. */
const GAP_TOLERANCE_MS = 10;
/** A failed step is re-run (up to the plan's attempts) when other processes took more than this share of a core. */
const NOISY_SHARE = 0.5;

/** What {@link runRamps} found, and the threshold it used. */
export interface RampOutcome {
  ramps: RampResult[];
  settings: NonNullable<BenchResults['settings']['ramp']>;
}

/**
 * For each target, the largest number of concurrent streams held with no error and a p99 gap between token
 * deliveries within 10 ms of the model's own: steps grow until one fails, then one step between the last pass and
 * the failure. Each target gets a fresh server.
 */
export async function runRamps(
  lab: Lab,
  plan: NonNullable<BenchPlan['ramp']>,
  targets: readonly Target[],
  log: (line: string) => void,
): Promise<RampOutcome> {
  const { model, rampInMs, holdMs, steps } = plan;
  const hold = { rampInMs, holdMs };
  // The model's own gaps, measured the same way in this run: the provider in process, no transport.
  const reference = await lab.measure(targetById('direct'), undefined, {
    model,
    concurrency: 50,
    hold,
    chatTimeoutMs: 20_000,
  });
  const modelGapP99Ms = reference.load.gapMs.p99;
  const thresholdMs = modelGapP99Ms + GAP_TOLERANCE_MS;
  log(`ramp: model p99 inter-token gap ${modelGapP99Ms.toFixed(1)} ms, threshold ${thresholdMs.toFixed(1)} ms`);

  const ramps: RampResult[] = [];
  for (const target of targets.filter((candidate) => plan.targets.includes(candidate.id))) {
    const server = await lab.startServer(target);
    const ramp: RampResult = { target: target.id, maxConcurrency: 0, capped: false, steps: [] };
    const step = async (concurrency: number, attempt = 1): Promise<RampStep> => {
      const entry = await lab.measure(target, server, { model, concurrency, hold, chatTimeoutMs: 20_000 });
      const reasons: string[] = [];
      if (entry.load.errors > 0) reasons.push(`${entry.load.errors} errors`);
      if (entry.load.chats - entry.load.errors === 0) reasons.push('no chat completed');
      if (entry.load.gapMs.p99 > thresholdMs) reasons.push(`p99 gap ${entry.load.gapMs.p99.toFixed(1)} ms`);
      const result: RampStep = { ...entry, pass: reasons.length === 0, reasons };
      ramp.steps.push(result);
      log(`ramp ${describeEntry(entry)} → ${result.pass ? 'pass' : `fail (${reasons.join(', ')})`}`);
      // Runs cut by a failed step end after the server's disconnect grace (2 s); let them, before the next step.
      await sleep(result.pass ? 500 : 2500);
      // The machine, not the target, may have broken a step while other processes were busy: run it again. Every
      // attempt stays in the results.
      if (!result.pass && attempt < plan.attempts && (entry.otherCpuMs ?? 0) / entry.load.wallMs > NOISY_SHARE) {
        result.reasons.push('re-run: other processes were busy');
        return step(concurrency, attempt + 1);
      }
      return result;
    };
    try {
      let lastPass = 0;
      for (const concurrency of steps) {
        if ((await step(concurrency)).pass) {
          lastPass = concurrency;
          continue;
        }
        const middle = Math.round((lastPass + concurrency) / 2 / 10) * 10;
        if (lastPass > 0 && middle > lastPass && middle < concurrency && (await step(middle)).pass) lastPass = middle;
        break;
      }
      ramp.maxConcurrency = lastPass;
      // Capped: even the plan's largest step passed, so the real limit is higher.
      ramp.capped = lastPass === steps.at(-1);
      ramps.push(ramp);
    } finally {
      await server.stop();
    }
  }
  return { ramps, settings: { model, steps, rampInMs, holdMs, modelGapP99Ms, thresholdMs } };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
