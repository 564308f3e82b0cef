/**
 * Property-based fuzzing of every endpoint: thousands of malformed bodies, frames, headers, ids and query strings.
 *
 * Invariants, for a kit with an API key and for an open one:
 * - never a 5xx, never a crash (uncaught exception / unhandled rejection), never an internal error logged;
 * - never a hung request or a frozen server: every request is answered (or, for requests HTTP itself forbids, the
 *   connection closed) within a few seconds, and the server's event loop keeps turning;
 * - every 4xx is the protocol's `{"error":{"code","message","retryable"}}` with a known code and that code's status,
 *   and the code is the one the protocol package's own validation predicts. Tolerated, and tallied at the end: the
 *   router's plain-text 404/405 for unknown paths and methods, the WS handshake's body-less 401/404 and `ws`'s own
 *   text/html 400/405, and Node's own body-less 400/417/431 for requests HTTP itself forbids;
 * - a request that merely offers an Upgrade (h2c, ...) on an HTTP route is served as it is without one;
 * - WS: each malformed frame gets an error frame (no `seq`) and the socket stays open; frames over the cap close it
 *   with 1009;
 * - afterwards `/healthz` answers 200, a normal chat works, and no stream or run is left behind.
 *
 * The kit runs in a child process (helpers/fuzz-server.ts): a server whose event loop freezes would otherwise freeze
 * the test runner with it (a frozen or crashed process fails the running property and is replaced by a fresh one).
 * Failures print fast-check's seed and path; replay one with
 *   FUZZ_SEED=<seed> FUZZ_PATH=<path> npx vitest run packages/server-kit/test/fuzz.test.ts -t 'with an API key.*any method'
 * FUZZ_SCALE=<factor> multiplies the number of runs (e.g. 10 for a longer soak).
 */
import { ERROR_STATUS, parseAfterSeq, type ErrorCode, type RunEvent, type ServerFrame } from '@chatwire/protocol';
import { parseChatRequest, parseJson } from '@chatwire/protocol/validation';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authSpec,
  bodyBytes,
  bodySpec,
  contentType,
  hasControlCharacter,
  headerValue,
  idempotencyKey,
  percentEncode,
  safeDecode,
  specialString,
  type AuthSpec,
  type BodySpec,
} from './helpers/fuzz-arbitraries.js';
import { startFuzzServer, type FuzzChild, type FuzzServer } from './helpers/fuzz-harness.js';
import {
  CORE_METHODS,
  idSegment,
  idSpec,
  pathVariant,
  queryPart,
  queryValue,
  rawHeader,
  rawTarget,
  tokenChar,
} from './helpers/fuzz-targets.js';
import {
  classifyResponse,
  encodeRequest,
  expectErrorBody,
  sendRaw,
  type RawOutcome,
  type RawRequest,
  type RawResponse,
} from './helpers/fuzz-http.js';
import {
  expectFrames,
  frameData,
  frameSpec,
  includesAll,
  openFrameLog,
  protocolHeader,
  receivedErrors,
} from './helpers/fuzz-ws.js';

const KEY = 'fuzz-key-0123456789abcdef';
const BODY_CAP = 64 * 1024;
const WS_CAP = 16 * 1024;
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
const TEST_TIMEOUT = 180_000;

/** fast-check parameters: `runs` scaled, and FUZZ_SEED / FUZZ_PATH to replay a failure. */
function params<T>(runs: number): fc.Parameters<T> {
  const seed = process.env.FUZZ_SEED;
  return {
    numRuns: Math.max(1, Math.round(runs * SCALE)),
    ...(seed === undefined
      ? {}
      : { seed: Number(seed), ...(process.env.FUZZ_PATH ? { path: process.env.FUZZ_PATH } : {}) }),
  };
}

/**
 * Each property's time budget. Passing properties take a few seconds; the budget bounds the shrinking of a failure
 * that freezes the server (every shrink step then costs a frozen process). A failure is reported with its
 * counterexample shrunk so far; a passing property cut short by the budget only warns.
 */
const BUDGET_MS = 10_000 * SCALE;

/** `fc.assert` within {@link BUDGET_MS}. */
async function fuzz<T>(property: fc.IAsyncProperty<T>, runs: number): Promise<void> {
  const details = await fc.check(property, { ...params<T>(runs), interruptAfterTimeLimit: BUDGET_MS });
  if (details.failed) throw new Error(fc.defaultReportMessage(details), { cause: details.errorInstance });
  if (details.interrupted) console.warn(`fuzz: only ${details.numRuns} runs fitted in the ${BUDGET_MS} ms budget`);
}

// ---------------------------------------------------------------------------------------------------------------------
// What the test process itself sees, and what was tolerated (reported at the end).

const localProblems: string[] = [];
const onLocalProblem = (error: unknown) =>
  localProblems.push(error instanceof Error ? (error.stack ?? error.message) : String(error));
const tally = new Map<string, { count: number; samples: Set<string> }>();
function note(what: string, sample: string): void {
  const entry = tally.get(what) ?? { count: 0, samples: new Set() };
  entry.count++;
  if (entry.samples.size < 6) entry.samples.add(sample.slice(0, 160));
  tally.set(what, entry);
}

/** What the runs exercised (printed at the end, to see that the generators reach every branch). */
const coverage = new Map<string, number>();
const count = (what: string) => coverage.set(what, (coverage.get(what) ?? 0) + 1);

