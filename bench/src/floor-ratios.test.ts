import { describe, expect, it } from 'vitest';
import { floorPairCosts } from './floor-ratios.js';
import type { FloorPairEntry, FloorPairResults } from './results.js';
import type { TargetId } from './targets.js';
import { fakeScenarioEntry } from './testing/scenario-entry.js';

/** A scenario of 10 chats of 100 tokens that cost the server `cpuMs`, with a TTFT p50 of `ttft` ms. */
function entry(
  target: TargetId,
  pair: TargetId,
  round: number,
  scenario: 'cpu' | 'ttft',
  {
    cpuMs = 100,
    ttft = 1,
    errors = 0,
    minorGcs,
  }: { cpuMs?: number; ttft?: number; errors?: number; minorGcs?: number },
): FloorPairEntry {
  const gc = minorGcs === undefined ? undefined : { minor: minorGcs, major: 0, pauseMs: 0 };
  const measured = fakeScenarioEntry({
    target,
    concurrency: scenario === 'cpu' ? 50 : 1,
    cpuMs,
    ttftMs: ttft,
    errors,
    ...(gc ? { gc } : {}),
  });
  return { ...measured, pair, round, scenario };
}

function results(entries: FloorPairEntry[]): FloorPairResults {
  return {
    model: 'sim/instant',
    cpu: { concurrency: 50, chats: 10 },
    ttft: { chats: 10 },
    rounds: 3,
    pairs: [
      { kit: 'kit-sse', floor: 'bare-sse' },
      { kit: 'kit-ws', floor: 'bare-ws' },
    ],
    entries,
  };
}

describe('floorPairCosts', () => {
  it('takes the CPU ratio and the TTFT difference within each round, then their median and range', () => {
    // Round 1 is slow for both sides (a busy machine): within the round the ratio stays 1.2; across rounds it would not.
    const entries = [
      [0, 100, 110, 2.0, 1.5],
      [1, 300, 360, 4.0, 3.0],
      [2, 100, 130, 1.2, 1.0],
    ].flatMap(([round, floorCpu, kitCpu, kitTtft, floorTtft]) => [
      entry('kit-sse', 'kit-sse', round as number, 'cpu', { cpuMs: kitCpu as number }),
      entry('bare-sse', 'kit-sse', round as number, 'cpu', { cpuMs: floorCpu as number }),
      entry('kit-sse', 'kit-sse', round as number, 'ttft', { ttft: kitTtft as number }),
      entry('bare-sse', 'kit-sse', round as number, 'ttft', { ttft: floorTtft as number }),
    ]);
    const [sse, ...rest] = floorPairCosts(results(entries));
    expect(rest).toEqual([]); // the WS pair has no entries
    expect(sse?.kit).toBe('kit-sse');
    expect(sse?.cpuRatio.median).toBeCloseTo(1.2);
    expect(sse?.cpuRatio.min).toBeCloseTo(1.1);
    expect(sse?.cpuRatio.max).toBeCloseTo(1.3);
    expect(sse?.cpuPer1k.kit.median).toBeCloseTo(130);
    expect(sse?.cpuPer1k.floor.median).toBeCloseTo(100);
    expect(sse?.ttftDelta.median).toBeCloseTo(0.5);
    expect(sse?.ttftDelta.min).toBeCloseTo(0.2);
    expect(sse?.ttftDelta.max).toBeCloseTo(1.0);
  });

  it('pairs a scenario only with the other side of its own round and pair, and counts errors of both sides', () => {
    const entries = [
      entry('kit-ws', 'kit-ws', 0, 'cpu', { cpuMs: 200, errors: 1 }),
      entry('bare-ws', 'kit-ws', 0, 'cpu', { cpuMs: 100 }),
      entry('kit-ws', 'kit-ws', 0, 'ttft', { ttft: 3 }),
      entry('bare-ws', 'kit-ws', 0, 'ttft', { ttft: 2, errors: 2 }),
      // Round 1 lost its floor: the kit's scenario counts in its own median but forms no ratio.
      entry('kit-ws', 'kit-ws', 1, 'cpu', { cpuMs: 900 }),
      entry('kit-ws', 'kit-ws', 1, 'ttft', { ttft: 9 }),
    ];
    const [ws] = floorPairCosts(results(entries));
    expect(ws?.cpuRatio).toMatchObject({ median: 2, count: 1 });
    expect(ws?.ttftDelta).toMatchObject({ median: 1, count: 1 });
    expect(ws?.cpuPer1k.kit.count).toBe(2);
    expect(ws?.errors).toBe(3);
  });

  it('compares young collections per token within a round, and leaves them out for runs that did not count them', () => {
    const counted = [
      [0, 30, 20],
      [1, 60, 50],
      [2, 26, 20],
    ].flatMap(([round, kitGcs, floorGcs]) => [
      entry('kit-sse', 'kit-sse', round as number, 'cpu', { minorGcs: kitGcs as number }),
      entry('bare-sse', 'kit-sse', round as number, 'cpu', { minorGcs: floorGcs as number }),
      entry('kit-sse', 'kit-sse', round as number, 'ttft', {}),
      entry('bare-sse', 'kit-sse', round as number, 'ttft', {}),
    ]);
    const [sse] = floorPairCosts(results(counted));
    expect(sse?.gcRatio?.median).toBeCloseTo(1.3);
    expect(sse?.gcRatio?.min).toBeCloseTo(1.2);
    expect(sse?.gcRatio?.max).toBeCloseTo(1.5);
    const uncounted = counted.map(({ server, ...rest }): FloorPairEntry => {
      if (!server) return rest;
      const { gc: _gc, ...before } = server;
      return { ...rest, server: before };
    });
    expect(floorPairCosts(results(uncounted))[0]?.gcRatio).toBeUndefined();
  });
});
