/** A seeded pseudo-random source, so a chaos run's schedule can be replayed from its seed. */
export interface ChaosRandom {
  readonly seed: number;
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max]. */
  integer(min: number, max: number): number;
  /** True with probability `p`. */
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
}

/**
 * mulberry32: tiny, fast and good enough to spread faults; not for anything secret.
 *
 * @example
 * const random = createChaosRandom(42);
 * random.integer(1, 6); // the same value for seed 42, every time
 */
export function createChaosRandom(seed: number): ChaosRandom {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    seed,
    next,
    integer: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (p) => next() < p,
    pick(items) {
      if (items.length === 0) throw new RangeError('cannot pick from nothing');
      return items[Math.floor(next() * items.length)] as (typeof items)[number];
    },
  };
}

/** The seed from `CHAOS_SEED` when set (to replay a failure), else `fallback`. */
export function chaosSeed(fallback: number): number {
  const value = process.env.CHAOS_SEED;
  if (value === undefined || value === '') return fallback;
  const seed = Number(value);
  if (!Number.isSafeInteger(seed)) throw new TypeError(`CHAOS_SEED must be an integer, not ${value}`);
  return seed;
}
