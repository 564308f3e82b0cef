import type { SeededRandom } from './simulated-random.js';

/** How fast a simulated model answers. */
export interface SimulatedProfile {
  /** Average output rate once tokens flow. `Infinity` streams with no timers at all. */
  tokensPerSecond: number;
  /** Time to first token in ms; each request gets a deterministic value between `min` and `max`. */
  firstTokenMs: { min: number; max: number };
  /**
   * Average gap between bursts in ms (each gap jittered by ±30%). Real streaming APIs deliver a few tokens per network
   * chunk, and timers below a few ms are inaccurate anyway, so tokens come in bursts sized to keep the average rate.
   */
  burstIntervalMs: number;
}

/**
 * The built-in models. The `sim/gpt-oss-*` profiles mimic Groq's `openai/gpt-oss-20b` and `openai/gpt-oss-120b`;
 * `sim/instant` has no delay, for tests and benchmarks.
 */
export const SIMULATED_PROFILES = {
  'sim/gpt-oss-20b': { tokensPerSecond: 1000, firstTokenMs: { min: 200, max: 300 }, burstIntervalMs: 15 },
  'sim/gpt-oss-120b': { tokensPerSecond: 500, firstTokenMs: { min: 300, max: 450 }, burstIntervalMs: 15 },
  'sim/instant': { tokensPerSecond: Number.POSITIVE_INFINITY, firstTokenMs: { min: 0, max: 0 }, burstIntervalMs: 0 },
} as const satisfies Record<string, SimulatedProfile>;

/** One delivery: wait `delayMs` after the previous one, then emit `tokens` tokens. */
export interface Burst {
  delayMs: number;
  tokens: number;
}

/**
 * Plans when `tokenCount` tokens are delivered under `profile`: a first small burst after the time to first token, then
 * bursts whose sizes carry the fractional remainder so the average rate matches. Deterministic for a given `random`.
 * An instant profile gives one burst with no delay.
 *
 * @example
 * planBursts(SIMULATED_PROFILES['sim/gpt-oss-20b'], 300, createSeededRandom(1)); // [{ delayMs: 243, tokens: 2 }, ...]
 */
export function planBursts(profile: SimulatedProfile, tokenCount: number, random: SeededRandom): Burst[] {
  const { min, max } = profile.firstTokenMs;
  const firstDelay = Math.round(min + random.next() * (max - min));
  if (!Number.isFinite(profile.tokensPerSecond)) return [{ delayMs: firstDelay, tokens: tokenCount }];
  const bursts: Burst[] = [];
  let remaining = tokenCount;
  const first = Math.min(remaining, random.integer(1, 3));
  bursts.push({ delayMs: firstDelay, tokens: first });
  remaining -= first;
  let carry = 0;
  let waited = 0;
  while (remaining > 0) {
    const gap = profile.burstIntervalMs * (0.7 + random.next() * 0.6);
    waited += gap;
    carry += (gap * profile.tokensPerSecond) / 1000;
    const tokens = Math.min(remaining, Math.floor(carry));
    // A slow profile may need several gaps per token; they add up into one longer wait instead of empty bursts.
    if (tokens === 0) continue;
    bursts.push({ delayMs: waited, tokens });
    carry -= tokens;
    remaining -= tokens;
    waited = 0;
  }
  return bursts;
}

/** Checks a profile at construction, so a bad override fails at startup rather than mid-stream. */
export function assertValidProfile(model: string, profile: SimulatedProfile): void {
  const { tokensPerSecond, firstTokenMs, burstIntervalMs } = profile;
  const ok =
    tokensPerSecond > 0 &&
    firstTokenMs.min >= 0 &&
    firstTokenMs.max >= firstTokenMs.min &&
    Number.isFinite(firstTokenMs.max) &&
    (!Number.isFinite(tokensPerSecond) || burstIntervalMs > 0);
  if (!ok) throw new RangeError(`simulated profile "${model}" is invalid: ${JSON.stringify(profile)}`);
}
