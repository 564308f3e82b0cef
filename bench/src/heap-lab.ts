/**
 * The heap-snapshot lab behind bench/notes/stream-memory.md: one capacity server (the kit, or a relay) holding slow
 * streams of one kind, with a heap snapshot after a full GC at 0 streams and at N. `tools/heap-diff.mjs` then says what
 * a held stream keeps, by constructor, retainer or source position.
 *
 * Usage: node bench/dist/heap-lab.js <kit|relay-fetch|relay-http> <sse|ws|polling|sync|relay> [streams] [folder]
 * (default 1,000 streams, snapshots in bench/results/tmp/heap/). Prints the heap and RSS per held stream.
 */
import { readdirSync, renameSync, statSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { FAKE_GROQ_API_KEY, startFakeGroq } from '../../packages/server-kit/test/fake-groq/index.js';
import { warmUp } from './capacity.js';
import type { MemoryReading } from './capacity-figures.js';
import type { HoldKind } from './capacity-holder-entry.js';
import { startChild, type BenchChild } from './processes.js';

const distDir = dirname(fileURLToPath(import.meta.url));
const [server = 'kit', kind = 'sse', streamsText = '1000', folderText] = process.argv.slice(2);
const streams = Number(streamsText);
const folder = resolve(folderText ?? join(distDir, '../results/tmp/heap'));
mkdirSync(folder, { recursive: true });

/** Signals the server to write a snapshot, waits until the file is whole, and names it. */
async function snapshot(child: BenchChild, name: string): Promise<string> {
  const before = new Set(readdirSync(folder));
  child.process.kill('SIGUSR2');
  for (;;) {
    await sleep(500);
    const file = readdirSync(folder).find((entry) => !before.has(entry) && entry.endsWith('.heapsnapshot'));
    if (!file) continue;
    let size = -1;
    // Written in pieces: whole once its size stops changing.
    for (
      let now = statSync(join(folder, file)).size;
      now === 0 || now !== size;
      now = statSync(join(folder, file)).size
    ) {
      size = now;
      await sleep(2_000);
    }
    const path = join(folder, `${name}.heapsnapshot`);
    renameSync(join(folder, file), path);
    return path;
  }
}

// An hour of tokens, one a second, as in the capacity scenario.
const fake = await startFakeGroq({
  tokens: Array.from({ length: 3_600 }, (_, index) => `tok${index} `),
  delayMs: 1_000,
});
const prune = setInterval(() => fake.requests.splice(0), 5_000);
const started: BenchChild[] = [];
try {
  const serverChild = await startChild(
    join(distDir, 'capacity-server-entry.js'),
    [server.startsWith('kit') ? 'kit' : server, fake.url, FAKE_GROQ_API_KEY],
    { nodeFlags: ['--expose-gc', '--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${folder}`] },
  );
  started.push(serverChild);
  const url = await serverChild.ipc.call<string>('ready');
  const holder = await startChild(join(distDir, 'capacity-holder-entry.js'), [url, kind as HoldKind]);
  started.push(holder);
  // The capacity scenario's warm-up.
  await warmUp(fake, holder);
  const label = `${server}-${kind}`;
  const idle = await serverChild.ipc.call<MemoryReading>('memory');
  const first = await snapshot(serverChild, `${label}-0`);
  await holder.ipc.call('open', { count: streams });
  await sleep(5_000);
  const { held, alive } = await holder.ipc.call<{ held: number; alive: number }>('status', { aliveWindowMs: 2_500 });
  const memory = await serverChild.ipc.call<MemoryReading>('memory');
  const second = await snapshot(serverChild, `${label}-${streams}`);
  const perStream = (bytes: number) => Math.round((bytes / Math.max(1, held) / 1024) * 100) / 100;
  // RSS includes what writing the first snapshot took: compare heap, or RSS between servers measured alike.
  console.log(
    JSON.stringify({
      label,
      held,
      alive,
      heapPerStreamKiB: perStream(memory.heapUsed - idle.heapUsed),
      rssPerStreamKiB: perStream(memory.rss - idle.rss),
      snapshots: [first, second],
    }),
  );
  await holder.ipc.call('release');
} finally {
  for (const child of started.reverse()) await child.stop();
  clearInterval(prune);
  await fake.close();
}
