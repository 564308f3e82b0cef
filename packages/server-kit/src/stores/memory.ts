import { isTerminalEvent, type RunEvent } from '@chatwire/protocol';
import { ChatError } from '../chat-error.js';
import { statusAfter } from '../run-status.js';
import {
  appendsNow,
  type AppendFunction,
  type CreateResult,
  type IdempotencyClaim,
  type RunInfo,
  type RunState,
  type RunStore,
  type WaitOptions,
} from '../store.js';
import { Waiters, waitForWake } from './waiters.js';

/** Options of {@link createMemoryRunStore}. */
export interface MemoryRunStoreOptions {
  /** How long an ended run stays readable (default 10 minutes). */
  ttlMs?: number;
  /** Most runs held at once (default 10,000); past it the oldest ended runs are evicted, then creation is refused. */
  maxRuns?: number;
  /** Clock, for tests. */
  now?: () => number;
}

interface Entry {
  state: RunState;
  /**
   * The run's events by seq, a token kept as its text alone and made an event again when read: a stored token costs
   * its text and an array slot instead of an event object too (about 50 bytes less per token, for as long as the run
   * is kept, which for an answer held open for minutes is most of what the run holds).
   */
  events: Array<RunEvent | string>;
  /** When the run may be dropped; Infinity while it is active. */
  expiresAt: number;
  waiters: Waiters;
  /** Usually one (the run's driver): a `Waiters` holds one without a `Set` and its table (about 150 bytes a run). */
  cancelListeners: Waiters;
  claimed: boolean;
  idempotency?: IdempotencyClaim;
  /**
   * How many events `state.partial` includes. It is brought up to date when the state is read, not per token: `+=` per
   * token would keep a rope node per token for the run's life, where nobody polling means nobody reads it.
   */
  folded: number;
}

/**
 * A bounded in-process {@link RunStore}: enough for one server process. Ended runs expire after `ttlMs`; the number
 * of runs is capped by `maxRuns`, so memory stays bounded however many runs come and go.
 *
 * @example
 * const store = createMemoryRunStore({ ttlMs: 60_000 });
 */
