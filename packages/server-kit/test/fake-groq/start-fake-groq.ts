import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  DECOMMISSIONED_MODELS,
  DEFAULT_MODELS,
  DEFAULT_TOKENS,
  FAKE_GROQ_API_KEY,
  INVALID_API_KEY_BODY,
  decommissionedBody,
  errorBody,
  modelNotFoundBody,
  type FakeGroqModel,
} from './fixtures.js';
import { writeJson as json, writeReply, type FakeGroqReply } from './replies.js';

/** Options of {@link startFakeGroq}. */
export interface FakeGroqOptions {
  /** The only key accepted as `Authorization: Bearer <key>` (default {@link FAKE_GROQ_API_KEY}). */
  apiKey?: string;
  /** Tokens of the default answer (default "Bon", "jour", "!"). */
  tokens?: readonly string[];
  /** Pause before each content chunk, in ms (default 0). */
  delayMs?: number;
  /** What `GET /openai/v1/models` lists; chat requests for other ids get 404 `model_not_found`. */
  models?: readonly FakeGroqModel[];
}

/** How a chat response ended: still open, written fully, closed by the client, or cut by the fake. */
export type FakeGroqOutcome = 'pending' | 'completed' | 'aborted' | 'cut';

/** One `POST /openai/v1/chat/completions` the fake received (any key, any outcome). */
export interface FakeGroqRequest {
  headers: IncomingHttpHeaders;
  /** The decoded JSON body (`undefined` when it was not JSON). */
  body: Record<string, unknown> | undefined;
  receivedAt: number;
  /** The HTTP status sent (0 until the headers are). */
  readonly status: number;
  outcome: FakeGroqOutcome;
  /** When the connection closed, for `aborted` and `cut`. */
  closedAt: number | undefined;
  /** Settles with the final outcome once the response is over. */
  closed: Promise<FakeGroqOutcome>;
}

/** A running fake Groq API on 127.0.0.1. */
export interface FakeGroq {
  /** Origin to pass as the SDK's `baseURL` (the SDK appends `/openai/v1/...`). */
  url: string;
  /** Chat requests in arrival order. */
  requests: FakeGroqRequest[];
  /** How many `GET /openai/v1/models` were answered. */
  readonly modelListCalls: number;
  /** How many chat responses the client closed before the fake finished writing. */
  readonly aborted: number;
  /** Queues replies for the next chat requests, in order; the default answer follows once they run out. */
  script(...replies: FakeGroqReply[]): void;
  /** Stops the server, closing any stalled responses. */
  close(): Promise<void>;
}

/**
 * Starts a fake Groq server on an ephemeral loopback port, speaking Groq's wire format.
 *
 * @example
 * const fake = await startFakeGroq();
 * const client = new Groq({ apiKey: FAKE_GROQ_API_KEY, baseURL: fake.url });
 * fake.script({ kind: 'rate-limit', retryAfter: '2' });
 * await fake.close();
 */
export async function startFakeGroq(options: FakeGroqOptions = {}): Promise<FakeGroq> {
  const apiKey = options.apiKey ?? FAKE_GROQ_API_KEY;
  const models = options.models ?? DEFAULT_MODELS;
  const queue: FakeGroqReply[] = [];
  const requests: FakeGroqRequest[] = [];
  let modelListCalls = 0;
  let sequence = 0;

  const server = createServer((incoming, response) => {
    void handle(incoming, response).catch(() => response.destroy());
  });

  async function handle(incoming: IncomingMessage, response: ServerResponse): Promise<void> {
    const text = await readBody(incoming);
    const authorized = incoming.headers.authorization === `Bearer ${apiKey}`;
    const path = (incoming.url ?? '/').split('?')[0];
    if (incoming.method === 'GET' && path === '/openai/v1/models') {
      if (!authorized) return json(response, 401, INVALID_API_KEY_BODY);
      modelListCalls += 1;
      return json(response, 200, { object: 'list', data: models });
    }
    if (incoming.method !== 'POST' || path !== '/openai/v1/chat/completions') {
      return json(response, 404, errorBody('Unknown request URL', 'invalid_request_error', 'unknown_url'));
    }
    const body = parseObject(text);
    const record = track(incoming.headers, body, response);
    if (!authorized) return json(response, 401, INVALID_API_KEY_BODY);
    if (body === undefined) return json(response, 400, errorBody('invalid JSON body', 'invalid_request_error', null));
    const modelId = typeof body.model === 'string' ? body.model : '';
    const messages = Array.isArray(body.messages) ? (body.messages as Array<{ content?: unknown }>) : [];
    sequence += 1;
    const context = {
      response,
      ids: {
        completionId: `chatcmpl-fake-${sequence}`,
        requestId: `req_fake_${sequence.toString().padStart(22, '0')}`,
        modelId,
      },
      streamed: body.stream === true,
      promptTokens: messages.reduce((sum, message) => sum + 4 + Math.ceil(String(message.content ?? '').length / 4), 0),
      defaultTokens: options.tokens ?? DEFAULT_TOKENS,
      defaultDelayMs: options.delayMs ?? 0,
      onCut: () => settle(record, 'cut'),
    };
    const scripted = queue.shift();
    if (scripted) return writeReply(scripted, context);
    if (DECOMMISSIONED_MODELS.includes(modelId)) return json(response, 404, decommissionedBody(modelId));
    if (!models.some((entry) => entry.id === modelId)) return json(response, 404, modelNotFoundBody(modelId));
    return writeReply({ kind: 'stream' }, context);
  }

  const settlers = new Map<FakeGroqRequest, (outcome: FakeGroqOutcome) => void>();
  function track(headers: IncomingHttpHeaders, body: Record<string, unknown> | undefined, response: ServerResponse) {
    let resolve: (outcome: FakeGroqOutcome) => void = () => {};
    const closed = new Promise<FakeGroqOutcome>((settle) => (resolve = settle));
    const record: FakeGroqRequest = {
      headers,
      body,
      receivedAt: Date.now(),
      get status() {
        return response.headersSent ? response.statusCode : 0;
      },
      outcome: 'pending',
      closedAt: undefined,
      closed,
    };
    settlers.set(record, resolve);
    requests.push(record);
    response.on('close', () => {
      settle(record, response.writableFinished ? 'completed' : 'aborted');
    });
    return record;
  }

  function settle(record: FakeGroqRequest, outcome: FakeGroqOutcome): void {
    if (record.outcome !== 'pending') return;
    record.outcome = outcome;
    if (outcome !== 'completed') record.closedAt = Date.now();
    settlers.get(record)?.(outcome);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get modelListCalls() {
      return modelListCalls;
    },
    get aborted() {
      return requests.filter((record) => record.outcome === 'aborted').length;
    },
    script(...replies) {
      queue.push(...replies);
    },
    async close() {
      for (const record of requests) settle(record, record.outcome === 'pending' ? 'cut' : record.outcome);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function readBody(incoming: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of incoming) parts.push(part as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
