import type { ServerKind, TargetId } from './targets.js';

/** The frameworks the kit mounts in; Koa is the reference server's, the baseline of the adapter comparison. */
export type KitAdapter = 'koa' | 'node' | 'express' | 'fastify' | 'hono';

/** One way of mounting the kit, as its README shows it. */
export interface KitAdapterInfo {
  id: KitAdapter;
  /** The bench server kind that runs the kit mounted this way. */
  server: ServerKind;
  /** For tables, with the major version measured. */
  label: string;
  /** For prose. */
  name: string;
  /** How the kit is mounted, for the report. */
  mount: string;
}

/** The adapters in report order, the baseline (Koa) first. */
export const KIT_ADAPTERS: readonly KitAdapterInfo[] = [
  { id: 'koa', server: 'kit', label: 'Koa 3', name: 'Koa', mount: '`app.use(kit.middleware())`' },
  {
    id: 'node',
    server: 'kit-node',
    label: 'node:http',
    name: 'node:http',
    mount: '`http.createServer(kit.handler())`',
  },
  { id: 'express', server: 'kit-express', label: 'Express 5', name: 'Express', mount: '`app.use(kit.handler())`' },
  {
    id: 'fastify',
    server: 'kit-fastify',
    label: 'Fastify 5',
    name: 'Fastify',
    mount: '`fastify.register(chatKitPlugin, { kit })` (an `onRequest` hook, then `reply.hijack()`)',
  },
  {
    id: 'hono',
    server: 'kit-hono',
    label: 'Hono 4 on @hono/node-server',
    name: 'Hono',
    mount:
      "`app.all('/*', (c) => kit.fetch(c.req.raw, { clientAddress }))`: the fetch handler, SSE as a `ReadableStream`",
  },
];

/** The adapter every other one is compared with. */
export const BASELINE_ADAPTER: KitAdapter = 'koa';

/**
 * The modes the adapter comparison measures: the HTTP ones, where the adapters differ. WebSocket is left out: every
 * adapter serves it through the same `kit.attachWebSocket(server)` on Node's `http.Server`, not through the framework.
 */
export const ADAPTER_TARGETS: readonly TargetId[] = ['kit-sync', 'kit-polling', 'kit-sse'];

/** The adapter with id `id`. */
export function adapterById(id: KitAdapter): KitAdapterInfo {
  const adapter = KIT_ADAPTERS.find((candidate) => candidate.id === id);
  if (!adapter) throw new RangeError(`unknown adapter ${id}`);
  return adapter;
}
