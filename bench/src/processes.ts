import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { availableParallelism, setPriority } from 'node:os';
import { createIpcClient, type IpcClient } from './ipc.js';

/** A child process of the bench, with its IPC channel. */
export interface BenchChild {
  readonly process: ChildProcess;
  readonly ipc: IpcClient;
  /** Whether `taskset` pinned it to its core. */
  readonly pinned: boolean;
  /** Whether its priority was set. */
  readonly prioritized: boolean;
  stop(): Promise<void>;
}

/** Options of {@link startChild}. */
export interface StartChildOptions {
  /** The core to pin the process (and all its threads) to, when there are at least two and `taskset` works. */
  core?: number;
  /** A nice value to run at (negative: ahead of other work on a shared machine); ignored where not permitted. */
  priority?: number;
  /** Extra flags for node (`--expose-gc`, `--cpu-prof`, ...). */
  nodeFlags?: string[];
  env?: NodeJS.ProcessEnv;
}

// Children still running. However the orchestrator ends (an error, Ctrl-C, a timeout), none outlives it.
const live = new Set<ChildProcess>();
const killAll = () => {
  for (const child of live) child.kill('SIGKILL');
};
process.once('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAll();
    process.exit(130);
  });
}

/** Whether processes can be pinned to separate cores here: two cores or more, and `taskset` (util-linux) present. */
export function canPin(): boolean {
  if (availableParallelism() < 2) return false;
  return spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Where a process runs: a core and a nice value. */
export interface Placement {
  core?: number;
  priority?: number;
}

/**
 * Pins a running process (every thread) to `core`, when pinning works here, and sets its nice value, where permitted;
 * answers which of the two took effect.
 */
export function placeProcess(pid: number, placement: Placement): { pinned: boolean; prioritized: boolean } {
  let pinned = false;
  if (placement.core !== undefined && canPin()) {
    // -a: every thread (libuv pool, V8 GC helpers), not just the main one.
    pinned =
      spawnSync('taskset', ['-a', '-p', '-c', String(placement.core), String(pid)], { stdio: 'ignore' }).status === 0;
  }
  let prioritized = false;
  if (placement.priority !== undefined) {
    try {
      setPriority(pid, placement.priority);
      prioritized = true;
    } catch {
      // not permitted (an unprivileged user cannot raise priority): run at the default
    }
  }
  return { pinned, prioritized };
}

/** Forks `script` with an IPC channel, pins it, and waits until it answers `ready`. */
export async function startChild(script: string, args: string[], options: StartChildOptions = {}): Promise<BenchChild> {
  const child = fork(script, args, {
    execArgv: options.nodeFlags ?? [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: options.env ?? process.env,
  });
  const { pinned, prioritized } =
    child.pid === undefined ? { pinned: false, prioritized: false } : placeProcess(child.pid, options);
  const ipc = createIpcClient(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  live.add(child);
  child.once('exit', () => live.delete(child));
  try {
    await ipc.call('ready', undefined, 30_000);
  } catch (error) {
    // A child that never got ready may never see its channel close either: end it here.
    child.kill('SIGKILL');
    throw error;
  }
  return {
    process: child,
    ipc,
    pinned,
    prioritized,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      await ipc.call('close', undefined, 30_000).catch(() => child.kill('SIGKILL'));
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
