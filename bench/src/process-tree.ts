import { readdirSync, readFileSync } from 'node:fs';

/** Linux's USER_HZ: /proc reports CPU time in hundredths of a second. */
const TICK_MS = 10;

/** Fields of /proc/<pid>/stat after the command name (which may hold spaces), or undefined when the process is gone. */
function statFields(pid: number): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** `pid` and every process descended from it (nginx's workers, say), from /proc. */
export function processTree(pid: number): number[] {
  const parents = new Map<number, number>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [pid];
  }
  for (const entry of entries) {
    const child = Number(entry);
    if (!Number.isInteger(child)) continue;
    // state is field 3, ppid field 4: indexes 0 and 1 after the name.
    const ppid = Number(statFields(child)?.[1]);
    if (Number.isInteger(ppid)) parents.set(child, ppid);
  }
  const tree = [pid];
  for (let index = 0; index < tree.length; index++) {
    for (const [child, parent] of parents) if (parent === tree[index]) tree.push(child);
  }
  return tree;
}

/** CPU time (user + system) the processes have used so far, in ms; processes that are gone count 0. */
export function processesCpuMs(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    const fields = statFields(pid);
    // utime and stime are fields 14 and 15: indexes 11 and 12 after the name.
    if (fields) ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks * TICK_MS;
}

/** Context switches of a process's main thread: when it went to sleep (`voluntary`) and when it was preempted. */
export interface ContextSwitches {
  voluntary: number;
  preempted: number;
}

/** Context switches of the processes' main threads so far, from `/proc/<pid>/status`; processes that are gone count 0. */
export function processesContextSwitches(pids: readonly number[]): ContextSwitches {
  const switches: ContextSwitches = { voluntary: 0, preempted: 0 };
  for (const pid of pids) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/status`, 'utf8');
    } catch {
      continue;
    }
    for (const match of text.matchAll(/^(nonvoluntary|voluntary)_ctxt_switches:\s+(\d+)$/gm))
      switches[match[1] === 'voluntary' ? 'voluntary' : 'preempted'] += Number(match[2]);
  }
  return switches;
}
