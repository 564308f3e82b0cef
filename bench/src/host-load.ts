import { readFileSync } from 'node:fs';

/** CPU time of the whole machine (all cores, all processes), from /proc/stat; undefined where there is none. */
export interface HostCpu {
  busyMs: number;
  totalMs: number;
}

/** Reads the machine's cumulative CPU time, so a scenario can tell how much CPU other processes took meanwhile. */
export function readHostCpu(): HostCpu | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    // cpu user nice system idle iowait irq softirq steal ...; values are in USER_HZ (100 per second on Linux).
    const values = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = (values[3] ?? 0) + (values[4] ?? 0);
    const total = values.slice(0, 8).reduce((sum, value) => sum + value, 0);
    return { busyMs: (total - idle) * 10, totalMs: total * 10 };
  } catch {
    return undefined;
  }
}
