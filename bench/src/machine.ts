import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, platform, release, totalmem } from 'node:os';

/** Where and on what a bench ran. */
export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  commit: string;
  /** The working tree had uncommitted changes. */
  dirty: boolean;
  /** packages/protocol or packages/server-kit, what the servers run, had uncommitted changes. */
  serverDirty?: boolean;
  /** Versions of the libraries measured. */
  libraries: Record<string, string>;
  /** `ulimit -n` seen by the bench. */
  openFilesLimit: string;
}

/** Describes this machine, the Node version and the repository commit. */
export function describeMachine(root: string): MachineInfo {
  const git = (...args: string[]) => {
    try {
      return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return '';
    }
  };
  const version = (name: string) => {
    // Read from node_modules directly: some packages do not export their package.json.
    for (const folder of [`${root}/bench/node_modules`, `${root}/node_modules`]) {
      try {
        return (JSON.parse(readFileSync(`${folder}/${name}/package.json`, 'utf8')) as { version: string }).version;
      } catch {
        // try the next folder
      }
    }
    return 'unknown';
  };
  let openFilesLimit = 'unknown';
  try {
    openFilesLimit = execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim();
  } catch {
    // not a POSIX shell
  }
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${platform()} ${release()}`,
    node: process.version,
    commit: git('rev-parse', 'HEAD') || 'unknown',
    dirty: git('status', '--porcelain') !== '',
    serverDirty: git('status', '--porcelain', '--', 'packages/protocol', 'packages/server-kit') !== '',
    libraries: Object.fromEntries(
      [
        'koa',
        'express',
        'fastify',
        'hono',
        '@hono/node-server',
        'ws',
        'undici',
        'eventsource-parser',
        'ai',
        'socket.io',
        'socket.io-client',
      ].map((name) => [name, version(name)]),
    ),
    openFilesLimit,
  };
}
