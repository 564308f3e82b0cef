import type { ChatRequest, Mode, RunEvent } from '@chatwire/protocol';

/** How a chat is delivered: one of the protocol's four modes, or `auto` (the client picks, and switches if needed). */
export type ChatMode = Mode | 'auto';
import type { StatsRecorder } from './chat-stats.js';

/** What a transport gets for one run. */
export interface TransportContext {
  /** Aborts everything the transport started for this run (requests, reads, socket subscriptions). */
  readonly signal: AbortSignal;
  /** Where the transport reports requests, bytes and reconnects. */
  readonly stats: StatsRecorder;
  /** Sent as `Idempotency-Key` (HTTP) or `idempotency_key` (WS) when the run is created. */
  readonly idempotencyKey?: string;
}

/**
 * One way of delivering a run: `transports/{sync,polling,sse,ws}.ts`. A transport yields the run's protocol events in
 * order, `start` to the terminal `done` or `error`, and hides its own recovery (resuming after a drop, retrying a
 * poll). It throws a `ChatError` for failures that are not run events (a refused request, an unrecoverable drop).
 */
export interface Transport {
  readonly mode: ChatMode;
  /** Creates a run and yields its events from seq 0. */
  start(request: ChatRequest, context: TransportContext): AsyncIterable<RunEvent>;
  /** Yields the events of run `runId` with seq > `after`, then follows it to its end. Absent in sync mode. */
  resume?(runId: string, after: number, context: TransportContext): AsyncIterable<RunEvent>;
  /**
   * Asks the server to stop run `runId`; its stream then ends with the `cancelled` error event. Absent in sync mode,
   * where aborting the request is what cancels the run.
   */
  cancel?(runId: string, context: TransportContext): Promise<void>;
  /** Releases what the transport holds for all runs (the shared socket). */
  close?(): void;
}

/**
 * The abort reason auto mode gives a transport it leaves for another: the run goes on (a WebSocket does not cancel it),
 * only this transport stops reading it.
 */
export class TransportHandover extends Error {
  override readonly name = 'TransportHandover';
}

/** True for a {@link TransportHandover} abort reason. */
export function isHandover(reason: unknown): reason is TransportHandover {
  return reason instanceof TransportHandover;
}
