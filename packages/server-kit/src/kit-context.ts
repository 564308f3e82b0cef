import type { RequestLimits } from '@chatwire/protocol';
import type { ClientAddress } from './client-address.js';
import type { Drain } from './drain.js';
import type { Authenticate } from './principal.js';
import type { Logger } from './logger.js';
import type { RunEngine } from './run-engine.js';
import type { EventSink, PumpOptions } from './stream-pump.js';
import type { TicketIssuer } from './ws-ticket.js';

/** What every mode's handlers share: the engine and the resolved options. */
export interface KitContext {
  engine: RunEngine;
  /** The prefix of every route (`''` or `/prefix`). */
  basePath: string;
  limits: RequestLimits;
  bodyLimitBytes: number;
  /** Longest `?wait=` a poll may ask for, in seconds. */
  maxWaitSeconds: number;
  /** How long a held poll that already has new events waits for more (`?linger=` may ask for less). */
  pollLingerMs: number;
  /** SSE comment heartbeat interval. */
  sseHeartbeatMs: number;
  /** WS ping interval; a peer that has not answered the previous ping by then is dropped. */
  wsPingMs: number;
  /** WS largest accepted frame in bytes. */
  wsMaxPayloadBytes: number;
  /** Above this many unsent bytes a stream stops reading events until the socket drains. */
  highWaterBytes: number;
  /** Hard cap and stall timeout of a backed-up stream. */
  pump: PumpOptions;
  /** Undefined when the server is open to anyone. */
  authenticate: Authenticate | undefined;
  tickets: TicketIssuer;
  /** The client's address: the socket's, or a forwarded one when the socket is a trusted proxy. */
  clientAddress: ClientAddress;
  /** Exact origins allowed for WS handshakes and CORS; undefined allows any origin and sends no CORS headers. */
  allowedOrigins: ReadonlySet<string> | undefined;
  logger: Logger;
  /** Responses and WS follows still delivering, which a closing kit lets finish before it closes connections. */
  drain: Drain;
  /** Open streaming connections (SSE responses, WS sockets), for stats and metrics. */
  streams: Map<EventSink, 'sse' | 'ws'>;
}
