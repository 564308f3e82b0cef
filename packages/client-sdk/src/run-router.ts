import { isTerminalEvent, type ClientFrame, type ErrorFrame, type RunEvent } from '@chatwire/protocol';
import { ChatError } from './chat-error.js';

/** What the router tells the ws transport about one run. */
export interface RunListener {
  /** A new event of the run (`bytes`: size of its frame). */
  event(event: RunEvent, bytes: number): void;
  /** The run cannot go on (refused, unknown, connection lost for good). */
  fail(error: ChatError): void;
  /** A socket is being opened while this run waits for it. */
  connecting(): void;
  /** The socket came back after a drop and the run was resumed. */
  resumed(): void;
}

/** A run's registration on the shared socket. */
export interface RunHandle {
  /**
   * Stops routing to the listener; a run that has not ended is cancelled on the server, unless `keepRun` (auto mode
   * goes on reading it over another transport).
   */
  detach(keepRun?: boolean): void;
}

/** Options of {@link createRunRouter}. */
export interface RunRouterOptions {
  /** Sends a frame on the open socket; false when there is none. */
  send(frame: ClientFrame): boolean;
  /** Asks for the socket to be opened (or, when it is open, for a {@link RunRouter.flush}). */
  needSocket(): void;
  /** Called when the last run is gone. */
  idle(): void;
}

/** Routes server frames to runs and sends run frames; knows nothing about sockets. */
export interface RunRouter {
  chat(frame: Extract<ClientFrame, { type: 'chat' }>, listener: RunListener): RunHandle;
  resume(id: string, after: number, listener: RunListener): RunHandle;
  cancel(id: string): boolean;
  event(event: RunEvent, bytes: number): void;
  error(frame: ErrorFrame): void;
  /** The socket is open: resume what is due and send the next chat. */
  flush(): void;
  connecting(): void;
  /** The socket dropped: every followed run needs a resume once it is back. */
  dropped(): void;
  /** Fails the chat whose `start` has not come yet. */
  failAwaiting(error: ChatError): void;
  failAll(error: ChatError): void;
  busy(): boolean;
  /** True when a chat waiting to be sent has an idempotency key: sending it again is safe, and what it asked for. */
  resendable(): boolean;
}

interface Entry {
  listener: RunListener;
  id?: string;
  requestId?: string;
  frame?: ClientFrame;
  lastSeq: number;
  detached: boolean;
  /** Detached without cancelling the run. */
  kept: boolean;
  needsResume: boolean;
  dropped: boolean;
}

/**
 * Creates the router. Chat frames go out one at a time, each after the previous one's `start` (or error) came back:
 * the server answers a chat it cannot parse with an error frame that names no `request_id`, and this keeps such an
 * error attributable to exactly one chat. Runs themselves stream concurrently.
 */
