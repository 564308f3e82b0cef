import type { Mode } from '@chatwire/protocol';

/**
 * The server programs `server-entry.ts` can run. `kit` is the reference server's (the kit on Koa); `kit-<framework>`
 * mounts the same kit, with the same options, through another adapter.
 */
export type ServerKind =
  'kit' | 'kit-node' | 'kit-express' | 'kit-fastify' | 'kit-hono' | 'bare-sse' | 'bare-ws' | 'ai-sdk' | 'socket.io';

/** The client loops `load-entry.ts` can drive. */
export type ClientKind = 'direct' | 'sync' | 'polling' | 'sse' | 'ws' | 'ui-message-stream' | 'socket.io';

/** Everything measured: the kit's four modes and the baselines they are compared with. */
export type TargetId =
  'direct' | 'kit-sync' | 'kit-polling' | 'kit-sse' | 'kit-ws' | 'bare-sse' | 'bare-ws' | 'ai-sdk' | 'socket.io';

/** One thing to measure. */
export interface Target {
  id: TargetId;
  label: string;
  /** The server it runs against; none for the in-process provider. */
  server?: ServerKind;
  client: ClientKind;
  /** The chatwire mode, for the kit's targets. */
  mode?: Mode;
  /** What it is there for. */
  role: 'kit' | 'limit' | 'floor' | 'peer';
  /** The bare transport with the same wire, to compute the kit's overhead. */
  floor?: TargetId;
  /** Whether it streams (and so has inter-token gaps and a concurrency ramp). */
  streams: boolean;
}

/** The targets in report order. */
export const TARGETS: readonly Target[] = [
  { id: 'direct', label: 'in-process provider (limit)', client: 'direct', role: 'limit', streams: true },
  { id: 'kit-sync', label: 'chatwire sync', server: 'kit', client: 'sync', mode: 'sync', role: 'kit', streams: false },
  {
    id: 'kit-polling',
    label: 'chatwire polling',
    server: 'kit',
    client: 'polling',
    mode: 'polling',
    role: 'kit',
    streams: true,
  },
  {
    id: 'kit-sse',
    label: 'chatwire SSE',
    server: 'kit',
    client: 'sse',
    mode: 'sse',
    role: 'kit',
    floor: 'bare-sse',
    streams: true,
  },
  {
    id: 'kit-ws',
    label: 'chatwire WS',
    server: 'kit',
    client: 'ws',
    mode: 'ws',
    role: 'kit',
    floor: 'bare-ws',
    streams: true,
  },
  { id: 'bare-sse', label: 'bare http SSE (floor)', server: 'bare-sse', client: 'sse', role: 'floor', streams: true },
  { id: 'bare-ws', label: 'bare ws (floor)', server: 'bare-ws', client: 'ws', role: 'floor', streams: true },
  {
    id: 'ai-sdk',
    label: 'Vercel AI SDK UI stream',
    server: 'ai-sdk',
    client: 'ui-message-stream',
    role: 'peer',
    streams: true,
  },
  { id: 'socket.io', label: 'Socket.IO', server: 'socket.io', client: 'socket.io', role: 'peer', streams: true },
];

/** The target with id `id`. */
export function targetById(id: TargetId): Target {
  const target = TARGETS.find((candidate) => candidate.id === id);
  if (!target) throw new RangeError(`unknown target ${id}`);
  return target;
}
