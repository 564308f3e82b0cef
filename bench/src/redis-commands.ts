import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Calls of each Redis command so far (`INFO commandstats`; commands run inside scripts count too). */
export type CommandCounts = Record<string, number>;

/** Reads redis-server's command counters with `redis-cli`, or undefined when it cannot. */
export async function readCommandCounts(port: number): Promise<CommandCounts | undefined> {
  try {
    const { stdout } = await run('redis-cli', ['-p', String(port), 'INFO', 'commandstats']);
    const counts: CommandCounts = {};
    for (const match of stdout.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm))
      counts[match[1] as string] = Number(match[2]);
    return counts;
  } catch {
    return undefined;
  }
}

/**
 * The commands run between two readings, by command, without the `info` calls of the readings themselves; undefined
 * when either reading is missing.
 */
export function commandsBetween(before: CommandCounts | undefined, after: CommandCounts | undefined) {
  if (!before || !after) return undefined;
  const byCommand: CommandCounts = {};
  let total = 0;
  for (const [name, calls] of Object.entries(after)) {
    const delta = calls - (before[name] ?? 0);
    if (delta <= 0 || name === 'info') continue;
    byCommand[name] = delta;
    total += delta;
  }
  return { total, byCommand };
}
