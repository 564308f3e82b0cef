#!/usr/bin/env node
// Consumer test: packs the four published packages (already built), installs the tarballs into fresh projects outside
// the workspace, and uses them the way users would:
// - the main project (Koa, Fastify, Hono and TypeScript installed): an ESM script, a CJS script and a strict
//   TypeScript consumer each serve a plain Koa app with the kit; a Fastify 5 consumer mounts the `/fastify` plugin; a
//   fetch-handler consumer serves `kit.fetch` from Hono on @hono/node-server under a basePath; tsc checks every
//   consumer and the README examples (framework fragments included) against the packed types;
// - the Express project (the tarballs, express@5 and ws only): an Express 5 consumer, which also proves that no Koa
//   gets installed with the kit;
// - the Svelte project (the protocol, client-sdk and svelte tarballs, svelte 5, vite and its Svelte plugin,
//   svelte-check): `vite build` bundles a small component holding a ChatSession, and svelte-check checks it against the
//   packed types.
// Every consumer chats in all four modes; the answer must be the same in every mode and every consumer. Exits non-zero
// on any failure; the temp dir is removed (set CHATWIRE_KEEP_CONSUMER=1 to keep it for debugging).
import { existsSync } from 'node:fs';
import { copyFile, cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PACKAGES, checkNoKoa, exec, installProject, root } from './consumer-project.mjs';
import { readmeExamples } from './readme-examples.mjs';

const fixtures = join(root, 'tools', 'consumer-test', 'fixtures');
const started = performance.now();
const NODE_PACKAGES = ['@chatwire/protocol', '@chatwire/server-kit', '@chatwire/client-sdk'];
const SVELTE_PACKAGES = ['@chatwire/protocol', '@chatwire/client-sdk', '@chatwire/svelte'];
const SVELTE_TOOLS = ['svelte', 'vite', '@sveltejs/vite-plugin-svelte', 'svelte-check', 'typescript'];
/** A string from the code of each package the Svelte bundle must hold. */
const BUNDLED = {
  '@chatwire/svelte': 'this ChatSession was destroyed',
  '@chatwire/client-sdk': '/api/sse/chat',
};

function log(message) {
  console.log(`[consumer-test ${((performance.now() - started) / 1000).toFixed(1)}s] ${message}`);
}

function parseResult(stdout, consumer) {
  const line = stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(line);
  } catch {
    throw new Error(`${consumer} consumer printed no result:\n${stdout}`);
  }
}

/**
 * Builds the Svelte project with `vite build` while svelte-check checks it; resolves with the size of the bundle's
 * scripts, which must hold the code of the session and of the client.
 */
