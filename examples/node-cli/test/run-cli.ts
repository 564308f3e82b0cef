import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The built CLI, as `npm test` builds it before running the tests. */
export const CLI = fileURLToPath(new URL('../dist/main.js', import.meta.url));

/** What a finished CLI process left. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Fails early with a clear message when the CLI or the SDK has not been built. */
export function assertBuilt(): void {
  const sdk = fileURLToPath(new URL('../../../packages/client-sdk/dist/index.js', import.meta.url));
  if (!existsSync(CLI) || !existsSync(sdk))
    throw new Error('build first: npm run build (the tests run the real dist/main.js)');
}

/** Starts the real CLI process with a clean environment (no inherited CHATWIRE_* or NO_COLOR). */
export function spawnCli(args: string[], env: Record<string, string> = {}): ChildProcessWithoutNullStreams {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('CHATWIRE_') && key !== 'NO_COLOR'),
  );
  return spawn(process.execPath, [CLI, ...args], { env: { ...base, ...env } });
}

/** Collects a process's output until it exits. */
export function finished(child: ChildProcessWithoutNullStreams): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs the CLI to its end, feeding `input` on stdin. */
export function runCli(
  args: string[],
  options: { input?: string; env?: Record<string, string> } = {},
): Promise<CliRun> {
  const child = spawnCli(args, options.env);
  const done = finished(child);
  child.stdin.end(options.input ?? '');
  return done;
}

/** Resolves with the first stdout line that `match` accepts. */
export function lineMatching(child: ChildProcessWithoutNullStreams, match: (line: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const onData = (chunk: Buffer | string) => {
      buffer += String(chunk);
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      const found = lines.find(match);
      if (found !== undefined) {
        child.stdout.off('data', onData);
        resolve(found);
      }
    };
    child.stdout.on('data', onData);
    child.once('close', () => reject(new Error('the CLI exited before printing the expected line')));
  });
}
