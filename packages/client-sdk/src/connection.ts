/**
 * Where the shared WebSocket stands: `idle` (none open; one opens on the next ws chat), `connecting`, `open`,
 * `reconnecting` (it dropped while runs were going; they resume once it is back) or `closed` (`client.close()`).
 */
export type ConnectionState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

/** The client's shared WebSocket, observable by apps (a UI showing the connection, for instance). */
export interface Connection {
  readonly state: ConnectionState;
  /** Calls `listener` on every state change; returns the function that stops it. */
  onStateChange(listener: (state: ConnectionState) => void): () => void;
  /** Opens the socket now instead of on the first ws chat; rejects with a `network` ChatError if it cannot. */
  connect(): Promise<void>;
}
