import type { DoneEvent, ErrorEvent, Mode, RunEvent, RunStatus } from '@chatwire/protocol';

/** What a store keeps about a run besides its events. */
export interface RunInfo {
  id: string;
  model: string;
  mode: Mode;
  /** ISO 8601. */
  created_at: string;
  /** Id of the principal that created the run; only it may read, resume or cancel the run. */
  owner: string;
}

/** An idempotency key claimed by a run creation: retries with the same key attach to `runId`. */
export interface IdempotencyClaim {
  /** The key, already scoped to its principal by the engine. */
  key: string;
  /** Digest of the request body, to refuse the same key with another body. */
  fingerprint: string;
}

/**
 * What {@link RunStore.create} may do with the run's creation, in the same step, when the store can (a shared store
 * saves round trips with it). A store that does not answers without `started` or `claimed`, and the engine appends the
 * event and claims the run itself.
 */
export interface CreateOptions {
  /** The run's `start` event (seq 0): appended with the creation when the result says `started`. */
  start?: RunEvent;
  /** This process drives the run: claimed with the creation (as {@link RunStore.claim}) when the result says `claimed`. */
  claim?: boolean;
}

/**
 * What {@link RunStore.create} did: made the run (and, asked by {@link CreateOptions}, perhaps appended its `start` and
 * claimed it), or found the run an earlier create with the same key made.
 */
export type CreateResult =
  { created: true; started?: boolean; claimed?: boolean } | { created: false; runId: string; fingerprint: string };

/** Where a run stands, kept up to date by the store as events are appended. */
export interface RunState {
  info: RunInfo;
  status: RunStatus;
  /** Concatenated token text so far. */
  partial: string;
  /** Seq of the newest event, -1 before `start`. */
  last_seq: number;
  /** The `done` or `error` event once the run has ended. */
  terminal?: DoneEvent | ErrorEvent;
}

/** Options of {@link RunStore.waitForEvents}. */
export interface WaitOptions {
  /** Give up after this long (resolves, does not throw). */
  timeoutMs: number;
  signal?: AbortSignal;
}

/**
 * Where runs and their events live. All four modes read runs only from here, so any mode (or, with a shared store,
 * any instance) can poll, follow or resume any run. Implementations: `createMemoryRunStore` and, in
 * `@chatwire/server-kit/redis`, `createRedisRunStore`.
 *
 * A run has one writer (the engine that {@link RunStore.claim}ed it); events arrive with consecutive seqs starting at 0.
 * A shared store may also end a run itself: `interrupted` when its writer's process died, `cancelled` when it was
 * cancelled before any writer claimed it.
 */
export interface RunStore {
  /**
   * The store collects appends for a few milliseconds and writes them together (Redis's write-behind window). The run
   * driver then lets the rest of a model's burst join its first token before writing it, so a burst is one token event
   * instead of two. Optional: false when absent, and every token read while no write is in flight is its own event.
   */
  readonly batchesAppends?: boolean;
  /**
   * How long, in ms, tokens of a run that no client streams live (a `sync` run, a `polling` run) may gather in its
   * driver before they are written as one token event; a polling run's first token is written at once (a sync run's
   * gathers too), and the terminal event and a cancel write what gathered at once. For a store whose writes cost a round trip each (Redis): a sync client reads
   * nothing before the end, and a poller's answers already wait for more events (the `linger`), so fewer, larger
   * writes change nothing they see. Optional: 0 when absent.
   */
  readonly quietRunWindowMs?: number;
  /**
   * The same for a `sync` run (its client reads nothing before the end, so its first token gathers too; another
   * client resuming it sees its tokens in steps this long). Optional: `quietRunWindowMs` when absent.
   */
  readonly syncRunWindowMs?: number;
  /**
   * Registers a new run. With `idempotency`, atomically claims the key for it, unless an earlier run already holds the
   * key: then nothing is created and that run is returned. Keys expire with their run. Throws
   * `ChatError('overloaded')` when the store is full. `options` may have the `start` event appended and the run claimed
   * in the same step; the result says what was done, and a later {@link RunStore.claim} of a run claimed so answers
   * true at once.
   */
  create(info: RunInfo, idempotency?: IdempotencyClaim, options?: CreateOptions): Promise<CreateResult>;
  /** The run holding an idempotency key, if any. */
  findIdempotent(key: string): Promise<{ runId: string; fingerprint: string } | undefined>;
  /** Appends the next event of a run (seq must be last_seq + 1); a terminal event ends the run and starts its TTL. */
  append(event: RunEvent): Promise<void>;
  /** The run's state, or undefined when unknown or expired. */
  get(id: string): Promise<RunState | undefined>;
  /** Events with seq > `after` (at most `limit`), or undefined when the run is unknown or expired. */
  read(id: string, after: number, limit?: number): Promise<RunEvent[] | undefined>;
  /** Resolves when an event with seq > `after` exists, the run is unknown, the timeout passes or `signal` aborts. */
  waitForEvents(id: string, after: number, options: WaitOptions): Promise<void>;
  /** Asks the run's writer to cancel it; false when the run is unknown or already ended. */
  requestCancel(id: string): Promise<boolean>;
  /** Calls `listener` when someone asks to cancel run `id`; returns the unsubscribe function. */
  onCancel(id: string, listener: () => void): () => void;
  /**
   * Makes this process the writer of run `id`, before its first event after `start`. A shared store holds the claim
   * under a lease the process renews while it lives; if it dies, the store ends the run with `interrupted`. False
   * when the run is unknown, has ended, was cancelled, or another process claimed it: then do not write to it.
   */
  claim(id: string): Promise<boolean>;
  /**
   * Adds `delta` (1, -1, or 0 to read) to the number of readers following run `id` in every process sharing the store,
   * and returns the new total. Optional: without it, the disconnect policy counts this process's readers only.
   */
  countFollowers?(id: string, delta: number): Promise<number>;
  /** Resolves when the store answers, rejects when it cannot be reached (`/readyz`). */
  ping?(): Promise<void>;
  /** Releases timers and connections. */
  close(): Promise<void>;
}

/**
 * Marks a store's `append` that can also store an event before returning, as an in-process store can: the engine then
 * writes a run's tokens without a promise each. That variant throws, having stored nothing, when it fails. It sits on
 * the function, not the store, so a store that wraps `append` (`{ ...store, append }`) drops it with the function it
 * replaced, and every event goes through the wrapper.
 */
export const appendsNow: unique symbol = Symbol('chatwire.appendsNow');

/** A store's `append`, and the synchronous variant it may carry under {@link appendsNow}. */
export type AppendFunction = RunStore['append'] & { [appendsNow]?: (event: RunEvent) => void };
