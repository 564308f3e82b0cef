import { z } from 'zod';
import { ERROR_STATUS } from './errors.js';
import { chatRequestSchema } from './request.js';
import type { RequestLimits } from './request-types.js';
import * as schemas from './schemas.js';

/** Options of {@link createOpenApiDocument}. */
export interface OpenApiOptions {
  /** The server's request caps, so the document states the limits it enforces. */
  limits?: RequestLimits;
  /** Document version (default `1.0.0`). */
  version?: string;
  /** Whether API keys are required (adds the bearer security scheme). */
  authenticated?: boolean;
}

/** A JSON object (the OpenAPI document and its parts). */
export type Json = Record<string, unknown>;
const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
const json = (schema: Json) => ({ 'application/json': { schema } });
const errors = (...codes: Array<keyof typeof ERROR_STATUS>) =>
  Object.fromEntries(
    [...new Set(codes.map((code) => ERROR_STATUS[code]))].map((status) => [
      String(status),
      {
        description: codes.filter((code) => ERROR_STATUS[code] === status).join(', '),
        content: json(ref('ErrorBody')),
      },
    ]),
  );
const runId = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const after = {
  name: 'after',
  in: 'query',
  schema: { type: 'integer', minimum: -1 },
  description: 'Also return the events with seq > after (-1: all).',
};
const wait = {
  name: 'wait',
  in: 'query',
  schema: { type: 'number', minimum: 0, maximum: 30 },
  description: 'Long polling: hold the request up to this many seconds until something new exists.',
};
const idempotency = {
  name: 'Idempotency-Key',
  in: 'header',
  schema: { type: 'string', maxLength: 200 },
  description: 'A retried create with the same key attaches to the first run.',
};
const creationErrors = errors(
  'invalid_json',
  'invalid_request',
  'invalid_model',
  'payload_too_large',
  'unauthorized',
  'idempotency_conflict',
  'rate_limited',
  'overloaded',
);

/**
 * The OpenAPI 3.1 document of the HTTP endpoints, generated from the same zod schemas that validate requests and
 * type responses. SSE and WS event formats are the `RunEvent` schema; the WS frames are described in docs/PROTOCOL.md.
 */
export function createOpenApiDocument(options: OpenApiOptions = {}): Json {
  const uri = (id: string) => `#/components/schemas/${id}`;
  // Every protocol schema that carries an id becomes a component; nested ones are referenced by `$ref`.
  const registry = z.registry<{ id: string }>();
  for (const schema of Object.values(schemas)) {
    const id = z.globalRegistry.get(schema)?.id;
    if (id) registry.add(schema, { id });
  }
  const { schemas: generated } = z.toJSONSchema(registry, { uri }) as { schemas: Record<string, Json> };
  const request = z.toJSONSchema(chatRequestSchema(options.limits), { io: 'input' }) as Json;
  const components: Record<string, Json> = {
    ChatRequest: { ...request, description: 'Exactly one of `message` and `messages`.' },
  };
  for (const [id, schema] of Object.entries(generated)) components[id] = schema;
  for (const schema of Object.values(components)) {
    delete schema.$schema;
    delete schema.$id;
  }
  const body = { required: true, content: json(ref('ChatRequest')) };
  const security = options.authenticated ? [{ bearer: [] }] : [];
  return {
    openapi: '3.1.0',
    info: {
      title: 'chatwire',
      version: options.version ?? '1.0.0',
      description:
        'LLM chat over sync REST, async REST + polling, SSE and WebSocket (`GET /ws/chat`, see docs/PROTOCOL.md).',
    },
    security,
    paths: {
      '/api/sync/chat': {
        post: {
          summary: 'Sync: the whole answer in one response',
          parameters: [idempotency],
          requestBody: body,
          responses: {
            200: { description: 'The answer', content: json(ref('SyncChatResponse')) },
            ...creationErrors,
            ...errors('upstream_rate_limited', 'upstream_unavailable', 'upstream_timeout', 'upstream_error'),
          },
        },
      },
      '/api/async/chat': {
        post: {
          summary: 'Polling: start a background run',
          parameters: [idempotency],
          requestBody: body,
          responses: {
            202: { description: 'Accepted; `Location` points at the status', content: json(ref('AsyncChatAccepted')) },
            ...creationErrors,
          },
        },
      },
      '/api/async/status/{id}': {
        get: {
          summary: 'Polling: where a run stands, with new events',
          parameters: [runId, after, wait],
          responses: {
            200: { description: 'The snapshot', content: json(ref('RunSnapshot')) },
            ...errors('invalid_request', 'not_found', 'unauthorized'),
          },
        },
      },
      '/api/sse/chat': {
        post: {
          summary: 'SSE: stream a new run',
          parameters: [idempotency],
          requestBody: body,
          responses: {
            200: {
              description: 'text/event-stream: `id: <seq>`, `event: <type>`, `data: <RunEvent JSON>`',
              content: { 'text/event-stream': { schema: ref('RunEvent') } },
            },
            ...creationErrors,
          },
        },
      },
      '/api/sse/chat/{id}': {
        get: {
          summary: 'SSE: replay and follow a run from Last-Event-ID',
          parameters: [runId, after, { name: 'Last-Event-ID', in: 'header', schema: { type: 'string' } }],
          responses: {
            200: { description: 'text/event-stream', content: { 'text/event-stream': { schema: ref('RunEvent') } } },
            ...errors('invalid_request', 'not_found', 'unauthorized'),
          },
        },
      },
      '/api/runs/{id}': {
        get: {
          summary: 'Any mode: the run snapshot',
          parameters: [runId, after, wait],
          responses: {
            200: { description: 'The snapshot', content: json(ref('RunSnapshot')) },
            ...errors('invalid_request', 'not_found', 'unauthorized'),
          },
        },
      },
      '/api/runs/{id}/cancel': {
        post: {
          summary: 'Any mode: cancel a run and abort the upstream call',
          parameters: [runId],
          responses: {
            200: { description: 'Cancelled, or already ended', content: json(ref('CancelResponse')) },
            ...errors('not_found', 'unauthorized'),
          },
        },
      },
      '/api/ws/ticket': {
        post: {
          summary: 'A 60-second ticket for `/ws/chat?ticket=` (browsers cannot send headers)',
          responses: {
            200: { description: 'The ticket', content: json(ref('TicketResponse')) },
            ...errors('unauthorized'),
          },
        },
      },
      '/api/models': {
        get: {
          summary: 'Models offered',
          responses: {
            200: { description: 'Models', content: json(ref('ModelsResponse')) },
            ...errors('unauthorized'),
          },
        },
      },
      '/healthz': {
        get: {
          summary: 'Liveness (no key needed)',
          security: [],
          responses: { 200: { description: 'Up', content: json(ref('HealthResponse')) } },
        },
      },
    },
    components: { schemas: components, securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
  };
}
