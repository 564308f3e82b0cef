import { isTerminalEvent, type RunEvent } from '@chatwire/protocol';
import { cancelRun } from '../cancel-run.js';
import { createEventQueue } from '../event-queue.js';
import type { HttpClient } from '../http-client.js';
import type { RunHandle, RunListener } from '../run-router.js';
import type { SocketConnection } from '../socket-connection.js';
import { isHandover, type Transport, type TransportContext } from '../transport.js';

/** Options of {@link createWebSocketTransport}. */
export interface WebSocketTransportOptions {
  /** The client's shared socket. */
  connection: SocketConnection;
  /** For cancelling while the socket is down. */
  http: HttpClient;
}

/**
 * `ws`: `chat` frames on the client's one shared socket (opened on first use), runs told apart by id. When the socket
 * drops mid-run, the connection reconnects and sends `resume` from each run's last seq; duplicates are dropped.
 */
export function createWebSocketTransport(options: WebSocketTransportOptions): Transport {
  const { connection, http } = options;

  function stream(context: TransportContext, register: (listener: RunListener) => RunHandle): AsyncIterable<RunEvent> {
    const queue = createEventQueue<RunEvent>();
    if (context.signal.aborted) {
      queue.fail(context.signal.reason);
      return queue;
    }
    const handle = register({
      event(event, bytes) {
        context.stats.received(bytes);
        queue.push(event);
        if (isTerminalEvent(event)) queue.end();
      },
      fail: (error) => queue.fail(error),
      connecting: () => context.stats.request(),
      resumed: () => context.stats.reconnect(),
    });
    context.signal.addEventListener(
      'abort',
      () => {
        handle.detach(isHandover(context.signal.reason));
        queue.fail(context.signal.reason);
      },
      { once: true },
    );
    return queue;
  }

  return {
    mode: 'ws',
    start(request, context) {
      const frame = {
        type: 'chat' as const,
        ...request,
        ...(context.idempotencyKey === undefined ? {} : { idempotency_key: context.idempotencyKey }),
      };
      return stream(context, (listener) => connection.chat(frame, listener));
    },
    resume(runId, after, context) {
      return stream(context, (listener) => connection.resume(runId, after, listener));
    },
    async cancel(runId, context) {
      if (!connection.cancel(runId)) await cancelRun(http, runId, context);
    },
    close: () => connection.close(),
  };
}
