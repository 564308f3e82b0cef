/** Percentiles of a sample. */
export interface Summary {
  count: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentiles (no interpolation: every figure is a value that was measured). Empty: all zeros. */
export function summarize(values: ArrayLike<number>): Summary {
  const sorted = Float64Array.from(values).sort();
  const count = sorted.length;
  if (count === 0) return { count: 0, mean: 0, p50: 0, p95: 0, p99: 0, max: 0 };
  const rank = (p: number) => sorted[Math.min(count - 1, Math.max(0, Math.ceil((p / 100) * count) - 1))] as number;
  let total = 0;
  for (const value of sorted) total += value;
  return { count, mean: total / count, p50: rank(50), p95: rank(95), p99: rank(99), max: sorted[count - 1] as number };
}
