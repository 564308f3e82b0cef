import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { send } from '@koa/send';
import type { Middleware } from 'koa';

const ASSETS = new Set([
  'swagger-ui.css',
  'swagger-ui-bundle.js',
  'swagger-ui-standalone-preset.js',
  'favicon-32x32.png',
]);

// The page is ours; only Swagger UI's own files come from swagger-ui-dist (no CDN: the docs work offline).
const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8" />
  <meta name="viewport" content="width=device-width, initial-scale=1" />
  <title>chatwire API</title>
  <link rel="icon" href="/docs/favicon-32x32.png" />
  <link rel="stylesheet" href="/docs/swagger-ui.css" />
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script src="/docs/swagger-ui-standalone-preset.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>
`;
const INIT = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], layout: 'StandaloneLayout' });
`;

/**
 * The interactive API page at `/docs` (Swagger UI over the kit's `/openapi.json`), as the original design offered on
 * port 8000.
 */
export function serveApiDocs(): Middleware {
  const root = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  return async (ctx, next) => {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return next();
    if (ctx.path === '/docs' || ctx.path === '/docs/') {
      ctx.type = 'html';
      ctx.set('Cache-Control', 'no-cache');
      ctx.body = PAGE;
      return;
    }
    if (ctx.path === '/docs/init.js') {
      ctx.type = 'application/javascript';
      ctx.body = INIT;
      return;
    }
    const file = ctx.path.startsWith('/docs/') ? ctx.path.slice('/docs/'.length) : '';
    if (!ASSETS.has(file)) return next();
    ctx.set('Cache-Control', 'public, max-age=86400');
    await send(ctx, file, { root });
  };
}
