#!/usr/bin/env node
// The `chatwire` bin. npm links a workspace's bin at install time only when its target exists, and dist/ is built
// later (`npm run build`), so the bin is this committed file, which loads the build.
import { existsSync } from 'node:fs';

const built = new URL('../dist/main.js', import.meta.url);

if (!existsSync(built)) {
  process.stderr.write(
    'chatwire: the CLI is not built yet; run `npm run build` at the repository root, then try again.\n',
  );
  process.exit(1);
}
// Any other failure to load (a missing dependency build, a syntax error) surfaces as itself.
await import(built.href);
