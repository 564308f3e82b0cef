import { describe, expect, it } from 'vitest';
import {
  capacityFigures,
  percentile,
  perStream,
  type CapacityEntry,
  type CapacityResults,
} from './capacity-figures.js';

const KIB = 1024;
const idle = { rss: 100 * KIB * KIB, heapUsed: 20 * KIB * KIB, external: 0 };

/** A level where each of `held` streams (of `level` asked for, `alive` receiving) costs `rss` and `heap` bytes. */
function level(levelSize: number, rssEach: number, heapEach: number, held = levelSize, alive = held) {
  return {
    level: levelSize,
    held,
    alive,
    failed: levelSize - held,
    memory: { rss: idle.rss + rssEach * held, heapUsed: idle.heapUsed + heapEach * held, external: 0 },
    eventLoopLagMs: { p50: 1, p99: 5, max: 9 },
    health: { count: 50, failed: 0, p50Ms: 1, p99Ms: 3 },
  };
}

function run(entries: CapacityEntry[]): CapacityResults {
  return {
    tokenIntervalMs: 1000,
    levels: [1000, 2000],
    skippedLevels: [],
    fileLimit: 20_000,
    holdMs: 5000,
    aliveWindowMs: 2500,
    healthEveryMs: 100,
    entries,
  };
}

describe('capacity figures', () => {
  it('divides the growth over the idle reading by the streams held', () => {
    expect(
      perStream(
        idle,
        { rss: idle.rss + 80 * KIB * 1000, heapUsed: idle.heapUsed + 40 * KIB * 1000, external: 0 },
        1000,
      ),
    ).toEqual({
      rss: 80 * KIB,
      heap: 40 * KIB,
    });
    expect(perStream(idle, { ...idle, rss: idle.rss + 5 }, 0)).toEqual({ rss: 0, heap: 0 });
  });

  it('compares each server with the fetch relay at the same level', () => {
    const figures = capacityFigures(
      run([
        {
          server: 'relay-fetch',
          baseline: idle,
          levels: [level(1000, 80 * KIB, 40 * KIB), level(2000, 64 * KIB, 40 * KIB)],
        },
        {
          server: 'kit-sse',
          baseline: idle,
          levels: [level(1000, 96 * KIB, 50 * KIB), level(2000, 80 * KIB, 60 * KIB)],
        },
      ]),
    );
    const kit = figures.filter((figure) => figure.server === 'kit-sse');
    expect(kit.map((figure) => figure.rssRatio)).toEqual([1.2, 1.25]);
    expect(kit.map((figure) => figure.heapRatio)).toEqual([1.25, 1.5]);
    expect(kit[0]?.rssPerStream).toBe(96 * KIB);
    const relay = figures.find((figure) => figure.server === 'relay-fetch');
    expect(relay?.rssRatio).toBeUndefined();
  });

  it('gives no ratio where either side did not hold every stream', () => {
    const figures = capacityFigures(
      run([
        {
          server: 'relay-fetch',
          baseline: idle,
          levels: [level(1000, 80 * KIB, 40 * KIB), level(2000, 64 * KIB, 40 * KIB, 1900)],
        },
        {
          server: 'kit-ws',
          baseline: idle,
          levels: [level(1000, 90 * KIB, 50 * KIB, 1000, 990), level(2000, 70 * KIB, 50 * KIB)],
        },
      ]),
    );
    const kit = figures.filter((figure) => figure.server === 'kit-ws');
    expect(kit.map((figure) => figure.complete)).toEqual([false, true]);
    expect(kit.map((figure) => figure.rssRatio)).toEqual([undefined, undefined]);
    // Per stream over the streams actually held.
    const short = figures.find((figure) => figure.server === 'relay-fetch' && figure.level === 2000);
    expect(short?.rssPerStream).toBe(64 * KIB);
  });

  it('takes a nearest-rank percentile', () => {
    const values = Array.from({ length: 100 }, (_, index) => 100 - index);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 99)).toBeNaN();
  });
});
