// The fresh consumer projects outside the workspace: installing the tarballs with the tools a consumer needs (from the
// npm cache, at the workspace's own ranges), and checking what got installed.
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const PACKAGES = ['protocol', 'server-kit', 'client-sdk'];

/** npm/node started from `npm run` inherit workspace settings; the consumer project must not see them. */
function cleanEnvironment() {
  const environment = { ...process.env };
  for (const key of Object.keys(environment)) {
    if (
      /^npm_(package|lifecycle)_/i.test(key) ||
      /^npm_config_(workspaces?|include_workspace_root|prefix|global|location)$/i.test(key)
    ) {
      delete environment[key];
    }
  }
  delete environment.INIT_CWD;
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
  for (const file of ['package.json', 'packages/server-kit/package.json', 'packages/client-sdk/package.json']) {
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

  // The kit and client depend on @chatwire/protocol by version: it must be the packed one, not a registry copy.
  const lock = JSON.parse(await readFile(join(project, 'package-lock.json'), 'utf8'));
  for (const name of PACKAGES.map((name) => `@chatwire/${name}`)) {
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
