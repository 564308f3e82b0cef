import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { processesContextSwitches, processesCpuMs, processTree } from './process-tree.js';

describe('process tree (the bench reads nginx and redis-server from /proc)', () => {
  it('finds the children of a process and adds up the CPU time they spend', async () => {
    // A parent shell with two busy children, like nginx's master and workers.
    const busy = `${JSON.stringify(process.execPath)} -e "for (;;);"`;
    const parent = spawn('sh', ['-c', `${busy} & ${busy} & wait`], { stdio: 'ignore' });
    try {
      let tree: number[] = [];
      for (let attempt = 0; attempt < 50 && tree.length < 3; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        tree = processTree(parent.pid as number);
      }
      expect(tree[0]).toBe(parent.pid);
      expect(tree.length).toBeGreaterThanOrEqual(3);
      const before = processesCpuMs(tree);
      // Two children spinning until killed: their CPU time grows, however busy the machine is.
      let spent = 0;
      for (let attempt = 0; attempt < 100 && spent <= 100; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        spent = processesCpuMs(tree) - before;
      }
      expect(spent).toBeGreaterThan(100);
    } finally {
      // The spinning children first (the tree as last read), then the shell.
      for (const pid of processTree(parent.pid as number).reverse()) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      if (parent.exitCode === null && parent.signalCode === null) await once(parent, 'exit');
    }
  });

  it('counts processes that are gone as no CPU time', () => {
    expect(processesCpuMs([2 ** 30])).toBe(0);
    expect(processTree(2 ** 30)).toEqual([2 ** 30]);
  });

  it('counts the context switches of a process: each sleep is one more', async () => {
    const before = processesContextSwitches([process.pid]).voluntary;
    for (let sleep = 0; sleep < 5; sleep++) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(processesContextSwitches([process.pid]).voluntary - before).toBeGreaterThanOrEqual(5);
    expect(processesContextSwitches([2 ** 22 + 1])).toEqual({ voluntary: 0, preempted: 0 });
  });
});
