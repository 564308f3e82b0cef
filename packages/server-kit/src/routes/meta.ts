import type { HealthResponse, ModelsResponse } from '@chatwire/protocol';
import { createOpenApiDocument } from '@chatwire/protocol/validation';
import type Router from '@koa/router';
import type { KitContext } from '../kit-context.js';

/** `GET /api/models`. */
export function registerModelsRoute(router: Router, context: KitContext): void {
  router.get('/api/models', async (ctx) => {
    const models = await context.engine.models();
    const body: ModelsResponse = { default: models.default, data: models.data };
    ctx.set('Cache-Control', 'private, max-age=60');
    // The answer depends on the key: a browser must not serve it from cache once the key is gone or another is used.
    if (context.authenticate) ctx.vary('Authorization');
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

/** The `/readyz` body: whether this instance can serve, and the health of what it depends on. */
export interface ReadyResponse {
  /** `ok`; `degraded` when only the provider fails (runs would fail upstream, reads work); `unavailable` (503). */
  status: 'ok' | 'degraded' | 'unavailable';
  provider: { name: string; status: 'ok' | 'error' };
  store: { status: 'ok' | 'error' };
}

/**
 * `GET /readyz` (readiness; needs no key): 200 while the run store answers, 503 with `Retry-After` when it does not
 * (a load balancer should send this instance nothing then: every run lives in the store). The provider is checked
 * through its cached model list and reported, but a failing provider alone does not take every instance out of service.
 */
export function registerReadyRoute(router: Router, context: KitContext): void {
  router.get('/readyz', async (ctx) => {
    const { engine } = context;
    const [store, provider] = await Promise.all([
      healthy(async () => engine.store.ping?.()),
      healthy(async () => void (await engine.models())),
    ]);
    const body: ReadyResponse = {
      status: store ? (provider ? 'ok' : 'degraded') : 'unavailable',
      provider: { name: engine.provider.name, status: provider ? 'ok' : 'error' },
      store: { status: store ? 'ok' : 'error' },
    };
    ctx.set('Cache-Control', 'no-store');
    if (!store) {
      ctx.status = 503;
      ctx.set('Retry-After', '1');
    }
    ctx.body = body;
  });
}

/** True when `check` resolves within 2 s. */
async function healthy(check: () => Promise<void>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), 2000)));
  try {
    return await Promise.race([
      check().then(
        () => true,
        () => false,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
