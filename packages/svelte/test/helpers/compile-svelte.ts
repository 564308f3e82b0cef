import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as Svelte from 'svelte';
import { compile, compileModule } from 'svelte/compiler';
import ts from 'typescript';

const packageRoot = fileURLToPath(new URL('../..', import.meta.url));
// What a browser bundle gets for `svelte` (its `browser` condition); Node's default condition is the server build,
// whose lifecycle functions do not know client components.
const svelteClient = pathToFileURL(
  join(dirname(createRequire(import.meta.url).resolve('svelte/package.json')), 'src/index-client.js'),
).href;

/**
 * Compiles the package's runes the way a consumer's Svelte compiler does (client output, TypeScript stripped first for
 * `.svelte.ts` modules), into a directory under node_modules that Node imports natively, with the same Svelte runtime
 * for every module. The root vitest config has no Svelte plugin; this keeps `npm test` a plain vitest run.
 *
 * @param files paths relative to the package, e.g. `src/index.ts`, `test/fixtures/chat.svelte.ts`, `test/x.svelte`
 * @returns where each file went (`.ts` → `.js`, `.svelte` → `.svelte.js`) and a cleanup
 */
export async function compileSvelte(files: string[]) {
  const out = join(packageRoot, 'node_modules/.cache/svelte-test', randomUUID());
  const outputs = new Map<string, string>();
  for (const file of files) {
    const source = await readFile(join(packageRoot, file), 'utf8');
    let result: { js: { code: string }; warnings: Array<{ code: string; message: string }> };
    if (file.endsWith('.svelte')) {
      result = compile(source, { filename: file, generate: 'client', runes: true });
    } else {
      const js = ts.transpileModule(source, {
        fileName: file,
        compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, verbatimModuleSyntax: true },
      }).outputText;
      result = file.endsWith('.svelte.ts')
        ? compileModule(js, { filename: file, generate: 'client' })
        : { js: { code: js }, warnings: [] };
    }
    // A warning is what a consumer's build would print: none is acceptable in what the package ships or tests with.
    if (result.warnings.length > 0)
      throw new Error(`${file}: ${result.warnings.map((warning) => `${warning.code}: ${warning.message}`).join('\n')}`);
    let code = result.js.code;
    code = code.replaceAll(/from 'svelte'/g, `from '${svelteClient}'`);
    const target = join(out, file.replace(/\.ts$/, '.js').replace(/\.svelte$/, '.svelte.js'));
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, code);
    outputs.set(file, pathToFileURL(target).href);
  }
  return {
    /** Svelte's client runtime (`mount`, `unmount`, `flushSync`, `tick`), the instance the compiled modules use. */
    svelte: (await import(svelteClient)) as typeof Svelte,
    /** The compiled module's URL, for `import()`. */
    url(file: string): string {
      const url = outputs.get(file);
      if (!url) throw new Error(`${file} was not compiled`);
      return url;
    },
    dispose: () => rm(out, { recursive: true, force: true }),
  };
}
