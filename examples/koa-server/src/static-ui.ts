import { existsSync } from 'node:fs';
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { send } from '@koa/send';
import type { Middleware } from 'koa';

/** Options of {@link serveStaticUi}. */
export interface StaticUiOptions {
  /** Folder of the built single-page app; it must hold `index.html`. */
  root: string;
  /** Path prefixes of the API, whose unknown paths stay 404s instead of getting the app (default: the kit's). */
  apiPrefixes?: readonly string[];
}

const DEFAULT_API_PREFIXES = ['/api', '/ws', '/healthz', '/readyz', '/metrics', '/openapi.json', '/docs'] as const;
const YEAR_SECONDS = 365 * 24 * 60 * 60;

/**
 * Serves a built single-page app (the Svelte UI) from the same Koa app as the API, so `npm start` needs no nginx.
 *
 * It only answers `GET`/`HEAD` requests that the rest of the app left unanswered, so it can be mounted anywhere and
 * never shadows a route: such a request gets the file under `root`, or `index.html` for any other path outside the
 * API (the app routes itself), while a missing file with an extension (`/assets/gone.js`) stays a 404. Vite's hashed
 * bundles under `/assets/` are cached for a year; everything else, `index.html` above all, is revalidated on every
 * load.
 *
 * @example
 * const root = builtUiRoot();
 * if (root) app.use(serveStaticUi({ root }));
 * app.use(kit.middleware());
 */
export function serveStaticUi(options: StaticUiOptions): Middleware {
  const { root } = options;
  const apiPrefixes = options.apiPrefixes ?? DEFAULT_API_PREFIXES;
  const assetsFolder = join(root, 'assets') + sep;
  const isApiPath = (path: string): boolean =>
    apiPrefixes.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));

  return async (ctx, next) => {
    await next();
    const unanswered = ctx.status === 404 && ctx.body == null && ctx.respond !== false;
    if (!unanswered || (ctx.method !== 'GET' && ctx.method !== 'HEAD') || isApiPath(ctx.path)) return;
    const sendOptions = {
      root,
      index: 'index.html',
      setHeaders: (response: { setHeader(name: string, value: string): void }, path: string) => {
        const immutable = path.startsWith(assetsFolder);
        response.setHeader('Cache-Control', immutable ? `public, max-age=${YEAR_SECONDS}, immutable` : 'no-cache');
      },
    };
    try {
      await send(ctx, ctx.path, sendOptions);
      return;
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    // A path that names a file (it has an extension) and is missing is a real 404, not an app route.
    if (/\.[a-z0-9]+$/i.test(ctx.path)) return;
    await send(ctx, 'index.html', sendOptions);
  };
}

/**
 * Where `npm run build` puts the Svelte UI (`examples/svelte-web/dist`), when it has been built; else `undefined`.
 * Resolved from this module's own file, so it works from `src/` (tests) and from the bundled `dist/`.
 */
export function builtUiRoot(): string | undefined {
  const root = fileURLToPath(new URL('../../svelte-web/dist/', import.meta.url));
  return existsSync(join(root, 'index.html')) ? root : undefined;
}

function isNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { status?: unknown }).status === 404;
}
