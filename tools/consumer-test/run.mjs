#!/usr/bin/env node
// Consumer test: packs the three published packages (already built), installs the tarballs into a fresh project
// outside the workspace, and uses them from an ESM script, a CJS script and a strict TypeScript project (plus the
// README examples, type-checked). Every consumer serves a plain Koa app with the kit and chats in all four modes; the
// answer must be the same in every mode and every consumer. Exits non-zero on any failure; the temp dir is removed
// (set CHATWIRE_KEEP_CONSUMER=1 to keep it for debugging).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const fixtures = join(here, 'fixtures');
const PACKAGES = ['protocol', 'server-kit', 'client-sdk'];
const started = performance.now();

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

function log(message) {
  console.log(`[consumer-test ${((performance.now() - started) / 1000).toFixed(1)}s] ${message}`);
}

async function exec(command, args, cwd) {
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

/** The ```ts blocks of each package README, one module per block. */
async function readmeExamples() {
  const examples = [];
  for (const name of PACKAGES) {
    const readme = await readFile(join(root, 'packages', name, 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((match) => match[1]);
    blocks.forEach((code, index) => {
      // The /redis entry needs the optional peers ioredis and bullmq, which this project leaves out on purpose.
      if (code.includes("'@chatwire/server-kit/redis'")) return;
      examples.push({ file: `${name}-${index + 1}.ts`, code: `${code}\nexport {};\n` });
    });
  }
  return examples;
}

function parseResult(stdout, consumer) {
  const line = stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(line);
  } catch {
    throw new Error(`${consumer} consumer printed no result:\n${stdout}`);
  }
}

async function main() {
  for (const name of PACKAGES) {
    if (!existsSync(join(root, 'packages', name, 'dist'))) {
      throw new Error(`packages/${name}/dist is missing: build first (npm run build)`);
    }
  }
  const temp = await mkdtemp(join(tmpdir(), 'chatwire-consumer-'));
  try {
    const packs = join(temp, 'packs');
    const project = join(temp, 'project');
    await mkdir(packs);
    await mkdir(join(project, 'readme'), { recursive: true });

    const { stdout: packed } = await exec(
      'npm',
      ['pack', '--json', '--pack-destination', packs, ...PACKAGES.flatMap((name) => ['-w', `packages/${name}`])],
      root,
    );
    const tarballs = Object.fromEntries(JSON.parse(packed).map((entry) => [entry.name, join(packs, entry.filename)]));
    log(`packed ${Object.keys(tarballs).join(', ')}`);

    const tools = ['koa', 'ws', 'typescript', '@types/node', '@types/koa', '@types/ws'];
    const dependencies = Object.fromEntries(Object.entries(tarballs).map(([name, file]) => [name, `file:${file}`]));
    for (const name of tools) dependencies[name] = await workspaceRange(name);
    const manifest = { name: 'chatwire-consumer', version: '0.0.0', private: true, type: 'module', dependencies };
    await writeFile(join(project, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    await exec('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], project);
    log('installed the tarballs with koa, ws, typescript and types');

    // The kit and client depend on @chatwire/protocol by version: it must be the packed one, not a registry copy.
    const lock = JSON.parse(await readFile(join(project, 'package-lock.json'), 'utf8'));
    for (const name of PACKAGES.map((name) => `@chatwire/${name}`)) {
      const resolved = String(lock.packages[`node_modules/${name}`]?.resolved);
      if (!resolved.startsWith('file:')) throw new Error(`${name} was not installed from its tarball (${resolved})`);
      const copies = Object.keys(lock.packages).filter((path) => path.endsWith(`/node_modules/${name}`));
      if (copies.length > 0) throw new Error(`${name} was installed again at ${copies.join(', ')}`);
    }

    for (const file of await readdir(fixtures)) await copyFile(join(fixtures, file), join(project, file));
    for (const { file, code } of await readmeExamples()) await writeFile(join(project, 'readme', file), code);

    const tsc = join(project, 'node_modules', 'typescript', 'bin', 'tsc');
    const [esm, cjs] = await Promise.all([
      exec(process.execPath, ['esm.mjs'], project),
      exec(process.execPath, ['cjs.cjs'], project),
      exec(process.execPath, [tsc, '--noEmit', '-p', 'tsconfig.json'], project).then(() =>
        log('tsc --noEmit: consumer.ts, types.cts and the README examples type-check'),
      ),
    ]);
    // Checked above; to run it, transpiling alone is enough (and a second full check would double the time).
    const ts = createRequire(join(project, 'package.json'))('typescript');
    const source = await readFile(join(project, 'consumer.ts'), 'utf8');
    const compilerOptions = { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 };
    await writeFile(join(project, 'consumer.js'), ts.transpileModule(source, { compilerOptions }).outputText);
    const typescript = await exec(process.execPath, ['consumer.js'], project);

    const results = [
      parseResult(esm.stdout, 'esm'),
      parseResult(cjs.stdout, 'cjs'),
      parseResult(typescript.stdout, 'typescript'),
    ];
    for (const result of results) {
      if (result.modes.join() !== 'sync,polling,sse,ws')
        throw new Error(`${result.consumer} chatted in ${result.modes}`);
      if (result.text !== results[0].text)
        throw new Error(`${result.consumer} got another answer than ${results[0].consumer}`);
    }
    log(`esm, cjs and typescript consumers got the same ${results[0].text.length}-character answer in all four modes`);
  } finally {
    if (process.env.CHATWIRE_KEEP_CONSUMER) log(`kept ${temp}`);
    else await rm(temp, { recursive: true, force: true });
  }
}

main().then(
  () => log('passed'),
  (error) => {
    console.error(`[consumer-test] FAILED: ${error.message}`);
    process.exitCode = 1;
  },
);
