import type { HealthResponse, ModelsResponse } from '@chatwire/protocol';
import type Router from '@koa/router';
import type { KitContext } from '../kit-context.js';

/** `GET /api/models` and `GET /healthz`. */
export function registerMetaRoutes(router: Router, context: KitContext): void {
  const { engine } = context;
  router.get('/api/models', async (ctx) => {
    const models = await engine.models();
    const body: ModelsResponse = { default: models.default, data: models.data };
    ctx.set('Cache-Control', 'public, max-age=60');
    ctx.body = body;
  });
  router.get('/healthz', (ctx) => {
    const body: HealthResponse = { status: 'ok', provider: engine.provider.name };
    ctx.set('Cache-Control', 'no-store');
    ctx.body = body;
  });
}
