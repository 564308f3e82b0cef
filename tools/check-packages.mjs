#!/usr/bin/env node
// Lints the published packages as they would be published (after `npm run build`): publint (strict: warnings fail too)
// and Are the Types Wrong on the packed tarball, for ESM and CJS consumers under node16 and bundler resolution.
//
// attw runs with `--profile node16`, which leaves out the node10 column: TypeScript's `moduleResolution: node10`
// ignores `exports`, so the subpath entries (`@chatwire/protocol/validation`, `@chatwire/server-kit/redis`) cannot
// resolve there. The packages require Node >= 20.10, and node10 resolution is deprecated in TypeScript; the main
// entries still work under node10 through `main`/`types`. Every other problem fails the check.
//
// @chatwire/svelte runs with `--profile esm-only`, which also leaves out node16 from CJS: it ships Svelte 5 runes
// (`.svelte.js`) that only a consumer's Svelte compiler can run, and Svelte 5 itself is ESM-only, so there is no
// CommonJS build to resolve (a `require` of it is the "CJS resolves to ESM" problem attw would report). ESM under
// node16 and bundler resolution must still resolve, types included.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** Each published package and the attw profile it is held to. */
const PROFILES = { protocol: 'node16', 'server-kit': 'node16', 'client-sdk': 'node16', svelte: 'esm-only' };
const PACKAGES = Object.keys(PROFILES);
const bin = (name) => join(root, 'node_modules', '.bin', name);

const failures = [];
for (const name of PACKAGES) {
  const directory = join('packages', name);
  if (!existsSync(join(root, directory, 'dist'))) {
    failures.push(`${directory}: no dist/ (run npm run build first)`);
    continue;
  }
  for (const [tool, args] of [
    ['publint', [directory, '--strict']],
    ['attw', ['--pack', directory, '--profile', PROFILES[name]]],
  ]) {
    console.log(`\n$ ${tool} ${args.join(' ')}`);
    const result = spawnSync(bin(tool), args, { cwd: root, stdio: 'inherit' });
    if (result.status !== 0)
      failures.push(`${directory}: ${tool} ${result.error?.message ?? `exited ${result.status}`}`);
  }
}

if (failures.length > 0) {
  console.error(`\ncheck:packages failed:\n${failures.map((failure) => `  - ${failure}`).join('\n')}`);
  process.exit(1);
}
console.log(`\ncheck:packages: ${PACKAGES.map((name) => `@chatwire/${name}`).join(', ')} pass publint and attw`);
