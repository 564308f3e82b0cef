import { constants, PerformanceObserver } from 'node:perf_hooks';
import type { WireCounts, WireMeter } from './wire-meter.js';

/** A server process's own account of a measurement window (sent over IPC, since only the process can read it). */
export interface ServerSample {
  /** `process.cpuUsage()` at the sample, in microseconds. */
  cpu: { user: number; system: number };
  /** RSS now, and the highest seen since the last reset (sampled every 50 ms), in bytes. */
  rss: number;
  peakRss: number;
  /** Most streams (or connections, when the server cannot tell streams) open at once since the last reset. */
  peakStreams: number;
  peakConnections: number;
  wire: WireCounts;
  /** Garbage collections since the process started: young-generation (scavenge) and the others, and their pauses. */
  gc: GcCounts;
}

/** Garbage collections counted by a {@link ServerSampler}. */
export interface GcCounts {
  minor: number;
  major: number;
  pauseMs: number;
}

/** Samples RSS and open streams on a timer; `reset` starts a new window. */
export interface ServerSampler {
  reset(): ServerSample;
  sample(): ServerSample;
  stop(): void;
}

/** Creates the sampler. `gc` (with `--expose-gc`) runs before a reset so the window starts from a settled heap. */
export function createServerSampler(meter: WireMeter, openStreams: (() => number) | undefined): ServerSampler {
  let peakRss = 0;
  let peakStreams = 0;
  let peakConnections = 0;
  const tick = () => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    peakConnections = Math.max(peakConnections, meter.openConnections());
    peakStreams = Math.max(peakStreams, openStreams ? openStreams() : meter.openConnections());
  };
  const timer = setInterval(tick, 50);
  // Young collections follow the bytes allocated (each empties a young generation of the same size), so their count
  // compares two servers' allocation per token with less noise than their CPU time.
  const gc: GcCounts = { minor: 0, major: 0, pauseMs: 0 };
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const { kind } = (entry as PerformanceEntry & { detail: { kind: number } }).detail;
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) gc.minor += 1;
      else gc.major += 1;
      gc.pauseMs += entry.duration;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  const sample = (): ServerSample => {
    tick();
    return {
      cpu: process.cpuUsage(),
      rss: process.memoryUsage.rss(),
      peakRss,
      peakStreams,
      peakConnections,
      wire: meter.counts(),
      gc: { ...gc },
    };
  };
  return {
    reset() {
      const collect = (globalThis as { gc?: () => void }).gc;
      collect?.();
      collect?.();
      peakRss = 0;
      peakStreams = 0;
      peakConnections = 0;
      return sample();
    },
    sample,
    stop() {
      clearInterval(timer);
      observer.disconnect();
    },
  };
}
