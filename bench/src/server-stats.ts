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
  const sample = (): ServerSample => {
    tick();
    return {
      cpu: process.cpuUsage(),
      rss: process.memoryUsage.rss(),
      peakRss,
      peakStreams,
      peakConnections,
      wire: meter.counts(),
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
    stop: () => clearInterval(timer),
  };
}
