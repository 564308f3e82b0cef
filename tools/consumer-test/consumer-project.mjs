// The fresh consumer projects outside the workspace: installing the tarballs with the tools a consumer needs (from the
// npm cache, at the workspace's own ranges), and checking what got installed.
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The published packages, by folder: all are packed; each project installs those it uses. */
export const PACKAGES = ['protocol', 'server-kit', 'client-sdk', 'svelte'];

/**
 * npm/node started from `npm run` inherit workspace settings, and from vitest its `NODE_ENV=test` (a vite build would
 * bundle Svelte's development build); the consumer projects must see neither.
 */
function cleanEnvironment() {
  const environment = { ...process.env };
  for (const key of Object.keys(environment)) {
    if (
      /^npm_(package|lifecycle)_/i.test(key) ||
      /^npm_config_(workspaces?|include_workspace_root|prefix|global|location)$/i.test(key) ||
      /^VITEST/.test(key)
    ) {
      delete environment[key];
    }
  }
  delete environment.INIT_CWD;
  delete environment.NODE_ENV;
  return environment;
}
const environment = cleanEnvironment();

/** Runs a command in `cwd` with the clean environment; fails with its output. */
export async function exec(command, args, cwd) {
  try {
    return await run(command, args, { cwd, env: environment, maxBuffer: 64 * 1024 * 1024, timeout: 110_000 });
  } catch (error) {
    const output = [error.stdout, error.stderr].filter(Boolean).join('\n').trim();
    throw new Error(`\`${command} ${args.join(' ')}\` failed in ${cwd}:\n${output || error.message}`, { cause: error });
  }
}

/** The range the workspace itself uses for `name`, so the install can come from the npm cache. */
async function workspaceRange(name) {
  // The example UI before the svelte package: its svelte range is the one installed, not the peer's floor.
  const manifests = [
    'package.json',
    'packages/server-kit/package.json',
    'packages/client-sdk/package.json',
    'examples/svelte-web/package.json',
    'packages/svelte/package.json',
  ];
  for (const file of manifests) {
    const manifest = JSON.parse(await readFile(join(root, file), 'utf8'));
    const range =
      manifest.peerDependencies?.[name] ?? manifest.devDependencies?.[name] ?? manifest.dependencies?.[name];
    if (range) return range;
  }
  throw new Error(`no version range for ${name} in the workspace`);
}

/** Koa, or a package of its family (`@koa/*`, `koa-*`). */
const isKoa = (name) => name === 'koa' || name.startsWith('koa-') || name.startsWith('@koa/');

/** Installs the tarballs and `tools` (at the workspace's ranges) into a fresh project; resolves with its lockfile. */
export async function installProject(project, tarballs, tools) {
  const dependencies = Object.fromEntries(Object.entries(tarballs).map(([name, file]) => [name, `file:${file}`]));
  for (const name of tools) dependencies[name] = await workspaceRange(name);
  const manifest = { name: 'chatwire-consumer', version: '0.0.0', private: true, type: 'module', dependencies };
  await mkdir(project, { recursive: true });
  await writeFile(join(project, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  await exec('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], project);

  // The packages depend on each other by version: each must be the packed one, not a registry copy.
  const lock = JSON.parse(await readFile(join(project, 'package-lock.json'), 'utf8'));
  for (const name of Object.keys(tarballs)) {
    const resolved = String(lock.packages[`node_modules/${name}`]?.resolved);
    if (!resolved.startsWith('file:')) throw new Error(`${name} was not installed from its tarball (${resolved})`);
    const copies = Object.keys(lock.packages).filter((path) => path.endsWith(`/node_modules/${name}`));
    if (copies.length > 0) throw new Error(`${name} was installed again at ${copies.join(', ')}`);
  }
  return lock;
}

/** An Express user installs no Koa: the kit declares none (no dependency, no peer), and nothing else brought one. */
export async function checkNoKoa(project, lock) {
  const kit = JSON.parse(await readFile(join(project, 'node_modules/@chatwire/server-kit/package.json'), 'utf8'));
  const declared = ['dependencies', 'peerDependencies', 'optionalDependencies'].flatMap((field) =>
    Object.keys(kit[field] ?? {})
      .filter(isKoa)
      .map((name) => `${field}.${name}`),
  );
  if (declared.length > 0) throw new Error(`the packed kit declares Koa: ${declared.join(', ')}`);
  const installed = Object.keys(lock.packages).filter((path) => isKoa(path.split('node_modules/').at(-1)));
  if (installed.length > 0) throw new Error(`the Express consumer got Koa installed: ${installed.join(', ')}`);
}
