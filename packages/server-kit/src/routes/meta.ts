import { createOpenApiDocument, type HealthResponse, type ModelsResponse } from '@chatwire/protocol';
import type Router from '@koa/router';
import type { KitContext } from '../kit-context.js';

/** `GET /api/models`. */
export function registerModelsRoute(router: Router, context: KitContext): void {
  router.get('/api/models', async (ctx) => {
    const models = await context.engine.models();
    const body: ModelsResponse = { default: models.default, data: models.data };
    ctx.set('Cache-Control', 'private, max-age=60');
    ctx.body = body;
  });
}

/** `GET /openapi.json`: the OpenAPI 3.1 document, generated from the protocol's schemas (needs no key). */
export function registerOpenApiRoute(router: Router, context: KitContext): void {
  const document = createOpenApiDocument({ limits: context.limits, authenticated: context.authenticate !== undefined });
  router.get('/openapi.json', (ctx) => {
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.body = document;
  });
}

/** `GET /healthz` (liveness; needs no key). */
export function registerHealthRoute(router: Router, context: KitContext): void {
  router.get('/healthz', (ctx) => {
    const body: HealthResponse = { status: 'ok', provider: context.engine.provider.name };
    ctx.set('Cache-Control', 'no-store');
    ctx.body = body;
  });
}
