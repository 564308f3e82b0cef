import type { ErrorCode, ServerFrame } from '@chatwire/protocol';
import { parseClientFrame } from '@chatwire/protocol/validation';
import fc from 'fast-check';
import WebSocket from 'ws';
import { chatField, headerValue, junkValue, oddNumber, oddString, specialString } from './fuzz-arbitraries.js';
import { checkErrorPayload } from './fuzz-http.js';

/** A socket that records every frame the server sends, checks its shape, and lets a test wait for a condition. */
export interface FrameLog {
  readonly socket: WebSocket;
  readonly frames: ServerFrame[];
  /** Set once the socket closed. */
  readonly closed: { code: number; reason: string } | undefined;
  /** Resolves when `done(frames)` holds or the socket closes. */
  until(done: (frames: ServerFrame[]) => boolean): Promise<void>;
  close(): void;
}

/** Opens `/ws/chat` and records what arrives; rejects on a failed handshake. */
export function openFrameLog(url: string, headers: Record<string, string>, signal: AbortSignal): Promise<FrameLog> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers, perMessageDeflate: false });
    const frames: ServerFrame[] = [];
    let closed: FrameLog['closed'];
    let malformed: Error | undefined;
    const waiters = new Set<() => void>();
    const poke = () => {
      for (const waiter of [...waiters]) waiter();
    };
    const onAbort = () => socket.terminate();
    signal.addEventListener('abort', onAbort, { once: true });
    socket.on('message', (data, isBinary) => {
      try {
        if (isBinary) throw new Error('the server sent a binary frame');
        const frame = JSON.parse(data.toString()) as ServerFrame;
        checkServerFrame(frame);
        frames.push(frame);
      } catch (error) {
        malformed ??= new Error(
          `malformed server frame ${JSON.stringify(data.toString().slice(0, 300))}: ${(error as Error).message}`,
        );
      }
      poke();
    });
    socket.on('close', (code, reason) => {
      closed = { code, reason: reason.toString() };
      signal.removeEventListener('abort', onAbort);
      poke();
    });
    socket.on('error', (error) => {
      if (socket.readyState === WebSocket.CONNECTING) reject(error);
    });
    socket.once('open', () =>
      resolve({
        socket,
        frames,
        get closed() {
          return closed;
        },
        until(done) {
          return new Promise((resolveWait, rejectWait) => {
            const check = () => {
              if (malformed) {
                waiters.delete(check);
                rejectWait(malformed);
              } else if (closed || done(frames)) {
                waiters.delete(check);
                resolveWait();
              }
            };
            waiters.add(check);
            check();
          });
        },
        close() {
          signal.removeEventListener('abort', onAbort);
          socket.terminate();
        },
      }),
    );
  });
}

/** Every server frame is a run event (`id`, `seq`), an error frame (no `seq`) or a pong. */
function checkServerFrame(frame: ServerFrame): void {
  if (typeof frame !== 'object' || frame === null) throw new Error('not an object');
  if ('seq' in frame) {
    if (typeof frame.id !== 'string' || !Number.isInteger(frame.seq) || frame.seq < 0) throw new Error('bad run event');
    if (!['start', 'token', 'done', 'error'].includes(frame.type)) throw new Error(`bad event type ${frame.type}`);
    if (frame.type === 'error') checkErrorPayload(frame, (why) => new Error(why));
    return;
  }
  if (frame.type === 'pong') return;
  if (frame.type !== 'error')
    throw new Error(`unknown frame type ${JSON.stringify((frame as { type: unknown }).type)}`);
  checkErrorPayload(frame, (why) => new Error(why));
}

/** A client frame to send: JSON of `value`, raw text, or binary bytes. */
export type FrameSpec =
  { kind: 'json'; value: unknown } | { kind: 'text'; text: string } | { kind: 'binary'; bytes: Uint8Array };

const base64url = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_');
const runIdLike = fc.oneof(
  fc.string({ unit: base64url, minLength: 1, maxLength: 30 }),
  fc.constantFrom('', 'a'.repeat(128), 'a'.repeat(129), '../x', 'a b', 'é', 'a/b'),
);
const tag = fc.oneof(
  fc.string({
    unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)),
    minLength: 1,
    maxLength: 20,
  }),
  oddString,
  junkValue,
);

/** Frames of every kind: well-formed ones of each type, the same with wrong fields, junk JSON, broken text, binary. */
export const frameSpec: fc.Arbitrary<FrameSpec> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .record(
        {
          type: fc.oneof(
            { weight: 4, arbitrary: fc.constantFrom('chat', 'cancel', 'resume', 'ping') },
            {
              weight: 1,
              arbitrary: fc.constantFrom(
                'CHAT',
                'Ping',
                'pong',
                'error',
                'start',
                'done',
                ' chat',
                'chat ',
                '',
                'subscribe',
                '__proto__',
              ),
            },
            { weight: 1, arbitrary: junkValue },
          ),
          id: fc.oneof(runIdLike, junkValue),
          after: fc.oneof(fc.integer({ min: -3, max: 50 }), oddNumber, junkValue),
          request_id: tag,
          idempotency_key: tag,
          ...chatField,
        },
        { requiredKeys: [] },
      )
      .map((value): FrameSpec => ({ kind: 'json', value })),
  },
  {
    weight: 2,
    arbitrary: fc
      .record(
        {
          request_id: fc.string({ unit: base64url, minLength: 1, maxLength: 10 }),
          message: fc.string({ minLength: 1 }),
          model: fc.constantFrom('sim/instant', 'nope'),
        },
        { requiredKeys: ['message'] },
      )
      .map((value): FrameSpec => ({ kind: 'json', value: { type: 'chat', ...value } })),
  },
  { weight: 1, arbitrary: junkValue.map((value): FrameSpec => ({ kind: 'json', value })) },
  {
    weight: 1,
    arbitrary: fc
      .oneof(
        fc.string(),
        fc.string({ unit: 'binary' }),
        specialString,
        fc.constantFrom(
          '{',
          '{"type":"ping"',
          '{"type":"ping"}}',
          "{'type':'ping'}",
          'ping',
          '',
          '\ufeff{"type":"ping"}',
        ),
      )
      .map((text): FrameSpec => ({ kind: 'text', text })),
  },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes): FrameSpec => ({ kind: 'binary', bytes })) },
);

