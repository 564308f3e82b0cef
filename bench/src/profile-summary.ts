#!/usr/bin/env node
/**
 * Summarizes a V8 CPU profile (from `npm run bench -- --cpu-prof`): self time by function and by package or file, to
 * find the server's hot path. Usage: node bench/dist/profile-summary.js <file.cpuprofile> [top=25]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Where a file belongs: a package under node_modules, a workspace package, or node's own code. */
function owner(url: string): string {
  if (url === '') return '(native / V8)';
  const modules = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (modules) return modules[1] as string;
  const workspace = url.match(/\/(packages|examples|bench)\/([^/]+)\//);
  if (workspace) return `${workspace[1]}/${workspace[2]}`;
  if (url.startsWith('node:')) return url;
  return url;
}

const [file, topText] = process.argv.slice(2);
if (!file) {
  console.error('usage: profile-summary.js <file.cpuprofile> [top]');
  process.exit(2);
}
const top = Number(topText ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const self = new Map<number, number>();
profile.samples.forEach((id, index) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0)));
const total = [...self.values()].reduce((sum, value) => sum + value, 0);
const idle = [...self.entries()]
  .filter(([id]) => ['(idle)', '(program)'].includes(nodes.get(id)?.callFrame.functionName ?? ''))
  .reduce((sum, [, value]) => sum + value, 0);

const byFunction = new Map<string, number>();
const byOwner = new Map<string, number>();
for (const [id, time] of self) {
  const { functionName, url, lineNumber } = nodes.get(id)?.callFrame ?? { functionName: '?', url: '', lineNumber: 0 };
  if (functionName === '(idle)') continue;
  const where = url ? `${url.replace(/^.*\/(node_modules|packages|bench)\//, '$1/')}:${lineNumber + 1}` : '';
  const key = `${functionName || '(anonymous)'} ${where}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + time);
  byOwner.set(owner(url), (byOwner.get(owner(url)) ?? 0) + time);
}
const busy = total - idle;
const show = (title: string, entries: Map<string, number>) => {
  console.log(
    `\n${title} (share of busy time, ${(busy / 1000).toFixed(0)} ms busy of ${(total / 1000).toFixed(0)} ms)`,
  );
  for (const [key, time] of [...entries].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${((time / busy) * 100).toFixed(1).padStart(5)}%  ${(time / 1000).toFixed(0).padStart(6)} ms  ${key}`);
  }
};
show('self time by package / file', byOwner);
show('self time by function', byFunction);
