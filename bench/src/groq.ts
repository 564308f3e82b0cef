import { describeEntry, type Lab } from './lab.js';
import type { ScenarioEntry } from './results.js';
import type { Target } from './targets.js';

/** A small run against real Groq (only with GROQ_API_KEY): each kit mode, three chats at concurrency 1, reported apart. */
export async function runGroq(
  lab: Lab,
  targets: readonly Target[],
  log: (line: string) => void,
): Promise<ScenarioEntry[]> {
  const entries: ScenarioEntry[] = [];
  for (const target of targets.filter((candidate) => candidate.role === 'kit')) {
    const server = await lab.startServer(target, ['--groq']);
    try {
      const entry = await lab.measure(target, server, {
        model: 'openai/gpt-oss-20b',
        concurrency: 1,
        chats: 3,
        chatTimeoutMs: 60_000,
      });
      entries.push(entry);
      log(`groq ${describeEntry(entry)}`);
    } finally {
      await server.stop();
    }
  }
  return entries;
}