beforeAll(() => {
  process.on('uncaughtException', onLocalProblem);
  process.on('unhandledRejection', onLocalProblem);
});
afterAll(() => {
  process.off('uncaughtException', onLocalProblem);
  process.off('unhandledRejection', onLocalProblem);
  const lines = [...tally].map(
    ([what, { count, samples }]) =>
      `  ${what}: ${count}\n${[...samples].map((sample) => `      e.g. ${sample}`).join('\n')}`,
  );
  console.info(`fuzz tally (tolerated answers):\n${lines.join('\n') || '  none'}`);
  const covered = [...coverage].sort(([a], [b]) => a.localeCompare(b)).map(([what, times]) => `  ${what}: ${times}`);
  console.info(`fuzz coverage (both kits):\n${covered.join('\n')}`);
});

// ---------------------------------------------------------------------------------------------------------------------
// Helpers shared by both kits.

interface Fixtures {
  models: string[];
  /** Completed runs owned by the fuzzing principal (KEY on the keyed kit, anonymous on the open one). */
  runs: Array<{ id: string; lastSeq: number }>;
}

const keyHeaders = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };

/** Models and two finished runs on this server process (made once per process). */
function fixtures(child: FuzzChild): Promise<Fixtures> {
  let made = child.memo.get('fixtures') as Promise<Fixtures> | undefined;
  if (!made) {
    made = (async () => {
      const models = (await (await fetch(`${child.url}/api/models`, { headers: keyHeaders })).json()) as {
        data: Array<{ id: string }>;
      };
      const runs: Fixtures['runs'] = [];
      for (const message of ['hi', 'Tell me about DNS.']) {
        const chat = (await (
          await fetch(`${child.url}/api/sync/chat`, {
            method: 'POST',
            headers: keyHeaders,
            body: JSON.stringify({ message }),
          })
        ).json()) as { id: string };
        const snapshot = (await (await fetch(`${child.url}/api/runs/${chat.id}`, { headers: keyHeaders })).json()) as {
          last_seq: number;
        };
        runs.push({ id: chat.id, lastSeq: snapshot.last_seq });
      }
      return { models: models.data.map((model) => model.id), runs };
    })();
    child.memo.set('fixtures', made);
  }
  return made;
}

/** Node's parser answers 431 by itself above 16 KiB of request head. */
function headSize(request: RawRequest, port: number): number {
  const bytes = encodeRequest(request, port);
  return bytes.indexOf('\r\n\r\n');
}
const HEAD_LIMIT = 16 * 1024;

function describeRequest(request: RawRequest): string {
  return `${request.method} ${request.target.slice(0, 120)}${request.target.length > 120 ? `…(${request.target.length})` : ''}`;
}

/** The answer's response, or a failure for a connection closed without one. */
function answered(outcome: RawOutcome, request: RawRequest): RawResponse {
  if (outcome.type === 'closed')
    throw new Error(
      `${describeRequest(request)}: connection closed without an answer (${JSON.stringify(outcome.received.slice(0, 200))})`,
    );
  return outcome.response;
}

/** The error code of a protocol error response. */
function codeOf(response: RawResponse): ErrorCode {
  return expectErrorBody(response.status, response.body.toString('utf8')).code;
}

/** Parses an SSE body into its events, checking the framing (`id:` = seq, `event:` = type). */
function sseEvents(body: Buffer): RunEvent[] {
  const events: RunEvent[] = [];
  for (const block of body.toString('utf8').split('\n\n')) {
    const lines = block.split('\n').filter((line) => line !== '' && !line.startsWith(':'));
    if (lines.length === 0) continue;
    const field = (name: string) => lines.find((line) => line.startsWith(`${name}: `))?.slice(name.length + 2);
    const event = JSON.parse(field('data') ?? 'null') as RunEvent;
    if (field('id') !== String(event.seq) || field('event') !== event.type)
      throw new Error(`SSE framing mismatch: ${block.slice(0, 200)}`);
    events.push(event);
  }
  return events;
}

/** A header value as Node hands it to the kit: the UTF-8 bytes sent, read as latin1, leading/trailing OWS trimmed. */
const asNodeSees = (value: unknown) =>
  Buffer.from(String(value), 'utf8')
    .toString('latin1')
    .replace(/^[ \t]+|[ \t]+$/g, '');
const headerPairs = (pairs: Array<[string, unknown]>): Array<[string, string]> =>
  pairs.filter(([, value]) => value !== undefined).map(([name, value]) => [name, String(value)]);

// ---------------------------------------------------------------------------------------------------------------------

const KITS = [
  { name: 'with an API key', keyed: true },
  { name: 'open (no API keys)', keyed: false },
];

