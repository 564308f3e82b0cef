import { spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { USAGE } from '../src/parse-command-line.js';
import { assertBuilt, finished, type CliRun } from './run-cli.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const workspace = fileURLToPath(new URL('../', import.meta.url));
const BUILD_HINT = /run `npm run build`/;

/** Runs a command to its end with stdin closed and no inherited CHATWIRE_* variables. */
function run(command: string, args: string[], cwd: string): Promise<CliRun> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('CHATWIRE_')));
  const child = spawn(command, args, { cwd, env });
  const done = finished(child);
  child.stdin.end();
  return done;
}

describe('npx chatwire from the repository root', () => {
  it('finds the bin npm linked at install time and prints the usage once', async () => {
    assertBuilt();
    // npm links a workspace's bin only if its target exists at install time: the committed bin/ does, dist/ does not.
    expect(existsSync(join(root, 'node_modules', '.bin', 'chatwire'))).toBe(true);
    const result = await run('npx', ['chatwire', '--help'], root);
    expect(result).toEqual({ code: 0, stdout: `${USAGE}\n`, stderr: '' });
  });
});

describe('the committed bin', () => {
  let copy: string | undefined;
  afterEach(async () => {
    if (copy) await rm(copy, { recursive: true, force: true });
    copy = undefined;
  });

  /** The bin and its package.json (which makes it ESM) in a fresh folder with no dist/, as a fresh clone has. */
  async function unbuiltCopy(): Promise<string> {
    copy = await mkdtemp(join(tmpdir(), 'chatwire-bin-'));
    await mkdir(join(copy, 'bin'));
    await copyFile(join(workspace, 'bin', 'chatwire.js'), join(copy, 'bin', 'chatwire.js'));
    await copyFile(join(workspace, 'package.json'), join(copy, 'package.json'));
    return copy;
  }

  it('says on stderr to run `npm run build` and exits 1 when the CLI is not built', async () => {
    const folder = await unbuiltCopy();
    // Run as a user's shell runs it: through its shebang, which also needs the executable bit the copy kept.
    const result = await run(join(folder, 'bin', 'chatwire.js'), ['--help'], folder);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(BUILD_HINT);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('lets any other failure to load the build surface as itself', async () => {
    const folder = await unbuiltCopy();
    await mkdir(join(folder, 'dist'));
    await writeFile(join(folder, 'dist', 'main.js'), "import 'chatwire-missing-dependency';\n");
    const result = await run(process.execPath, [join(folder, 'bin', 'chatwire.js'), '--help'], folder);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("Cannot find package 'chatwire-missing-dependency'");
    expect(result.stderr).not.toMatch(BUILD_HINT);
  });

  it('is in the packed tarball, executable, next to the build it loads', async () => {
    assertBuilt();
    const result = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], workspace);
    expect(result.code).toBe(0);
    const [pack] = JSON.parse(result.stdout) as [{ files: { path: string; mode: number }[] }];
    const files = new Map(pack.files.map((file) => [file.path, file.mode]));
    expect(files.get('bin/chatwire.js')! & 0o111).toBe(0o111);
    expect(files.has('dist/main.js')).toBe(true);
    expect(files.has('package.json')).toBe(true);
  });
});
