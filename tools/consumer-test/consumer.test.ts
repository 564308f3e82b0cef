import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);
const script = fileURLToPath(new URL('./run.mjs', import.meta.url));

// The packed packages, installed outside the workspace, work from ESM, CJS and strict TypeScript, mounted in Koa,
// Express 5 (a project without Koa), Fastify 5 and Hono (kit.fetch), with the same answer in all four modes; next to
// svelte 5, @chatwire/svelte builds into a component with vite and passes svelte-check. Needs the packages built
// (`npm test` builds first) and the npm registry or a warm npm cache. About 40 s alone.
it(
  'the packed packages work for ESM, CJS and TypeScript consumers, in Koa, Express, Fastify and Hono in all four modes, and in a Svelte 5 + vite build',
  { timeout: 180_000 },
  async () => {
    const result = await run(process.execPath, [script], { maxBuffer: 16 * 1024 * 1024 }).catch(
      (error: { stdout?: string; stderr?: string; message: string }) => ({
        stdout: error.stdout ?? '',
        stderr: `${error.stderr ?? ''}\n${error.message}`,
        failed: true,
      }),
    );
    expect('failed' in result ? result.stderr : '').toBe('');
    expect(result.stdout).toContain('consumers got the same');
  },
);