describe.each(KITS)('fuzzing the kit $name', ({ keyed }) => {
  let server: FuzzServer;
  beforeAll(async () => {
    server = await startFuzzServer({
      ...(keyed ? { apiKeys: [KEY] } : {}),
      bodyLimitBytes: BODY_CAP,
      wsMaxPayloadBytes: WS_CAP,
    });
  }, 60_000);
  afterAll(() => server?.stop());

  // On the open kit every Authorization header is ignored, so every one is "valid".
  const auth: fc.Arbitrary<AuthSpec> = keyed ? authSpec(KEY) : authSpec(KEY).map((spec) => ({ ...spec, valid: true }));

  /** Sends a raw request under the harness's guard (hang, freeze and crash detection). */
  async function exchange(child: FuzzChild, request: RawRequest): Promise<RawOutcome> {
    return server.guard(child, describeRequest(request), (signal) => sendRaw(child.port, request, signal));
  }

  // -------------------------------------------------------------------------------------------------------------------
  // POST /api/sync/chat, /api/async/chat, /api/sse/chat

  const CHAT_PATHS = { sync: '/api/sync/chat', async: '/api/async/chat', sse: '/api/sse/chat' } as const;
  type ChatEndpoint = keyof typeof CHAT_PATHS;

  type ChatExpectation = { error: ErrorCode } | { success: true; conflictPossible: boolean };

  /** What the kit must answer, from the protocol package's validation of the exact bytes sent. */
  function expectChat(
    spec: { body: BodySpec; idempotencyKey: unknown; auth: AuthSpec },
    body: Buffer | undefined,
    models: string[],
  ): ChatExpectation {
    if (!spec.auth.valid) return { error: 'unauthorized' };
    const key = spec.idempotencyKey === undefined ? '' : asNodeSees(spec.idempotencyKey);
    if (key !== '' && !/^[\x21-\x7e]{1,200}$/.test(key)) return { error: 'invalid_request' };
    const bytes = body ?? Buffer.alloc(0);
    if (bytes.length > BODY_CAP) return { error: 'payload_too_large' };
    // raw-body decodes UTF-8 with iconv-lite: invalid sequences become U+FFFD and a leading BOM is dropped.
    const json = parseJson(new TextDecoder().decode(bytes));
    if (!json.ok) return { error: 'invalid_json' };
    const request = parseChatRequest(json.value);
    if (!request.ok) return { error: 'invalid_request' };
    if (!models.includes(request.value.model ?? 'sim/instant')) return { error: 'invalid_model' };
    return { success: true, conflictPossible: key !== '' };
  }

  function checkChatSuccess(endpoint: ChatEndpoint, response: RawResponse): void {
    const text = response.body.toString('utf8');
    switch (endpoint) {
      case 'sync': {
        expect(response.status, text).toBe(200);
        const body = JSON.parse(text) as Record<string, unknown>;
        expect(body).toMatchObject({
          id: expect.any(String),
          model: 'sim/instant',
          response: expect.any(String),
          finish_reason: expect.any(String),
        });
        return;
      }
      case 'async':
        expect(response.status, text).toBe(202);
        expect(JSON.parse(text)).toMatchObject({ task_id: expect.any(String), status: 'pending' });
        expect(response.headers.location).toMatch(/^\/api\/async\/status\/[\w-]+$/);
        return;
      case 'sse': {
        expect(response.status, text).toBe(200);
        expect(response.headers['content-type']).toMatch(/^text\/event-stream/);
        const events = sseEvents(response.body);
        expect(events[0]?.type).toBe('start');
        expect(events.at(-1)?.type).toBe('done');
        // Seqs only increase; tokens may be merged (skipping seqs) when the reader is backed up.
        expect(events[0]?.seq).toBe(0);
        events.slice(1).forEach((event, index) => expect(event.seq).toBeGreaterThan(events[index]!.seq));
        return;
      }
      default: {
        const unreachable: never = endpoint;
        return unreachable;
      }
    }
  }

  it(
    'chat endpoints: malformed, odd, oversize and valid bodies with odd headers get the predicted answer',
    async () => {
      const chatRequest = fc.record({
        endpoint: fc.constantFrom<ChatEndpoint>('sync', 'async', 'sse'),
        body: bodySpec(BODY_CAP),
        contentType,
        idempotencyKey,
        auth,
        chunkSize: fc.option(fc.integer({ min: 1, max: 5000 }), { nil: undefined, freq: 4 }),
      });
      await fuzz(
        fc.asyncProperty(chatRequest, async (spec) => {
          const child = await server.child();
          const { models } = await fixtures(child);
          const body = bodyBytes(spec.body);
          const request: RawRequest = {
            method: 'POST',
            target: CHAT_PATHS[spec.endpoint],
            headers: headerPairs([
              ['Authorization', spec.auth.header],
              ['Content-Type', spec.contentType],
              ['Idempotency-Key', spec.idempotencyKey],
            ]),
            ...(body ? { body } : {}),
            ...(spec.chunkSize && body ? { chunkSize: spec.chunkSize } : {}),
          };
          const response = answered(await exchange(child, request), request);
          const kind = classifyResponse(response, 'POST');
          if (kind === 'bare' && headSize(request, child.port) > HEAD_LIMIT - 512)
            return note('bare 431 (request head over 16 KiB)', describeRequest(request));
          expect(['success', 'protocol-error'], `${kind} answer`).toContain(kind);
          const expected = expectChat(spec, body, models);
          count(`chat ${spec.endpoint}: ${'error' in expected ? expected.error : 'accepted'}`);
          if ('error' in expected) {
            expect({ status: response.status, code: kind === 'protocol-error' ? codeOf(response) : undefined }).toEqual(
              {
                status: ERROR_STATUS[expected.error],
                code: expected.error,
              },
            );
          } else if (expected.conflictPossible && response.status === 422) {
            expect(codeOf(response)).toBe('idempotency_conflict');
          } else {
            checkChatSuccess(spec.endpoint, response);
          }
        }),
        450,
      );
    },
    TEST_TIMEOUT,
  );

  // -------------------------------------------------------------------------------------------------------------------
  // GET /api/async/status/:id, GET /api/runs/:id, GET /api/sse/chat/:id, POST /api/runs/:id/cancel

  type RunEndpoint = 'status' | 'runs' | 'sse' | 'cancel';
  // Control characters would make Node's parser refuse the request before the kit sees it (see the raw property).
  const lastEventId = fc.option(
    fc.oneof(
      queryValue.filter((value) => !hasControlCharacter(value)),
      headerValue,
    ),
    { nil: undefined, freq: 2 },
  );

  /** Which of `after` / `wait` is malformed, read the way Koa (URLSearchParams) and the kit read them. */
  function queryProblem(query: string, withWait: boolean): boolean {
    const params = new URLSearchParams(query);
    const after = params.getAll('after');
    if (after.length > 1 || (after.length === 1 && parseAfterSeq(after[0]) === undefined)) return true;
    if (!withWait) return false;
    const wait = params.getAll('wait');
    // Any 1-6 digit number of seconds is fine (the kit clamps it to its cap).
    return wait.length > 1 || (wait.length === 1 && !/^\d{1,6}(\.\d+)?$/.test(wait[0] ?? ''));
  }

  it(
    'run endpoints: arbitrary ids, after/wait query strings, Last-Event-ID and Authorization',
    async () => {
      const runRequest = fc.record({
        endpoint: fc.constantFrom<RunEndpoint>('status', 'runs', 'sse', 'cancel'),
        id: idSpec,
        query: fc.option(
          fc.array(queryPart, { maxLength: 4 }).map((parts) => parts.join('&')),
          { nil: undefined, freq: 4 },
        ),
        lastEventId,
        auth,
      });
      await fuzz(
        fc.asyncProperty(runRequest, async (spec) => {
          const child = await server.child();
          const { runs } = await fixtures(child);
          const segment = idSegment(spec.id, runs);
          const base = {
            status: `/api/async/status/${segment}`,
            runs: `/api/runs/${segment}`,
            sse: `/api/sse/chat/${segment}`,
            cancel: `/api/runs/${segment}/cancel`,
          }[spec.endpoint];
          const request: RawRequest = {
            method: spec.endpoint === 'cancel' ? 'POST' : 'GET',
            target: spec.query === undefined ? base : `${base}?${spec.query}`,
            headers: headerPairs([
              ['Authorization', spec.auth.header],
              ['Last-Event-ID', spec.lastEventId],
            ]),
          };
          const response = answered(await exchange(child, request), request);
          const kind = classifyResponse(response, request.method);
          if (kind === 'bare' && headSize(request, child.port) > HEAD_LIMIT - 512)
            return note('bare 431 (request head over 16 KiB)', describeRequest(request));
          expect(['success', 'protocol-error'], `${kind} answer`).toContain(kind);

          // The oracle: auth, then the parameters, then the id.
          const query = spec.query ?? '';
          const header = spec.lastEventId === undefined ? '' : asNodeSees(spec.lastEventId);
          const run = runs.find((candidate) => candidate.id === safeDecode(segment));
          let expected: ErrorCode | 'ok';
          if (!spec.auth.valid) expected = 'unauthorized';
          else if (spec.endpoint === 'sse' && header !== '')
            expected = parseAfterSeq(header) === undefined ? 'invalid_request' : run ? 'ok' : 'not_found';
          else if (spec.endpoint !== 'cancel' && queryProblem(query, spec.endpoint !== 'sse'))
            expected = 'invalid_request';
          else expected = run ? 'ok' : 'not_found';
          count(`run ${spec.endpoint}: ${expected}`);
          if (expected !== 'ok') {
            expect({ status: response.status, code: codeOf(response) }).toEqual({
              status: ERROR_STATUS[expected],
              code: expected,
            });
            return;
          }
          const found = run!;
          const text = response.body.toString('utf8');
          expect(response.status, text).toBe(200);
          const afterValue = new URLSearchParams(query).get('after');
          if (spec.endpoint === 'cancel') {
            expect(JSON.parse(text)).toEqual({ id: found.id, cancelled: false, status: 'completed' });
          } else if (spec.endpoint === 'sse') {
            const after = (header !== '' ? parseAfterSeq(header) : undefined) ?? parseAfterSeq(afterValue) ?? -1;
            const events = sseEvents(response.body);
            expect(events.map((event) => event.seq)).toEqual(
              Array.from({ length: Math.max(0, found.lastSeq - after) }, (_, index) => after + 1 + index),
            );
          } else {
            const snapshot = JSON.parse(text) as { id: string; status: string; last_seq: number; events?: RunEvent[] };
            expect(snapshot).toMatchObject({ id: found.id, status: 'completed', last_seq: found.lastSeq });
            const after = parseAfterSeq(afterValue);
            if (after === undefined) expect(snapshot.events).toBeUndefined();
            else
              expect(snapshot.events?.map((event) => event.seq)).toEqual(
                Array.from({ length: Math.max(0, found.lastSeq - after) }, (_, index) => after + 1 + index),
              );
          }
        }),
        450,
      );
    },
    TEST_TIMEOUT,
  );

  it(
    'SSE follow of finished runs from any Last-Event-ID or after: the events after it, then the stream ends',
    async () => {
      const follow = fc.record({
        index: fc.integer({ min: 0, max: 1 }),
        after: fc.oneof(fc.integer({ min: -3, max: 60 }), fc.constantFrom(2 ** 53 - 1, 1e9)),
        via: fc.constantFrom('Last-Event-ID', 'after'),
      });
      await fuzz(
        fc.asyncProperty(follow, async (spec) => {
          const child = await server.child();
          const { runs } = await fixtures(child);
          const run = runs[spec.index]!;
          const request: RawRequest = {
            method: 'GET',
            target: `/api/sse/chat/${run.id}${spec.via === 'after' ? `?after=${spec.after}` : ''}`,
            headers: headerPairs([
              ['Authorization', `Bearer ${KEY}`],
              ['Last-Event-ID', spec.via === 'Last-Event-ID' ? spec.after : undefined],
            ]),
          };
          const response = answered(await exchange(child, request), request);
          expect(classifyResponse(response)).not.toBe('bare');
          if (spec.after < -1) {
            expect({ status: response.status, code: codeOf(response) }).toEqual({
              status: 400,
              code: 'invalid_request',
            });
            return;
          }
          expect(response.status).toBe(200);
          const wanted = Array.from(
            { length: Math.max(0, run.lastSeq - spec.after) },
            (_, index) => spec.after + 1 + index,
          );
          expect(sseEvents(response.body).map((event) => event.seq)).toEqual(wanted);
        }),
        60,
      );
    },
    TEST_TIMEOUT,
  );

  // -------------------------------------------------------------------------------------------------------------------
  // Any method on any path

  it(
    'any method on any path: no 5xx, JSON errors except the router’s own 404/405',
    async () => {
      const anyRequest = fc.record({
        method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'TRACE'),
        path: pathVariant,
        body: fc.option(fc.constantFrom('{"message":"hi"}', '{', 'x', '[]'), { nil: undefined }),
        auth,
      });
      await fuzz(
        fc.asyncProperty(anyRequest, async (spec) => {
          const child = await server.child();
          const request: RawRequest = {
            method: spec.method,
            target: spec.path,
            headers: headerPairs([['Authorization', spec.auth.header]]),
            ...(spec.body === undefined ? {} : { body: Buffer.from(spec.body) }),
          };
          const response = answered(await exchange(child, request), request);
          const kind = classifyResponse(response, spec.method);
          if (kind === 'router')
            note(
              `router ${response.status} (plain text, not the protocol's JSON)`,
              `${spec.method} ${spec.path} -> ${response.status}`,
            );
          expect(['success', 'protocol-error', 'router'], `${kind} answer ${response.status}`).toContain(kind);
        }),
        300,
      );
    },
    TEST_TIMEOUT,
  );

  // -------------------------------------------------------------------------------------------------------------------
  // Raw request lines and headers HTTP clients would refuse to send

  it(
    'raw request lines and headers: no 5xx, no hang, no crash',
    async () => {
      const rawRequest = fc.record({
        method: fc.oneof(
          { weight: 6, arbitrary: fc.constantFrom(...CORE_METHODS) },
          { weight: 1, arbitrary: fc.constantFrom('get', 'FOO', 'TRACE', 'PROPFIND', 'CONNECT', 'PRI', '') },
          { weight: 1, arbitrary: fc.string({ unit: tokenChar, minLength: 1, maxLength: 8 }) },
        ),
        target: rawTarget,
        version: fc.oneof(
          { weight: 8, arbitrary: fc.constant('HTTP/1.1') },
          {
            weight: 1,
            arbitrary: fc.constantFrom('HTTP/1.0', 'HTTP/2.0', 'HTTP/1.2', 'HTTP/0.9', 'http/1.1', 'HTTP/1', 'FOO', ''),
          },
        ),
        host: fc.oneof({ weight: 6, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
        upgrade: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
        headers: fc.array(rawHeader, { maxLength: 5 }),
        body: fc.option(fc.constantFrom('{"message":"hi"}', '{', 'x'), { nil: undefined }),
      });
      await fuzz(
        fc.asyncProperty(rawRequest, async (spec) => {
          const child = await server.child();
          const body = Buffer.from(spec.body ?? '');
          // Content-Length always goes out, so a fuzzed one conflicts (refused) instead of leaving the server waiting.
          const headers: Array<[string, string]> = [
            ...(spec.host ? [['Host', `127.0.0.1:${child.port}`] as [string, string]] : []),
            ['Connection', spec.upgrade ? 'Upgrade' : 'close'],
            ...(spec.upgrade
              ? ([
                  ['Upgrade', 'websocket'],
                  ['Sec-WebSocket-Version', '13'],
                  ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='],
                ] as Array<[string, string]>)
              : []),
            ...spec.headers,
            ...(keyed ? [['Authorization', `Bearer ${KEY}`] as [string, string]] : []),
            ['Content-Length', String(body.length)],
          ];
          const request: RawRequest = {
            method: spec.method,
            target: spec.target,
            version: spec.version,
            headers,
            body,
            bare: true,
          };
          // Requests HTTP/1.1 allows, which the kit (not Node's parser) must answer.
          const wellFormed =
            CORE_METHODS.includes(spec.method) &&
            spec.version === 'HTTP/1.1' &&
            spec.host &&
            !spec.upgrade &&
            spec.target.startsWith('/') &&
            !/[^\x21-\x7e]/.test(spec.target) &&
            spec.headers.every(
              ([name, value]) =>
                /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name) &&
                !hasControlCharacter(value) &&
                ![
                  'host',
                  'content-length',
                  'transfer-encoding',
                  'expect',
                  'upgrade',
                  'connection',
                  'te',
                  'trailer',
                ].includes(name.toLowerCase()),
            ) &&
            headSize(request, child.port) < HEAD_LIMIT - 512;
          const outcome = await exchange(child, request);
          if (outcome.type === 'closed') {
            expect(wellFormed, `well-formed request closed without an answer: ${describeRequest(request)}`).toBe(false);
            return note('connection closed without an answer (malformed HTTP)', describeRequest(request));
          }
          const kind = classifyResponse(outcome.response, spec.method, spec.upgrade);
          if (kind === 'router')
            note(
              `router ${outcome.response.status} (plain text, not the protocol's JSON)`,
              `${spec.method} ${spec.target} -> ${outcome.response.status}`,
            );
          if (kind === 'bare' || kind === 'ws-library') {
            expect(wellFormed, `a well-formed request got a body-less ${outcome.response.status}`).toBe(false);
            note(
              `${kind} ${outcome.response.status} (Node's HTTP parser or the WS upgrade handler)`,
              `${spec.method} ${spec.target} ${spec.version}${spec.upgrade ? ' +upgrade' : ''}`,
            );
          }
        }),
        350,
      );
    },
    TEST_TIMEOUT,
  );

  it(
    'a request that merely offers an Upgrade (h2c, websocket, ...) on a non-WS path is served as it is without one',
    async () => {
      const offer = fc.record({
        path: fc.constantFrom(
          '/healthz',
          '/openapi.json',
          '/api/models',
          '/api/sync/chat',
          '/api/async/chat',
          '/api/sse/chat',
          '/api/runs/x',
          '/api/async/status/x',
        ),
        upgrade: fc.constantFrom('h2c', 'websocket', 'foo/1.0', 'TLS/1.2', 'HTTP/2.0'),
      });
      await fuzz(
        fc.asyncProperty(offer, async (spec) => {
          const child = await server.child();
          const post =
            spec.path === '/api/sync/chat' || spec.path === '/api/async/chat' || spec.path === '/api/sse/chat';
          const plain: RawRequest = {
            method: post ? 'POST' : 'GET',
            target: spec.path,
            headers: [['Authorization', `Bearer ${KEY}`]],
            ...(post ? { body: Buffer.from('{"message":"hi"}') } : {}),
          };
          const offering: RawRequest = {
            ...plain,
            bare: true,
            headers: [
              ['Host', `127.0.0.1:${child.port}`],
              ['Connection', 'Upgrade, HTTP2-Settings'],
              ['Upgrade', spec.upgrade],
              ['HTTP2-Settings', 'AAMAAABkAARAAAAAAAIAAAAA'],
              ['Authorization', `Bearer ${KEY}`],
              ['Content-Length', String(plain.body?.length ?? 0)],
            ],
          };
          const expected = answered(await exchange(child, plain), plain);
          const response = answered(await exchange(child, offering), offering);
          const kind = classifyResponse(response, offering.method, true);
          // RFC 9110 §7.8: a server may ignore an Upgrade it does not do; a WS upgrade to another path may also be refused.
          // Node 20 stops parsing any request that offers an upgrade at its headers, so one with a body is refused.
          if ((spec.upgrade === 'websocket' || post) && response.status >= 400)
            expect(kind, `a refused upgrade offer to ${spec.path} needs the protocol's error body`).toBe(
              'protocol-error',
            );
          else
            expect(
              { status: response.status, kind },
              `${offering.method} ${spec.path} with Upgrade: ${spec.upgrade}`,
            ).toEqual({ status: expected.status, kind: classifyResponse(expected, plain.method) });
        }),
        40,
      );
    },
    TEST_TIMEOUT,
  );

  // -------------------------------------------------------------------------------------------------------------------
  // WebSocket handshakes

  type Ticket = { real: true; tampered: boolean } | { real: false; value: string };

  it(
    'WS handshakes with arbitrary paths, keys, versions, subprotocols, tickets and Authorization',
    async () => {
      const handshake = fc.record({
        method: fc.oneof({ weight: 9, arbitrary: fc.constant('GET') }, { weight: 1, arbitrary: fc.constant('POST') }),
        target: fc.oneof(
          { weight: 4, arbitrary: fc.constant('/ws/chat') },
          {
            weight: 2,
            arbitrary: fc.constantFrom(
              '/ws/chat?x=1',
              '/ws/chat/',
              '/WS/CHAT',
              '/ws/chat%20',
              '//ws/chat',
              '/ws//chat',
              '/ws/./chat',
              '/api/../ws/chat',
              '/ws/chat/..',
              '//[',
              '//[x/ws/chat',
              '/%',
              'http://x/ws/chat',
              'http://[x/ws/chat',
              '/ws/chat#frag',
              '/healthz',
              '/api/sync/chat',
              '*',
            ),
          },
        ),
        ticket: fc.option(
          fc.oneof(
            fc.constantFrom<Ticket>({ real: true, tampered: false }, { real: true, tampered: true }),
            fc
              .oneof(fc.string(), fc.string({ unit: 'binary' }), specialString)
              .map((value): Ticket => ({ real: false, value })),
          ),
          { nil: undefined, freq: 2 },
        ),
        version: fc.oneof(
          { weight: 6, arbitrary: fc.constant('13') },
          { weight: 1, arbitrary: fc.constantFrom('8', '', '13, 8', '14', 'abc') },
        ),
        key: fc.oneof(
          { weight: 6, arbitrary: fc.constant('dGhlIHNhbXBsZSBub25jZQ==') },
          { weight: 1, arbitrary: fc.constantFrom('', 'short', 'dGhlIHNhbXBsZSBub25jZQ', '!!!!!!!!!!!!!!!!!!!!!!==') },
        ),
        protocols: protocolHeader(KEY),
        auth,
        origin: fc.option(headerValue.map(String), { nil: undefined, freq: 3 }),
      });
      await fuzz(
        fc.asyncProperty(handshake, async (spec) => {
          const child = await server.child();
          // A real ticket is fetched fresh each time (they expire after 60 s).
          let target: string = spec.target;
          if (spec.ticket) {
            let ticket: string;
            if (spec.ticket.real) {
              const issued = (await (
                await fetch(`${child.url}/api/ws/ticket`, { method: 'POST', headers: keyHeaders })
              ).json()) as { ticket: string };
              ticket = spec.ticket.tampered ? `${issued.ticket}x` : issued.ticket;
            } else {
              ticket = spec.ticket.value;
            }
            target = `${target}${target.includes('?') ? '&' : '?'}ticket=${percentEncode(ticket)}`;
          }
          const request: RawRequest = {
            method: spec.method,
            target,
            bare: true,
            headers: headerPairs([
              ['Host', `127.0.0.1:${child.port}`],
              ['Upgrade', 'websocket'],
              ['Connection', 'Upgrade'],
              ['Sec-WebSocket-Version', spec.version],
              ['Sec-WebSocket-Key', spec.key],
              ['Sec-WebSocket-Protocol', spec.protocols?.value],
              ['Authorization', spec.auth.header],
              ['Origin', spec.origin],
            ]),
          };
          const response = answered(await exchange(child, request), request);
          const kind = classifyResponse(response, spec.method, true);
          // Node's parser refuses a head over 16 KiB with 431 before any handler runs, as for the other endpoints.
          if (response.status === 431 && headSize(request, child.port) > HEAD_LIMIT - 512)
            return note('bare 431 (request head over 16 KiB)', describeRequest(request));
          if (kind === 'bare' || kind === 'ws-library')
            note(
              `WS handshake refused with ${kind === 'bare' ? 'an empty body' : "ws's text/html reason"} (${response.status})`,
              `${spec.method} ${target.slice(0, 80)} -> ${response.status}`,
            );

          // The oracle: path, then credentials (ticket, bearer.<key> subprotocol, Authorization), then ws's checks.
          let pathname: string | undefined;
          try {
            pathname = new URL(target, 'http://localhost').pathname;
          } catch {
            pathname = undefined;
          }
          if (pathname === undefined) {
            expect(response.status, 'an unparseable upgrade URL must be refused').toBeGreaterThanOrEqual(400);
            return;
          }
          if (pathname !== '/ws/chat') {
            expect(response.status).toBe(404);
            return;
          }
          const url = new URL(target, 'http://localhost');
          const ticket = url.searchParams.get('ticket');
          const offered = (spec.protocols?.value ?? '').split(',').map((item) => item.trim());
          const fromProtocol = offered.find((item) => item.startsWith('bearer.'))?.slice('bearer.'.length);
          let credentials: boolean;
          if (!keyed) credentials = true;
          else if (ticket) credentials = spec.ticket?.real === true && !spec.ticket.tampered;
          else if (fromProtocol) credentials = fromProtocol === KEY;
          else credentials = spec.auth.valid;
          if (!credentials) {
            expect(response.status).toBe(401);
            expect(response.headers['www-authenticate']).toBe('Bearer');
            return;
          }
          const clean =
            spec.method === 'GET' &&
            spec.version === '13' &&
            spec.key === 'dGhlIHNhbXBsZSBub25jZQ==' &&
            (spec.protocols?.clean ?? true);
          if (clean) expect(response.status).toBe(101);
          else expect([101, 400, 405]).toContain(response.status);
          if (response.status === 101) {
            const offeredChatwire = offered.includes('chatwire.v1');
            expect(response.headers['sec-websocket-protocol']).toBe(offeredChatwire ? 'chatwire.v1' : undefined);
          }
        }),
        250,
      );
    },
    TEST_TIMEOUT,
  );

  // -------------------------------------------------------------------------------------------------------------------
  // WebSocket frames

  const socketHeaders = keyed ? { authorization: `Bearer ${KEY}` } : {};

  it(
    'WS frames: every malformed frame gets an error frame (no seq), valid ones their answer, the socket stays open',
    async () => {
      const batch = fc.array(
        frameSpec.filter((frame) => Buffer.byteLength(frameData(frame)) <= WS_CAP),
        { minLength: 1, maxLength: 4 },
      );
      await fuzz(
        fc.asyncProperty(batch, async (frames) => {
          const child = await server.child();
          const { models } = await fixtures(child);
          const expected = expectFrames(frames, models);
          for (const key of expected.errors) count(`ws frame -> error ${key.slice(key.lastIndexOf(':') + 1)}`);
          for (let run = 0; run < expected.runs; run++) count('ws frame -> run');
          for (let pong = 0; pong < expected.pongs; pong++) count('ws frame -> pong');
          const what = `WS frames ${JSON.stringify(frames.map((frame) => (frame.kind === 'binary' ? `<binary ${frame.bytes.length}>` : frameData(frame).slice(0, 80))))}`;
          await server.guard(child, what, async (signal) => {
            const log = await openFrameLog(child.wsUrl, socketHeaders, signal);
            try {
              for (const frame of frames) log.socket.send(frameData(frame), { binary: frame.kind === 'binary' });
              log.socket.send(JSON.stringify({ type: 'ping' }));
              const runsSettled = (received: ServerFrame[]) => {
                const started = new Set<string>();
                const ended = new Set<string>();
                let starts = 0;
                for (const frame of received) {
                  if (!('seq' in frame)) continue;
                  if (frame.type === 'start') {
                    starts++;
                    started.add(frame.id);
                  } else if (frame.type === 'done' || frame.type === 'error') ended.add(frame.id);
                }
                return starts >= expected.runs && [...started].every((id) => ended.has(id));
              };
              await log.until(
                (received) =>
                  received.filter((frame) => frame.type === 'pong').length >= expected.pongs + 1 &&
                  includesAll(receivedErrors(received), expected.errors) &&
                  runsSettled(received),
              );
              expect(log.closed, 'the socket must stay open').toBeUndefined();
              const errors = receivedErrors(log.frames).filter(
                (key) => ![...expected.optionalErrors].some((code) => key.endsWith(`:${code}`)),
              );
              expect(errors.sort()).toEqual([...expected.errors].sort());
            } finally {
              log.close();
            }
          });
        }),
        400,
      );
    },
    TEST_TIMEOUT,
  );

  it(
    'WS frames around the size cap: over it closes with 1009, up to it is served',
    async () => {
      const sized = fc.record({
        size: fc.oneof(
          fc.integer({ min: WS_CAP - 8, max: WS_CAP + 8 }),
          fc.integer({ min: WS_CAP - 2000, max: WS_CAP * 4 }),
        ),
        binary: fc.boolean(),
      });
      await fuzz(
        fc.asyncProperty(sized, async ({ size, binary }) => {
          const child = await server.child();
          await server.guard(child, `WS ${binary ? 'binary' : 'text'} frame of ${size} bytes`, async (signal) => {
            const log = await openFrameLog(child.wsUrl, socketHeaders, signal);
            try {
              const empty = Buffer.byteLength('{"type":"ping","pad":""}');
              const data = binary ? Buffer.alloc(size, 1) : `{"type":"ping","pad":"${'x'.repeat(size - empty)}"}`;
              expect(Buffer.byteLength(data)).toBe(size);
              log.socket.send(data, { binary });
              if (size > WS_CAP) {
                await log.until(() => false);
                expect(log.closed?.code).toBe(1009);
              } else {
                await log.until((received) => received.length > 0);
                expect(log.closed).toBeUndefined();
                expect(log.frames[0]).toMatchObject(
                  binary ? { type: 'error', code: 'invalid_request' } : { type: 'pong' },
                );
              }
            } finally {
              log.close();
            }
          });
        }),
        40,
      );
    },
    TEST_TIMEOUT,
  );

  it(
    'WS text frames that are not UTF-8 close the socket with 1007 (RFC 6455)',
    async () => {
      const invalid = fc.tuple(
        fc.string({ maxLength: 10 }),
        fc.constantFrom([0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xe2, 0x82]),
      );
      await fuzz(
        fc.asyncProperty(invalid, async ([prefix, bytes]) => {
          const child = await server.child();
          await server.guard(child, `WS text frame with bytes ${JSON.stringify(bytes)}`, async (signal) => {
            const log = await openFrameLog(child.wsUrl, socketHeaders, signal);
            try {
              log.socket.send(Buffer.concat([Buffer.from(prefix), Buffer.from(bytes)]), { binary: false });
              await log.until(() => false);
              expect(log.closed?.code).toBe(1007);
            } finally {
              log.close();
            }
          });
        }),
        15,
      );
    },
    TEST_TIMEOUT,
  );

  it(
    'WS resume and cancel of finished runs from any seq: the right events, and the server stays responsive',
    async () => {
      const resume = fc.record({
        index: fc.integer({ min: 0, max: 1 }),
        after: fc.oneof(fc.integer({ min: -3, max: 60 }), fc.constantFrom(2 ** 53 - 1, 1e9)),
        cancel: fc.boolean(),
      });
      await fuzz(
        fc.asyncProperty(resume, async (spec) => {
          const child = await server.child();
          const { runs } = await fixtures(child);
          const run = runs[spec.index]!;
          await server.guard(
            child,
            `WS resume ${JSON.stringify({ ...spec, lastSeq: run.lastSeq })}`,
            async (signal) => {
              const log = await openFrameLog(child.wsUrl, socketHeaders, signal);
              try {
                if (spec.cancel) log.socket.send(JSON.stringify({ type: 'cancel', id: run.id }));
                log.socket.send(JSON.stringify({ type: 'resume', id: run.id, after: spec.after }));
                log.socket.send(JSON.stringify({ type: 'ping' }));
                const invalid = spec.after < -1;
                const wanted = invalid
                  ? []
                  : Array.from({ length: Math.max(0, run.lastSeq - spec.after) }, (_, index) => spec.after + 1 + index);
                const events = () => log.frames.filter((frame): frame is RunEvent => 'seq' in frame);
                await log.until(
                  (received) =>
                    received.some((frame) => frame.type === 'pong') &&
                    (invalid
                      ? received.some((frame) => frame.type === 'error' && !('seq' in frame))
                      : events().length >= wanted.length),
                );
                // Give a wrong extra event (or a spinning server) a moment to show.
                await new Promise((resolve) => setTimeout(resolve, 20));
                expect(log.closed).toBeUndefined();
                if (invalid) expect(receivedErrors(log.frames)).toEqual(['none::invalid_request']);
                else expect(receivedErrors(log.frames)).toEqual([]);
                expect(events().map((event) => event.seq)).toEqual(wanted);
                expect(events().every((event) => event.id === run.id)).toBe(true);
              } finally {
                log.close();
              }
            },
          );
        }),
        60,
      );
    },
    TEST_TIMEOUT,
  );

  // -------------------------------------------------------------------------------------------------------------------
  // Afterwards

  it('afterwards /healthz answers 200, a normal chat works in every mode, and nothing is left open', async () => {
    const child = await server.child();
    const health = await fetch(`${child.url}/healthz`, { signal: AbortSignal.timeout(5000) });
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', provider: 'simulated' });
    for (const path of ['/api/sync/chat', '/api/sse/chat', '/api/async/chat']) {
      const response = await fetch(`${child.url}${path}`, {
        method: 'POST',
        headers: keyHeaders,
        body: JSON.stringify({ message: 'Hello there' }),
        signal: AbortSignal.timeout(5000),
      });
      expect(response.status, path).toBe(path === '/api/async/chat' ? 202 : 200);
      await response.text();
    }
    await server.guard(child, 'a normal WS chat', async (signal) => {
      const log = await openFrameLog(child.wsUrl, socketHeaders, signal);
      log.socket.send(JSON.stringify({ type: 'chat', request_id: 'final', message: 'Hello there' }));
      await log.until((received) => received.some((frame) => 'seq' in frame && frame.type === 'done'));
      expect(log.frames[0]).toMatchObject({ type: 'start', request_id: 'final' });
      log.close();
    });
    // Streams close and runs end shortly after their clients went away.
    let stats = await server.stats(child);
    for (let attempt = 0; attempt < 50 && stats.sse + stats.ws + stats.activeRuns > 0; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      stats = await server.stats(child);
    }
    expect(stats).toEqual({ activeRuns: 0, sse: 0, ws: 0 });
    // A process that froze or died during the fuzz was replaced; the one answering here must be the first.
    expect(child.generation, 'the server process that took the fuzz is still the one answering').toBe(1);
  });

  it('the server process never crashed, froze or logged an internal error', () => {
    expect(
      server.problems.map(
        (problem) => `[process ${problem.generation}] ${problem.kind}: ${problem.detail.slice(0, 600)}`,
      ),
    ).toEqual([]);
  });
});

it('the test process saw no uncaught exception or unhandled rejection', () => {
  expect(localProblems).toEqual([]);
});
