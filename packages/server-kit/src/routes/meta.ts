import type { HealthResponse, ModelsResponse } from '@chatwire/protocol';
import { createOpenApiDocument } from '@chatwire/protocol/validation';
import { jsonResponse, type KitResponse } from '../http/kit-request.js';
import type { Route } from '../http/route.js';
import type { KitContext } from '../kit-context.js';

/** `GET /api/models`. */
export function modelsRoutes(context: KitContext): Route[] {
  return [
    {
      method: 'GET',
      path: '/api/models',
      async handle() {
        const models = await context.engine.models();
        const body: ModelsResponse = { default: models.default, data: models.data };
        const headers: Record<string, string> = { 'Cache-Control': 'private, max-age=60' };
        // The answer depends on the key: a browser must not serve it from cache once the key is gone or changed.
        if (context.authenticate) headers.Vary = 'Authorization';
        return jsonResponse(body, 200, headers);
      },
    },
  ];
}

/**
 * The routes that need no key: `GET /healthz` (liveness), `GET /readyz` (readiness) and `GET /openapi.json` (the
 * OpenAPI 3.1 document, generated from the protocol's schemas).
 */
export function openRoutes(context: KitContext): Route[] {
  const document = createOpenApiDocument({ limits: context.limits, authenticated: context.authenticate !== undefined });
  return [
    {
      method: 'GET',
      path: '/healthz',
      open: true,
      handle() {
        const body: HealthResponse = { status: 'ok', provider: context.engine.provider.name };
        return jsonResponse(body, 200, { 'Cache-Control': 'no-store' });
      },
    },
    { method: 'GET', path: '/readyz', open: true, handle: () => ready(context) },
    {
      method: 'GET',
      path: '/openapi.json',
      open: true,
      handle: () => jsonResponse(document, 200, { 'Cache-Control': 'public, max-age=300' }),
    },
  ];
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
async function ready(context: KitContext): Promise<KitResponse> {
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
  if (store) return jsonResponse(body, 200, { 'Cache-Control': 'no-store' });
  return jsonResponse(body, 503, { 'Cache-Control': 'no-store', 'Retry-After': '1' });
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
