import type { ErrorFrame, RunEvent, ServerFrame } from '@chatwire/protocol';
import { parseClientFrame } from '@chatwire/protocol/validation';
import type { WebSocket } from 'ws';
import { ChatError } from '../chat-error.js';
import type { KitContext } from '../kit-context.js';
import type { Principal } from '../principal.js';
import { pumpEvents, type EventSink } from '../stream-pump.js';

/** Serves one socket: any number of runs at once, each followed with its own AbortController. */
export function serveSocket(ws: WebSocket, principal: Principal, context: KitContext): void {
  const { engine } = context;
  const follows = new Map<string, AbortController>();
  const sink = new SocketSink(ws, context.highWaterBytes);
  const sendFrame = (frame: ServerFrame) => sink.sendFrame(frame);
  const sendError = (error: unknown, tag: { request_id?: string; id?: string }) => {
    const failure = ChatError.from(error);
    const frame: ErrorFrame = { type: 'error', ...tag, ...failure.toPayload() };
    sendFrame(frame);
  };
  context.streams.set(sink, 'ws');

  async function follow(id: string, after: number): Promise<void> {
    follows.get(id)?.abort();
    const controller = new AbortController();
    follows.set(id, controller);
    // A closing kit waits for this follow (through its terminal event) before it closes the socket, unless it stops
    // waiting first: then the follow ends here and the client resumes elsewhere.
    const unlink = context.drain.onAbort(() => controller.abort());
    try {
      await pumpEvents(engine.follow(id, after, principal, controller.signal), sink, context.pump);
    } catch (error) {
      sendError(error, { id });
    } finally {
      unlink();
      if (follows.get(id) === controller) follows.delete(id);
    }
    // Delivered means handed to the socket, not merely queued in `ws`.
    await sink.drained();
  }

  ws.on('message', (data, isBinary) => {
    if (isBinary) return sendError(new ChatError('invalid_request', 'frames must be text JSON'), {});
    const text = data.toString();
    const parsed = parseClientFrame(text, context.limits);
    if (!parsed.ok) return sendError(new ChatError(parsed.error.code, parsed.error.message), requestIdOf(text));
    const frame = parsed.value;
    switch (frame.type) {
      case 'chat': {
        const tag = frame.request_id === undefined ? {} : { request_id: frame.request_id };
        const options = {
          mode: 'ws' as const,
          principal,
          ...(frame.request_id === undefined ? {} : { requestId: frame.request_id }),
          ...(frame.idempotency_key === undefined ? {} : { idempotencyKey: frame.idempotency_key }),
        };
        context.drain.track(
          engine.start(frame.request, options).then(
            (run) => follow(run.id, -1),
            (error: unknown) => sendError(error, tag),
          ),
        );
        return;
      }
      case 'cancel':
        engine.cancel(frame.id, principal).catch((error: unknown) => sendError(error, { id: frame.id }));
        return;
      case 'resume':
        context.drain.track(follow(frame.id, frame.after));
        return;
      case 'ping':
        sendFrame({ type: 'pong' });
        return;
      default: {
        const unreachable: never = frame;
        return unreachable;
      }
    }
  });

  ws.on('close', () => {
    context.streams.delete(sink);
    // Runs keep going for the engine's grace period so this client, or another, can resume them.
    for (const controller of follows.values()) controller.abort();
    follows.clear();
  });
  ws.on('error', () => ws.terminate());
}

/**
 * The socket as an {@link EventSink}. A class, not an object literal: a literal with getters is a dictionary-mode
 * object of about 800 bytes, and there is one per socket.
 */
class SocketSink implements EventSink {
  private lastSend: Promise<void> = Promise.resolve();
  // `ws` corks the socket around each frame; corking around a batch as well makes the batch one write (writev).
  private readonly socket: { cork?: () => void; uncork?: () => void } | undefined;

  constructor(
    private readonly ws: WebSocket,
    private readonly highWaterBytes: number,
  ) {
    this.socket = (ws as unknown as { _socket?: { cork?: () => void; uncork?: () => void } })._socket;
  }

  /** Sends one frame; with `track`, {@link SocketSink.drained} waits until this frame is handed to the socket. */
  sendFrame(frame: ServerFrame, track = true): void {
    const { ws } = this;
    if (ws.readyState !== ws.OPEN) return;
    // Only the last frame of a batch needs a completion callback: `drained()` waits for that one.
    if (!track) return ws.send(JSON.stringify(frame));
    this.lastSend = new Promise((resolve) => ws.send(JSON.stringify(frame), () => resolve()));
  }

  send(events: RunEvent[]): boolean {
    if (events.length > 1) this.socket?.cork?.();
    events.forEach((event, index) => this.sendFrame(event, index === events.length - 1));
    if (events.length > 1) this.socket?.uncork?.();
    return this.ws.bufferedAmount <= this.highWaterBytes;
  }

  drained(): Promise<void> {
    return this.lastSend;
  }

  get buffered(): number {
    return this.ws.bufferedAmount;
  }

  get closed(): boolean {
    return this.ws.readyState !== this.ws.OPEN;
  }

  destroy(): void {
    this.ws.terminate();
  }
}

/** The `request_id` of a frame that failed validation, when it has a usable one, so the client can match the error. */
function requestIdOf(text: string): { request_id?: string } {
  try {
    const frame = JSON.parse(text) as { request_id?: unknown } | null;
    const id = frame?.request_id;
    return typeof id === 'string' && /^[\x20-\x7e]{1,200}$/.test(id) ? { request_id: id } : {};
  } catch {
    return {};
  }
}
