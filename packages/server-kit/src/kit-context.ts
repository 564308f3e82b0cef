import type { RequestLimits } from '@chatwire/protocol';
import type { Logger } from './logger.js';
import type { RunEngine } from './run-engine.js';

/** What every mode's handlers share: the engine and the resolved options. */
export interface KitContext {
  engine: RunEngine;
  limits: RequestLimits;
  bodyLimitBytes: number;
  /** Longest `?wait=` a poll may ask for, in seconds. */
  maxWaitSeconds: number;
  /** SSE comment heartbeat interval. */
  sseHeartbeatMs: number;
  /** WS ping interval; a peer that has not answered the previous ping by then is dropped. */
  wsPingMs: number;
  /** WS largest accepted frame in bytes. */
  wsMaxPayloadBytes: number;
  /** Above this many unsent bytes a stream waits for the socket before reading more events. */
  highWaterBytes: number;
  logger: Logger;
}
