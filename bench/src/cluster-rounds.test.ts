import { describe, expect, it } from 'vitest';
import { medianRound, serverCpuPerThousand } from './cluster.js';
import type { ClusterEntry } from './results.js';
import { fakeScenarioEntry } from './testing/scenario-entry.js';

/** A scenario on Redis behind nginx whose server side spent `instances` + 2 + 1 ms on 1,000 tokens. */
function round(instances: number, label: string): ClusterEntry {
  return {
    topology: 'one-redis-nginx',
    target: 'kit-sse',
    model: 'sim/gpt-oss-20b',
    concurrency: 10,
    load: { ...fakeScenarioEntry({ target: 'kit-sse' }).load, tokens: 1000, errorSamples: [label] },
    cpuMs: { instances, nginx: 2, redis: 1 },
    instanceRequests: [10],
  };
}

describe('cluster rounds', () => {
  it('counts the instances, nginx and redis-server in the CPU per 1,000 tokens', () => {
    expect(serverCpuPerThousand(round(30, 'a'))).toBe(33);
  });

  it('keeps the round with the median CPU per token, with every round figure in measuring order', () => {
    const kept = medianRound([round(40, 'slow'), round(20, 'fast'), round(30, 'middle')]);
    expect(kept.load.errorSamples).toEqual(['middle']);
    expect(kept.roundsCpuPerThousand).toEqual([43, 23, 33]);
    // Of an even count, the lower middle one: a slow stretch does not pick the figure.
    expect(medianRound([round(40, 'slow'), round(20, 'fast')]).load.errorSamples).toEqual(['fast']);
  });

  it('leaves a single round as it was measured', () => {
    const only = round(25, 'only');
    expect(medianRound([only])).toBe(only);
  });
});