/** The bytes (binary) or text of a frame. */
export function frameData(spec: FrameSpec): string | Buffer {
  if (spec.kind === 'binary') return Buffer.from(spec.bytes);
  return spec.kind === 'text' ? spec.text : (JSON.stringify(spec.value) ?? 'undefined');
}

/** An error frame as the test matches it: which tag it carries and its code. */
export type ErrorKey = `${'none' | 'request_id' | 'id'}:${string}:${ErrorCode}`;

/** What the server must answer to a batch of frames (the protocol package's own parser is the oracle). */
export interface FrameExpectation {
  /** Error frames that must arrive, one each. */
  errors: ErrorKey[];
  /** Error codes that may arrive besides (idempotency conflicts of reused keys). */
  optionalErrors: Set<ErrorCode>;
  /** Pongs (for valid pings). */
  pongs: number;
  /** Runs that must start (chats without an idempotency key). */
  runs: number;
}

export function expectFrames(frames: FrameSpec[], models: readonly string[]): FrameExpectation {
  const expectation: FrameExpectation = { errors: [], optionalErrors: new Set(), pongs: 0, runs: 0 };
  for (const frame of frames) {
    if (frame.kind === 'binary') {
      expectation.errors.push('none::invalid_request');
      continue;
    }
    // What the server decodes: the UTF-8 the client sent (lone surrogates become U+FFFD).
    const text = Buffer.from(frameData(frame) as string, 'utf8').toString('utf8');
    const parsed = parseClientFrame(text);
    if (!parsed.ok) {
      const requestId = echoedRequestId(text);
      expectation.errors.push(
        requestId === undefined ? `none::${parsed.error.code}` : `request_id:${requestId}:${parsed.error.code}`,
      );
      continue;
    }
    const value = parsed.value;
    switch (value.type) {
      case 'ping':
        expectation.pongs++;
        break;
      case 'cancel':
      case 'resume':
        // Random ids name no run (and never one of this principal).
        expectation.errors.push(`id:${value.id}:not_found`);
        break;
      case 'chat': {
        const tagged: 'none' | 'request_id' = value.request_id === undefined ? 'none' : 'request_id';
        if (!models.includes(value.request.model ?? 'sim/instant')) {
          expectation.errors.push(`${tagged}:${value.request_id ?? ''}:invalid_model`);
        } else if (value.idempotency_key === undefined) {
          expectation.runs++;
        } else {
          expectation.optionalErrors.add('idempotency_conflict');
        }
        break;
      }
      default: {
        const unreachable: never = value;
        return unreachable;
      }
    }
  }
  return expectation;
}

/** The `request_id` an error frame for a frame that failed validation echoes: a printable one, whatever the type. */
function echoedRequestId(text: string): string | undefined {
  try {
    const id = (JSON.parse(text) as { request_id?: unknown } | null)?.request_id;
    return typeof id === 'string' && /^[\x20-\x7e]{1,200}$/.test(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

/** The error frames received, as {@link ErrorKey}s. */
export function receivedErrors(frames: ServerFrame[]): ErrorKey[] {
  const keys: ErrorKey[] = [];
  for (const frame of frames) {
    if ('seq' in frame || frame.type !== 'error') continue;
    if (frame.request_id !== undefined) keys.push(`request_id:${frame.request_id}:${frame.code}`);
    else if (frame.id !== undefined) keys.push(`id:${frame.id}:${frame.code}`);
    else keys.push(`none::${frame.code}`);
  }
  return keys;
}

/** True when every key of `wanted` is in `got` (as multisets). */
export function includesAll(got: readonly string[], wanted: readonly string[]): boolean {
  const counts = new Map<string, number>();
  for (const key of got) counts.set(key, (counts.get(key) ?? 0) + 1);
  for (const key of wanted) {
    const count = counts.get(key) ?? 0;
    if (count === 0) return false;
    counts.set(key, count - 1);
  }
  return true;
}

/** WS handshake header values for the `Sec-WebSocket-Protocol` header, flagged when `ws` must accept their syntax. */
export function protocolHeader(key: string) {
  return fc.option(
    fc.oneof(
      fc
        .constantFrom(
          'chatwire.v1',
          `chatwire.v1, bearer.${key}`,
          `bearer.${key}`,
          'bearer.',
          'bearer.wrong',
          `bearer.${key}, chatwire.v1`,
        )
        .map((value) => ({ value, clean: true })),
      fc
        .constantFrom('chatwire.v1,,', ' , ', 'a b', 'chatwire.v1, chatwire.v1', ',', '')
        .map((value) => ({ value, clean: false })),
      headerValue.map((value) => ({ value: String(value), clean: false })),
    ),
    { nil: undefined },
  );
}