export function createMemoryRunStore(options: MemoryRunStoreOptions = {}): RunStore {
  const ttlMs = options.ttlMs ?? 10 * 60_000;
  const maxRuns = options.maxRuns ?? 10_000;
  const now = options.now ?? Date.now;
  // Map keeps insertion order, so iteration visits the oldest runs first.
  const runs = new Map<string, Entry>();
  const keys = new Map<string, string>();
  const sweeper = setInterval(sweep, Math.min(ttlMs, 30_000));
  sweeper.unref();

  function live(id: string): Entry | undefined {
    const entry = runs.get(id);
    if (entry && entry.expiresAt <= now()) {
      drop(id, entry);
      return undefined;
    }
    return entry;
  }

  function drop(id: string, entry: Entry): void {
    runs.delete(id);
    if (entry.idempotency) keys.delete(entry.idempotency.key);
    wake(entry);
    entry.cancelListeners.clear();
  }

  function holderOf(key: string): { runId: string; fingerprint: string } | undefined {
    const runId = keys.get(key);
    const entry = runId === undefined ? undefined : live(runId);
    if (!runId || !entry?.idempotency) return undefined;
    return { runId, fingerprint: entry.idempotency.fingerprint };
  }

  function wake(entry: Entry): void {
    entry.waiters.wakeAll();
  }

  function sweep(): void {
    const time = now();
    for (const [id, entry] of runs) if (entry.expiresAt <= time) drop(id, entry);
  }

  function makeRoom(): void {
    if (runs.size < maxRuns) return;
    sweep();
    for (const [id, entry] of runs) {
      if (runs.size < maxRuns) return;
      if (entry.state.terminal) drop(id, entry);
    }
    if (runs.size >= maxRuns) {
      throw new ChatError('overloaded', 'the server holds too many runs; retry shortly', { retryAfterMs: 1000 });
    }
  }

  // Not `async`: an append is one per token, and an async function allocates a promise per call.
  const append: AppendFunction = (event) => {
    try {
      appendNow(event);
      return APPENDED;
    } catch (error) {
      return Promise.reject(error);
    }
  };
  append[appendsNow] = appendNow;

  function appendNow(event: RunEvent): void {
    const entry = live(event.id);
    if (!entry) throw new ChatError('not_found', 'unknown run');
    const { state } = entry;
    if (state.terminal) throw new ChatError('internal', 'the run has already ended');
    if (event.seq !== state.last_seq + 1) throw new ChatError('internal', `out-of-order seq ${event.seq}`);
    entry.events.push(event.type === 'token' ? event.text : event);
    state.last_seq = event.seq;
    state.status = statusAfter(state.status, event);
    if (isTerminalEvent(event)) {
      state.terminal = event;
      entry.expiresAt = now() + ttlMs;
      entry.cancelListeners.clear();
    }
    wake(entry);
  }

  return {
    async create(info: RunInfo, idempotency?: IdempotencyClaim): Promise<CreateResult> {
      if (runs.has(info.id)) throw new ChatError('internal', 'duplicate run id');
      if (idempotency) {
        const holder = holderOf(idempotency.key);
        if (holder) return { created: false, ...holder };
      }
      makeRoom();
      const entry: Entry = {
        state: { info, status: 'pending', partial: '', last_seq: -1 },
        events: [],
        expiresAt: Number.POSITIVE_INFINITY,
        waiters: new Waiters(),
        cancelListeners: new Waiters(),
        claimed: false,
        folded: 0,
      };
      if (idempotency) {
        entry.idempotency = idempotency;
        keys.set(idempotency.key, info.id);
      }
      runs.set(info.id, entry);
      return { created: true };
    },

    async findIdempotent(key: string) {
      return holderOf(key);
    },

    append,

    async get(id: string) {
      const entry = live(id);
      if (!entry) return undefined;
      foldPartial(entry);
      return { ...entry.state };
    },

    async read(id: string, after: number, limit = Number.POSITIVE_INFINITY) {
      const entry = live(id);
      if (!entry) return undefined;
      // seq equals the index, so reading from an index is exact.
      const start = Math.max(0, after + 1);
      const end = Math.min(entry.events.length, start + limit);
      const events: RunEvent[] = [];
      for (let seq = start; seq < end; seq++) {
        const stored = entry.events[seq] as RunEvent | string;
        events.push(typeof stored === 'string' ? { id, seq, type: 'token', text: stored } : stored);
      }
      return events;
    },

    waitForEvents(id: string, after: number, { timeoutMs, signal }: WaitOptions) {
      const entry = live(id);
      if (!entry || entry.state.last_seq > after || entry.state.terminal || signal?.aborted || timeoutMs <= 0) {
        return Promise.resolve();
      }
      return waitForWake(entry.waiters, timeoutMs, signal);
    },

    async requestCancel(id: string) {
      const entry = live(id);
      if (!entry || entry.state.terminal) return false;
      entry.cancelListeners.callAll();
      return true;
    },

    onCancel(id: string, listener: () => void) {
      const entry = live(id);
      if (!entry) return () => {};
      entry.cancelListeners.add(listener);
      return () => entry.cancelListeners.delete(listener);
    },

    async claim(id: string) {
      const entry = live(id);
      if (!entry || entry.state.terminal || entry.claimed) return false;
      entry.claimed = true;
      return true;
    },

    async ping() {},

    async close() {
      clearInterval(sweeper);
      for (const entry of runs.values()) wake(entry);
    },
  };
}

/** What every successful append answers. */
const APPENDED: Promise<void> = Promise.resolve();

/** Appends the text of the tokens stored since the last call to `state.partial`, as one piece. */
function foldPartial(entry: Entry): void {
  const { events, state } = entry;
  if (entry.folded === events.length) return;
  let text = '';
  for (let index = entry.folded; index < events.length; index++) {
    const stored = events[index];
    if (typeof stored === 'string') text += stored;
  }
  state.partial += text;
  entry.folded = events.length;
}