async function buildSvelteConsumer(project) {
  const bin = (name, path) => join(project, 'node_modules', name, path);
  const check = ['--tsconfig', './tsconfig.json', '--fail-on-warnings', '--output', 'human'];
  await Promise.all([
    exec(process.execPath, [bin('vite', 'bin/vite.js'), 'build'], project),
    exec(process.execPath, [bin('svelte-check', 'bin/svelte-check'), ...check], project),
  ]);
  const dist = join(project, 'dist');
  if (!existsSync(join(dist, 'index.html'))) throw new Error('vite build wrote no dist/index.html');
  const scripts = (await readdir(join(dist, 'assets'))).filter((file) => file.endsWith('.js'));
  const code = (await Promise.all(scripts.map((file) => readFile(join(dist, 'assets', file), 'utf8')))).join('\n');
  for (const [name, marker] of Object.entries(BUNDLED)) {
    if (!code.includes(marker)) throw new Error(`the vite build holds none of ${name}'s code ("${marker}")`);
  }
  // The package ships runes (`#messages = $state.raw([])` in .svelte.js): the consumer's Svelte compiler must have
  // turned them into code. (Svelte's development build mentions `$state(...)` in its warnings, not after an `=`.)
  if (/=\s*\$state(\.raw)?\(/.test(code)) throw new Error('the vite build left $state runes uncompiled');
  return code.length;
}

/** Like Promise.all, but waits for every promise; rejects with every failure's message. */
async function settleAll(promises) {
  const settled = await Promise.allSettled(promises);
  const failures = settled.filter((result) => result.status === 'rejected').map((result) => result.reason.message);
  if (failures.length > 0) throw new Error(`${failures.length} of ${settled.length} failed:\n${failures.join('\n\n')}`);
  return settled.map((result) => result.value);
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
    const expressProject = join(temp, 'express');
    const svelteProject = join(temp, 'svelte');
    await mkdir(packs);

    const { stdout: packed } = await exec(
      'npm',
      ['pack', '--json', '--pack-destination', packs, ...PACKAGES.flatMap((name) => ['-w', `packages/${name}`])],
      root,
    );
    const tarballs = Object.fromEntries(JSON.parse(packed).map((entry) => [entry.name, join(packs, entry.filename)]));
    log(`packed ${Object.keys(tarballs).join(', ')}`);
    const only = (names) => Object.fromEntries(names.map((name) => [name, tarballs[name]]));

    const tools = ['koa', 'fastify', 'hono', '@hono/node-server', 'ws', 'typescript'];
    const types = ['@types/node', '@types/koa', '@types/express', '@types/ws'];
    const [lock, expressLock, svelteLock] = await Promise.all([
      installProject(project, only(NODE_PACKAGES), [...tools, ...types]),
      installProject(expressProject, only(NODE_PACKAGES), ['express', 'ws']),
      installProject(svelteProject, only(SVELTE_PACKAGES), SVELTE_TOOLS),
    ]);
    const version = (installed, name) => `${name}@${installed.packages[`node_modules/${name}`]?.version}`;
    log(`installed the tarballs with ${tools.map((name) => version(lock, name)).join(', ')} and types`);
    log(`installed the tarballs apart with ${version(expressLock, 'express')} and ${version(expressLock, 'ws')} only`);
    log(
      `installed the client tarballs and @chatwire/svelte with ` +
        SVELTE_TOOLS.map((name) => version(svelteLock, name)).join(', '),
    );
    await checkNoKoa(expressProject, expressLock);
    log('express project: no koa, koa-* or @koa/* installed, and the packed kit declares none');

    for (const entry of await readdir(fixtures, { withFileTypes: true })) {
      if (entry.isFile()) await copyFile(join(fixtures, entry.name), join(project, entry.name));
    }
    await cp(join(fixtures, 'svelte'), svelteProject, { recursive: true });
    await mkdir(join(project, 'readme'));
    // The svelte package's README shows runes, which only a Svelte project compiles: the Svelte consumer stands for it.
    const nodePackages = PACKAGES.filter((name) => name !== 'svelte');
    for (const { file, code } of await readmeExamples(root, nodePackages)) {
      await writeFile(join(project, 'readme', file), code);
    }
    // tsc checks these below; to run them, transpiling alone is enough (a second full check would double the time).
    const ts = createRequire(join(project, 'package.json'))('typescript');
    const compilerOptions = { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 };
    for (const name of ['chat-in-all-modes', 'consumer', 'express', 'fastify', 'hono']) {
      const source = await readFile(join(project, `${name}.ts`), 'utf8');
      await writeFile(join(project, `${name}.js`), ts.transpileModule(source, { compilerOptions }).outputText);
    }
    for (const file of ['chat-in-all-modes.js', 'express.js']) {
      await copyFile(join(project, file), join(expressProject, file));
    }

    const tsc = join(project, 'node_modules', 'typescript', 'bin', 'tsc');
    const consumers = [
      ['esm', 'esm.mjs', project],
      ['cjs', 'cjs.cjs', project],
      ['typescript', 'consumer.js', project],
      ['fastify', 'fastify.js', project],
      ['hono', 'hono.js', project],
      ['express', 'express.js', expressProject],
    ];
    // All settle before any failure is reported, so one broken consumer does not hide another.
    const [, , ...outputs] = await settleAll([
      exec(process.execPath, [tsc, '--noEmit', '-p', 'tsconfig.json'], project).then(() =>
        log('tsc --noEmit: every consumer, types.cts and the README examples type-check'),
      ),
      buildSvelteConsumer(svelteProject).then((size) =>
        log(
          `svelte project: vite build bundled a ChatSession component (${size} bytes of script), svelte-check passed`,
        ),
      ),
      ...consumers.map(([consumer, script, cwd]) =>
        exec(process.execPath, [script], cwd).catch((error) => {
          throw new Error(`${consumer} consumer: ${error.message}`, { cause: error });
        }),
      ),
    ]);

    const results = outputs.map(({ stdout }, index) => parseResult(stdout, consumers[index][0]));
    for (const [index, result] of results.entries()) {
      if (result.consumer !== consumers[index][0])
        throw new Error(`${consumers[index][0]} reported ${result.consumer}`);
      if (result.modes.join() !== 'sync,polling,sse,ws')
        throw new Error(`${result.consumer} chatted in ${result.modes}`);
      if (result.text !== results[0].text)
        throw new Error(`${result.consumer} got another answer than ${results[0].consumer}`);
    }
    log(
      `${results.map((result) => result.consumer).join(', ')} consumers got the same ` +
        `${results[0].text.length}-character answer in all four modes`,
    );
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
