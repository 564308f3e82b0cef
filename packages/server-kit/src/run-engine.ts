import { createHash } from 'node:crypto';
import {
  isTerminalEvent,
  type Mode,
  type ModelInfo,
  type NormalizedChatRequest,
  type RunEvent,
  type RunSnapshot,
} from '@chatwire/protocol';
import { ChatError } from './chat-error.js';
import { createDisconnectPolicy } from './disconnect-policy.js';
import type { JobQueue, RunJob } from './job-queue.js';
import type { Principal } from './principal.js';
import type { Provider } from './provider.js';
import { driveRun, type RunObserver } from './run-driver.js';
import { createRunId } from './run-id.js';
import { createRunLimits, type RunLimits } from './run-limits.js';
import { toRunSnapshot } from './snapshot.js';
import type { RunInfo, RunState, RunStore } from './store.js';

export type { RunObserver, RunSummary } from './run-driver.js';

// At most this many events per batch a follower sends: a connection backs up by its high-water mark plus one batch
// (about 8 KB of SSE here), whatever a busy machine let pile up between two reads. A model's burst is smaller.
const FOLLOW_BATCH = 64;

/** Options of {@link createRunEngine}. */
export interface RunEngineOptions {
  provider: Provider;
  store: RunStore;
  /** Model used when a request names none (default: the provider's). */
  defaultModel?: string;
  /** How long the model list is cached (default 60 s). */
  modelsCacheMs?: number;
  /** How long a streaming run nobody follows keeps going before it is cancelled upstream (default 30 s). */
  disconnectGraceMs?: number;
  /** Admission control for new runs (default: {@link createRunLimits} defaults). */
  limits?: RunLimits;
  /** Where polling-mode runs wait for a worker (default: none, they run in this process at once). */
  jobQueue?: JobQueue;
  /** Told when runs start, stream their first token and end (metrics, logs). */
  observer?: RunObserver;
  now?: () => number;
}

/** Options of {@link RunEngine.start}. */
export interface StartOptions {
  mode: Mode;
  principal: Principal;
  /** WS `request_id`, echoed in the `start` event. */
  requestId?: string;
  /** A retried create with the same key (and body) attaches to the first run instead of starting another. */
  idempotencyKey?: string;
  /** Aborting it cancels the run (sync mode ties it to its connection). */
  signal?: AbortSignal;
}

/** The run {@link RunEngine.start} created, or (`attached`) the earlier run its idempotency key points to. */
export interface StartedRun {
  id: string;
  model: string;
  created_at: string;
  attached: boolean;
}

/** Drives providers into the store; the modes only start, follow, read and cancel runs through it. */
export interface RunEngine {
  readonly provider: Provider;
  readonly store: RunStore;
  models(signal?: AbortSignal): Promise<{ default: string; data: ModelInfo[] }>;
  /** Validates the model, admits the run, stores `start` and drives the provider in the background. */
  start(request: NormalizedChatRequest, options: StartOptions): Promise<StartedRun>;
  /** Batches of events with seq > `after`, as the store has them, until the terminal event or `signal` aborts. */
  follow(id: string, after: number, principal: Principal, signal: AbortSignal): AsyncGenerator<RunEvent[]>;
  /** The polling view of a run; with `after`, the newer events too. Throws `not_found` (also for others' runs). */
  snapshot(id: string, principal: Principal, after?: number): Promise<RunSnapshot>;
  /** Resolves when run `id` has an event with seq > `after`, has ended, or the wait runs out. */
  waitForEvents(id: string, after: number, options: { timeoutMs: number; signal?: AbortSignal }): Promise<void>;
  /**
   * Counts a reader of a streaming (SSE or WS) run that is not a follower, such as a long poll continuing it after a
   * client switched transports, so the disconnect policy does not cancel the run under it. Returns the release.
   */
  attachReader(id: string): () => void;
  /** Cancels a run started in any mode; false when it had already ended. Throws `not_found`. */
  cancel(id: string, principal: Principal): Promise<boolean>;
  activeRuns(): number;
  /** Refuses new runs, lets active ones finish until `deadlineMs`, then ends them with a retryable `interrupted`. */
  close(options?: { deadlineMs?: number }): Promise<void>;
}

