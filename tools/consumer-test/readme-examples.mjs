// The ```ts blocks of each package README, as modules the TypeScript consumer type-checks against the packed packages.
// A block that opens with a comment line is a set of fragments, one per paragraph headed by a `// Framework` comment
// (how to mount the kit in each framework): each becomes a module of its own, after a prelude declaring what the
// fragment takes as given (`app`, `kit`, `server`...), so the snippet is checked against the framework's real types.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

const KIT = "import { createChatKit } from '@chatwire/server-kit';\nconst kit = createChatKit();";

/** The prelude of a fragment whose heading starts with `// <name>`. */
const PRELUDES = {
  Koa: `import Koa from 'koa';\n${KIT}\nconst app = new Koa();`,
  'node:http': `import * as http from 'node:http';\n${KIT}`,
  Express: `import express from 'express';\n${KIT}\nconst app = express();`,
  Fastify: `import Fastify from 'fastify';\n${KIT}\nconst fastify = Fastify();`,
  Hono: [
    "import { serve } from '@hono/node-server';",
    "import { getConnInfo } from '@hono/node-server/conninfo';",
    "import { Hono } from 'hono';",
    "import { createChatKit, createSimulatedProvider } from '@chatwire/server-kit';",
    'const provider = createSimulatedProvider();',
    'const app = new Hono();',
  ].join('\n'),
  WebSocket: `import type { Server } from 'node:http';\n${KIT}\ndeclare const server: Server;`,
};

/** `{ file, code }` for each module to check; `root` is the workspace, `packages` the package folder names. */
export async function readmeExamples(root, packages) {
  const examples = [];
  for (const name of packages) {
    const readme = await readFile(join(root, 'packages', name, 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((match) => match[1]);
    blocks.forEach((code, index) => {
      // The /redis entry needs the optional peer ioredis, which this project leaves out on purpose.
      if (code.includes("'@chatwire/server-kit/redis'")) return;
      const file = `${name}-${index + 1}`;
      if (!code.startsWith('//')) {
        examples.push({ file: `${file}.ts`, code: `${code}\nexport {};\n` });
        return;
      }
      for (const fragment of code.split(/\n\n(?=\/\/ )/)) {
        const heading = fragment.slice(0, fragment.indexOf('\n'));
        const framework = Object.keys(PRELUDES).find((key) => heading.startsWith(`// ${key}`));
        if (framework === undefined) {
          throw new Error(
            `packages/${name}/README.md block ${index + 1}: no prelude for the fragment "${heading}" ` +
              '(add one to tools/consumer-test/readme-examples.mjs)',
          );
        }
        const slug = framework.replace(':', '-').toLowerCase();
        examples.push({ file: `${file}-${slug}.ts`, code: `${PRELUDES[framework]}\n${fragment}\nexport {};\n` });
      }
    });
  }
  return examples;
}
