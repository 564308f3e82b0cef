import type { Lab } from './lab.js';
import { describeEntry } from './lab.js';
import type { BenchPlan } from './plan.js';
import type { BenchChild } from './processes.js';
import type { ScenarioEntry } from './results.js';
import type { Target, TargetId } from './targets.js';

/**
 * Every profile × concurrency × target of the plan. Comparable scenarios run back to back (profile, then concurrency,
 * then target), so a noisy neighbour on the machine hits the kit and its baselines alike.
 */
export async function runMatrix(
  lab: Lab,
  plan: BenchPlan,
  targets: readonly Target[],
  log: (line: string) => void,
): Promise<ScenarioEntry[]> {
  const scenarios: ScenarioEntry[] = [];
  const servers = new Map<TargetId, BenchChild>();
  const restart = async (target: Target) => {
    await servers.get(target.id)?.stop();
    const server = await lab.startServer(target);
    servers.set(target.id, server);
    return server;
  };
  if (plan.servers === 'shared') {
    // Every server at once (idle ones cost nothing).
    const withServer = targets.filter((candidate) => candidate.server);
    const started = await Promise.all(withServer.map((target) => lab.startServer(target)));
    withServer.forEach((target, position) => servers.set(target.id, started[position] as BenchChild));
    log(`${servers.size} servers started and warmed up`);
  }
  try {
    for (const profile of plan.profiles) {
      const levels = Object.keys(profile.chats).map(Number);
      for (const [position, concurrency] of levels.entries()) {
        // Fresh servers where a profile starts and at its largest concurrency, where RSS per stream is read.
        const fresh = plan.servers === 'per-profile' && (position === 0 || position === levels.length - 1);
        for (const target of targets) {
          let server = servers.get(target.id);
          if (target.server && (fresh || !server)) server = await restart(target);
          const chats = profile.chats[concurrency] as number;
          const entry = await lab.measure(target, server, {
            model: profile.model,
            concurrency,
            chats,
            chatTimeoutMs: plan.chatTimeoutMs,
          });
          scenarios.push(entry);
          log(describeEntry(entry));
        }
      }
    }
  } finally {
    for (const server of servers.values()) await server.stop();
  }
  return scenarios;
}