/** Creates the run engine. */
export function createRunEngine(options: RunEngineOptions): RunEngine {
  const { provider, store } = options;
  const modelsCacheMs = options.modelsCacheMs ?? 60_000;
  const limits = options.limits ?? createRunLimits();
  const now = options.now ?? Date.now;
  const { observer } = options;
  const running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  const policy = createDisconnectPolicy(
    options.disconnectGraceMs ?? 30_000,
    (id) => running.has(id),
    (id) => {
      const local = running.get(id);
      // With a shared store the run may be written by another instance: the cancel request reaches it there.
      if (local) local.controller.abort(new ChatError('cancelled', 'nobody was reading the run'));
      else store.requestCancel(id).catch(() => {});
    },
    store.countFollowers?.bind(store),
  );
  const { jobQueue } = options;
  jobQueue?.process((job) => runJob(job));
  let modelCache: { at: number; data: ModelInfo[] } | undefined;
  let closing = false;

  async function listModels(signal?: AbortSignal): Promise<ModelInfo[]> {
    if (modelCache && now() - modelCache.at < modelsCacheMs) return modelCache.data;
    const data = await provider.listModels(signal);
    modelCache = { at: now(), data };
    return data;
  }

  async function resolveModel(requested: string | undefined): Promise<string> {
    const model = requested ?? options.defaultModel ?? provider.defaultModel;
    const data = await listModels();
    if (!data.some((info) => info.id === model)) {
      const ids = data.map((info) => info.id).join(', ');
      throw new ChatError('invalid_model', `unknown model "${model.slice(0, 100)}"; valid ids: ${ids}`);
    }
    return model;
  }

  async function owned(id: string, principal: Principal): Promise<RunState> {
    const state = await store.get(id);
    // Someone else's run answers exactly like a missing one: no information leaks.
    if (!state || state.info.owner !== principal.id) throw new ChatError('not_found', 'unknown or expired run');
    return state;
  }

  async function attach(claim: { runId: string; fingerprint: string }, fingerprint: string): Promise<StartedRun> {
    if (claim.fingerprint !== fingerprint) {
      throw new ChatError('idempotency_conflict', 'this Idempotency-Key was already used with a different request');
    }
    const state = await store.get(claim.runId);
    if (!state) throw new ChatError('not_found', 'the run of this Idempotency-Key has expired');
    return { id: state.info.id, model: state.info.model, created_at: state.info.created_at, attached: true };
  }

  async function enqueue(job: RunJob): Promise<void> {
    try {
      await (jobQueue as JobQueue).enqueue(job);
    } catch (caught) {
      const queued = ChatError.from(caught);
      const error =
        queued.code === 'internal'
          ? new ChatError('overloaded', 'the job queue is unavailable; retry shortly', {
              retryAfterMs: 1000,
              cause: caught,
            })
          : queued;
      await store.append({ id: job.info.id, seq: 1, type: 'error', ...error.toPayload() }).catch(() => {});
      throw error;
    }
  }

  /** A queue worker took `job` (a polling run accepted by any instance): drive it here. */
  async function runJob({ info, request }: RunJob): Promise<void> {
    const controller = new AbortController();
    const done = driveRun({ provider, store, observer }, info, request, controller).finally(() =>
      running.delete(info.id),
    );
    running.set(info.id, { controller, done });
    await done;
  }

  return {
    provider,
    store,

    async models(signal) {
      return { default: options.defaultModel ?? provider.defaultModel, data: await listModels(signal) };
    },

    async start(request, { mode, principal, requestId, idempotencyKey, signal }) {
      if (closing) throw new ChatError('overloaded', 'the server is shutting down; retry', { retryAfterMs: 1000 });
      if (signal?.aborted) throw new ChatError('cancelled', 'the request was aborted');
      const model = await resolveModel(request.model);
      // Only a request with an idempotency key is compared with the one that created its run.
      const claim =
        idempotencyKey === undefined
          ? undefined
          : { key: `${principal.id}:${idempotencyKey}`, fingerprint: fingerprintOf({ ...request, model }) };
      if (claim) {
        const holder = await store.findIdempotent(claim.key);
        if (holder) return attach(holder, claim.fingerprint);
      }
      const id = createRunId();
      const release = await limits.admit(principal, id);
      let slot: (() => void) | undefined;
      try {
        const created_at = new Date(now()).toISOString();
        const info: RunInfo = { id, model, mode, created_at, owner: principal.id };
        const start: RunEvent = { id, seq: 0, type: 'start', model, created_at };
        if (requestId !== undefined) start.request_id = requestId;
        // A polling run with a job queue is driven here when one of this process's worker slots is free, otherwise by
        // whichever worker takes it from the queue; every other run, here and now.
        slot = mode === 'polling' ? jobQueue?.reserve?.() : undefined;
        const queued = mode === 'polling' && jobQueue !== undefined && slot === undefined;
        // A store that can appends `start` and claims the run with its creation: one step instead of three.
        const result = await store.create(info, claim, { start, claim: !queued });
        if (!result.created) {
          release();
          slot?.();
          // Not created: the store found the claim's key taken, so there is a claim.
          return await attach(result, claim?.fingerprint ?? '');
        }
        if (!result.started) await store.append(start);
        if (queued) {
          await enqueue({ info, request: { ...request, model } });
          // The run's slot in the per-principal count stays taken until it ends, wherever a worker drives it.
          release();
          return { id, model, created_at, attached: false };
        }
        const controller = new AbortController();
        signal?.addEventListener('abort', () => controller.abort(new ChatError('cancelled', 'the client went away')), {
          once: true,
        });
        const done = driveRun({ provider, store, observer }, info, { ...request, model }, controller).finally(() => {
          running.delete(id);
          policy.forget(id);
          release();
          slot?.();
        });
        running.set(id, { controller, done });
        return { id, model, created_at, attached: false };
      } catch (error) {
        release();
        slot?.();
        throw error;
      }
    },

    async *follow(id, after, principal, signal) {
      const state = await owned(id, principal);
      // Sync has its own rule (its connection); polling runs are background tasks that nobody follows.
      const detach = state.info.mode === 'sse' || state.info.mode === 'ws' ? policy.attach(id) : () => {};
      let cursor = after;
      let ended = false;
      try {
        while (!signal.aborted) {
          // Bounded batches keep every write (and every coalesced token) small, however far a reader fell behind.
          const events = await store.read(id, cursor, FOLLOW_BATCH);
          if (!events) throw new ChatError('not_found', 'unknown or expired run');
          if (events.length > 0) {
            cursor = (events.at(-1) as RunEvent).seq;
            if (events.some(isTerminalEvent)) ended = true;
            yield events;
            if (ended) return;
          } else if ((await store.get(id))?.terminal) {
            // The run ended: either the reader is past its end (nothing more; waiting would return at once), or the
            // last events landed between the read and this check, and the next read has them.
            if (((await store.read(id, cursor, 1)) ?? []).length === 0) {
              ended = true;
              return;
            }
            continue;
          }
          await store.waitForEvents(id, cursor, { timeoutMs: 30_000, signal });
          // Until the first token is out, read at once: batching one turn later would add that turn to the TTFT.
          if (cursor >= 1) await nextTurn();
        }
      } finally {
        detach(ended);
      }
    },

    async snapshot(id, principal, after) {
      const state = await owned(id, principal);
      if (after === undefined) return toRunSnapshot(state);
      // Read exactly up to the state's last seq so `partial`, `status` and `events` describe the same moment.
      const events = (await store.read(id, after, Math.max(0, state.last_seq - after))) ?? [];
      return toRunSnapshot(state, events, after);
    },

    async waitForEvents(id, after, { timeoutMs, signal }) {
      await store.waitForEvents(id, after, signal ? { timeoutMs, signal } : { timeoutMs });
      if (after >= 1) await nextTurn();
    },

    attachReader: (id) => policy.attach(id),

    async cancel(id, principal) {
      await owned(id, principal);
      return store.requestCancel(id);
    },

    activeRuns: () => running.size,

    async close({ deadlineMs = 0 } = {}) {
      closing = true;
      // Stop taking queued jobs at once (other instances' workers take them); resolves once ours have returned.
      const queueClosed = jobQueue?.close();
      const active = [...running.values()];
      const finished = Promise.all(active.map((run) => run.done));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([finished, new Promise<void>((resolve) => (timer = setTimeout(resolve, deadlineMs)))]);
      clearTimeout(timer);
      const interrupted = new ChatError('interrupted', 'the server restarted during the run; resume or retry it');
      for (const run of running.values()) run.controller.abort(interrupted);
      await finished;
      await queueClosed;
      await limits.close?.();
      policy.close();
    },
  };
}

/**
 * One event-loop turn. A wait wakes on the first new event; reading one turn later takes everything the model
 * produced in that turn as one batch (one read, one write) instead of a read-write-wait cycle per token. Measured in
 * bench/: server CPU per token roughly halved, long polls answer bursts instead of single tokens.
 */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** What identifies a request's content, to tell a retry (same key, same request) from a key reused for another. */
function fingerprintOf(request: NormalizedChatRequest): string {
  return createHash('sha256').update(JSON.stringify(request)).digest('base64url');
}