export function createRunRouter(options: RunRouterOptions): RunRouter {
  const queued: Entry[] = [];
  let awaiting: Entry | undefined;
  const runs = new Map<string, Entry[]>();
  let requestCount = 0;

  const busy = () => queued.length > 0 || awaiting !== undefined || runs.size > 0;
  const entries = () => [...queued, ...(awaiting ? [awaiting] : []), ...[...runs.values()].flat()];
  const entry = (listener: RunListener, fields: Partial<Entry>): Entry => ({
    listener,
    lastSeq: -1,
    detached: false,
    kept: false,
    needsResume: false,
    dropped: false,
    ...fields,
  });

  function follow(item: Entry & { id: string }): void {
    const list = runs.get(item.id) ?? [];
    list.push(item);
    runs.set(item.id, list);
  }

  function remove(item: Entry): void {
    const index = queued.indexOf(item);
    if (index >= 0) queued.splice(index, 1);
    if (item.id === undefined) return;
    const list = runs.get(item.id)?.filter((other) => other !== item) ?? [];
    if (list.length > 0) runs.set(item.id, list);
    else runs.delete(item.id);
  }

  function fail(item: Entry, error: ChatError): void {
    remove(item);
    if (!item.detached) item.listener.fail(error);
  }

  function sendNextChat(): void {
    while (!awaiting && queued.length > 0) {
      const next = queued.shift() as Entry;
      if (next.detached || !next.frame) continue;
      if (!options.send(next.frame)) return void queued.unshift(next);
      awaiting = next;
    }
  }

  function settle(): void {
    sendNextChat();
    if (!busy()) options.idle();
  }

  function handle(item: Entry): RunHandle {
    return {
      detach(keepRun = false) {
        if (item.detached) return;
        item.detached = true;
        item.kept = keepRun;
        if (awaiting === item) return; // its `start` will tell which run to cancel
        const wasFollowed = item.id !== undefined && runs.get(item.id)?.includes(item) === true;
        remove(item);
        if (wasFollowed && !keepRun && item.id !== undefined && !runs.has(item.id))
          options.send({ type: 'cancel', id: item.id });
        settle();
      },
    };
  }

  return {
    busy,
    resendable: () =>
      queued.some((item) => !item.detached && item.frame?.type === 'chat' && item.frame.idempotency_key !== undefined),
    chat(frame, listener) {
      const requestId = `r${++requestCount}`;
      const item = entry(listener, { requestId, frame: { ...frame, request_id: requestId } });
      queued.push(item);
      options.needSocket();
      return handle(item);
    },
    resume(id, after, listener) {
      const item = entry(listener, { id, lastSeq: after, needsResume: true }) as Entry & { id: string };
      follow(item);
      options.needSocket();
      return handle(item);
    },
    cancel: (id) => options.send({ type: 'cancel', id }),
    event(event, bytes) {
      if (event.type === 'start' && awaiting && event.request_id === awaiting.requestId) {
        const started = awaiting as Entry & { id: string };
        awaiting = undefined;
        started.id = event.id;
        delete started.frame;
        if (!started.detached) follow(started);
        else if (!started.kept) options.send({ type: 'cancel', id: event.id });
      }
      const list = runs.get(event.id) ?? [];
      for (const item of list) {
        if (event.seq <= item.lastSeq) continue;
        item.lastSeq = event.seq;
        item.listener.event(event, bytes);
      }
      if (isTerminalEvent(event)) runs.delete(event.id);
      settle();
    },
    error(frame) {
      const error = ChatError.fromPayload(frame, frame.id === undefined ? {} : { runId: frame.id });
      const forAwaiting =
        frame.request_id !== undefined ? frame.request_id === awaiting?.requestId : frame.id === undefined;
      if (forAwaiting && awaiting) {
        const refused = awaiting;
        awaiting = undefined;
        fail(refused, error);
      } else if (frame.id !== undefined) {
        for (const item of runs.get(frame.id) ?? []) fail(item, error);
      }
      settle();
    },
    flush() {
      for (const [id, list] of runs) {
        if (!list.some((item) => item.needsResume)) continue;
        const after = Math.min(...list.map((item) => item.lastSeq));
        if (!options.send({ type: 'resume', id, after })) return;
        for (const item of list) {
          if (item.dropped) item.listener.resumed();
          item.needsResume = false;
          item.dropped = false;
        }
      }
      sendNextChat();
    },
    connecting() {
      for (const item of entries()) if (!item.detached) item.listener.connecting();
    },
    dropped() {
      for (const item of [...runs.values()].flat()) {
        item.needsResume = true;
        item.dropped = true;
      }
    },
    failAwaiting(error) {
      const refused = awaiting;
      awaiting = undefined;
      if (!refused) return;
      // With an idempotency key the chat can be sent again: the server answers the run it may have started already.
      const retryable =
        error.code === 'network' && refused.frame?.type === 'chat' && refused.frame.idempotency_key !== undefined;
      if (retryable && !refused.detached) queued.unshift(refused);
      else fail(refused, error);
    },
    failAll(error) {
      const all = entries();
      queued.length = 0;
      awaiting = undefined;
      runs.clear();
      for (const item of all) if (!item.detached) item.listener.fail(error);
    },
  };
}
