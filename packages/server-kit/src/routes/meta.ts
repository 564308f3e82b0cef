import type { HealthResponse, ModelsResponse } from '@chatwire/protocol';
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

/** `GET /healthz` (liveness; needs no key). */
export function registerHealthRoute(router: Router, context: KitContext): void {
  router.get('/healthz', (ctx) => {
    const body: HealthResponse = { status: 'ok', provider: context.engine.provider.name };
    ctx.set('Cache-Control', 'no-store');
    ctx.body = body;
  });
}
