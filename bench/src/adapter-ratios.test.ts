import { describe, expect, it } from 'vitest';
import { adapterCosts, spreadOf } from './adapter-ratios.js';
import type { KitAdapter } from './adapters.js';
import type { AdapterEntry, AdapterResults } from './results.js';
import type { TargetId } from './targets.js';
import { fakeScenarioEntry } from './testing/scenario-entry.js';

/**
 * A scenario of `chats` chats of 100 tokens that cost the server `cpuMs`; a baseline (Koa) scenario names the adapter
 * it was paired with.
 */
function entry(
  target: TargetId,
  adapter: KitAdapter,
  round: number,
  cpuMs: number,
  pairedWith?: KitAdapter,
  chats = 10,
): AdapterEntry {
  const measured = fakeScenarioEntry({ target, chats, cpuMs, requests: chats * 2 });
  return { ...measured, adapter, round, ...(pairedWith ? { pairedWith } : {}) };
}

const results = (entries: AdapterEntry[]): AdapterResults => ({
  model: 'sim/instant',
  concurrency: 50,
  chats: 10,
  rounds: 3,
  entries,
});

describe('adapter costs (server CPU per token against Koa measured next to it)', () => {
  it('takes each ratio against the Koa scenario paired with it, then the median and range over the rounds', () => {
    // 1,000 tokens per scenario: CPU ms per 1k tokens is cpuMs. The machine was twice as busy in round 1.
    const costs = adapterCosts(
      results([
        entry('kit-sse', 'koa', 0, 10, 'express'),
        entry('kit-sse', 'express', 0, 12),
        entry('kit-sse', 'hono', 0, 45),
        entry('kit-sse', 'koa', 0, 30, 'hono'),
        entry('kit-sse', 'express', 1, 22),
        entry('kit-sse', 'koa', 1, 20, 'express'),
        entry('kit-sse', 'koa', 2, 10, 'express'),
        entry('kit-sse', 'express', 2, 15),
      ]),
    );
    const express = costs.find((cost) => cost.adapter === 'express');
    // Per pair ×1.2, ×1.1, ×1.5; the ratio of the medians (15 ÷ 15) would say ×1.0.
    expect(express?.ratio?.median).toBeCloseTo(1.2);
    expect(express?.ratio?.min).toBeCloseTo(1.1);
    expect(express?.ratio?.max).toBeCloseTo(1.5);
    expect(express?.ratio?.count).toBe(3);
    expect(express?.cpuPer1k).toEqual({ median: 15, min: 12, max: 22, count: 3 });
    expect(express?.requestsPerChat).toBe(2);
    expect(costs.find((cost) => cost.adapter === 'hono')?.ratio?.median).toBeCloseTo(1.5);
    const koa = costs.find((cost) => cost.adapter === 'koa');
    expect(koa?.ratio).toBeUndefined();
    // Every Koa scenario, whichever adapter it was paired with.
    expect(koa?.cpuPer1k).toEqual({ median: 15, min: 10, max: 30, count: 4 });
  });

  it('skips a pair whose Koa scenario delivered nothing, and keeps modes apart, Koa first', () => {
    const empty = entry('kit-sync', 'koa', 1, 5, 'hono');
    empty.load.tokens = 0;
    const costs = adapterCosts(
      results([
        entry('kit-sync', 'hono', 0, 30),
        entry('kit-sync', 'koa', 0, 20, 'hono'),
        entry('kit-sync', 'hono', 1, 90),
        empty,
        entry('kit-polling', 'koa', 0, 40, 'hono'),
        entry('kit-polling', 'hono', 0, 40),
      ]),
    );
    expect(costs.map((cost) => `${cost.target} ${cost.adapter}`)).toEqual([
      'kit-sync koa',
      'kit-sync hono',
      'kit-polling koa',
      'kit-polling hono',
    ]);
    expect(costs[1]?.ratio).toEqual({ median: 1.5, min: 1.5, max: 1.5, count: 1 });
    expect(costs[3]?.ratio?.median).toBe(1);
  });

  it('takes the median of an even count as the mean of the two middle values', () => {
    expect(spreadOf([4, 1, 3, 2])).toEqual({ median: 2.5, min: 1, max: 4, count: 4 });
    expect(spreadOf([])).toBeUndefined();
  });
});
