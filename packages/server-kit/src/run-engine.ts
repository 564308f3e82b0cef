import {
  isTerminalEvent,
  type Mode,
  type ModelInfo,
  type NormalizedChatRequest,
  type RunEvent,
  type RunEventBody,
  type RunSnapshot,
} from '@chatwire/protocol';
import { ChatError } from './chat-error.js';
import type { Provider } from './provider.js';
import { createRunId } from './run-id.js';
import { toRunSnapshot } from './snapshot.js';
import type { RunStore } from './store.js';

/** Options of {@link createRunEngine}. */
export interface RunEngineOptions {
  provider: Provider;
  store: RunStore;
  /** Model used when a request names none (default: the provider's). */
  defaultModel?: string;
  /** How long the model list is cached (default 60 s). */
  modelsCacheMs?: number;
  /** How long a run with no one following it keeps going before it is cancelled upstream (default 30 s). */
  disconnectGraceMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

/** Options of {@link RunEngine.start}. */
export interface StartOptions {
  mode: Mode;
  /** WS `request_id`, echoed in the `start` event. */
  requestId?: string;
  /** Aborting it cancels the run (sync mode ties it to its connection). */
  signal?: AbortSignal;
}

/** What {@link RunEngine.start} answers once the run exists and its `start` event is stored. */
export interface StartedRun {
  id: string;
  model: string;
  created_at: string;
}

/** Drives providers into the store; the modes only start, follow, read and cancel runs through it. */
export interface RunEngine {
  readonly provider: Provider;
  readonly store: RunStore;
  /** The models offered and the default one. */
  models(signal?: AbortSignal): Promise<{ default: string; data: ModelInfo[] }>;
  /** Validates the model, creates the run, stores `start` and drives the provider in the background. */
  start(request: NormalizedChatRequest, options: StartOptions): Promise<StartedRun>;
  /** Events with seq > `after`, then new ones as they come, until the terminal event or `signal` aborts. */
  follow(id: string, after: number, signal: AbortSignal): AsyncGenerator<RunEvent>;
  /** The polling view of a run; with `after`, the newer events too. Throws `not_found`. */
  snapshot(id: string, after?: number): Promise<RunSnapshot>;
  /** Cancels a run started in any mode; false when it is unknown or has ended. */
  cancel(id: string): Promise<boolean>;
  /** Number of runs this engine is driving now. */
  activeRuns(): number;
  /** Cancels every active run and waits for them to end. */
  close(): Promise<void>;
}

/**
 * Creates the run engine.
 *
 * @example
 * const engine = createRunEngine({ provider: createSimulatedProvider(), store: createMemoryRunStore() });
 */
export function createRunEngine(options: RunEngineOptions): RunEngine {
  const { provider, store } = options;
  const modelsCacheMs = options.modelsCacheMs ?? 60_000;
  const graceMs = options.disconnectGraceMs ?? 30_000;
  const now = options.now ?? Date.now;
  const running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  const followers = new Map<string, number>();
  const graceTimers = new Map<string, NodeJS.Timeout>();
  let modelCache: { at: number; data: ModelInfo[] } | undefined;

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

  async function drive(id: string, request: NormalizedChatRequest & { model: string }, controller: AbortController) {
    let seq = 0;
    const emit = (body: RunEventBody) => store.append({ id, seq: ++seq, ...body } as RunEvent);
    const stopListening = store.onCancel(id, () => controller.abort());
    try {
      let finished = false;
      for await (const chunk of provider.stream(request, controller.signal)) {
        if (controller.signal.aborted) break;
        if (chunk.type === 'token') {
          if (chunk.text !== '') await emit({ type: 'token', text: chunk.text });
        } else {
          await emit({ type: 'done', finish_reason: chunk.finish_reason, usage: chunk.usage });
          finished = true;
          break;
        }
      }
      if (!finished) {
        throw controller.signal.aborted
          ? new ChatError('cancelled', 'the run was cancelled')
          : new ChatError('upstream_error', 'the model stream ended without finishing');
      }
    } catch (caught) {
      const error = controller.signal.aborted
        ? new ChatError('cancelled', 'the run was cancelled')
        : ChatError.from(caught, 'upstream_error');
      await emit({ type: 'error', ...error.toPayload() }).catch(() => {});
    } finally {
      stopListening();
      running.delete(id);
      clearGrace(id);
    }
  }

  function clearGrace(id: string): void {
    const timer = graceTimers.get(id);
    if (timer) clearTimeout(timer);
    graceTimers.delete(id);
  }

  function attach(id: string): () => void {
    followers.set(id, (followers.get(id) ?? 0) + 1);
    clearGrace(id);
    return () => {
      const count = (followers.get(id) ?? 1) - 1;
      if (count > 0) return void followers.set(id, count);
      followers.delete(id);
      // Nobody reads this run any more: keep it going for the grace period so it can be resumed, then stop paying.
      if (running.has(id)) {
        const timer = setTimeout(() => {
          graceTimers.delete(id);
          if (!followers.has(id)) void store.requestCancel(id);
        }, graceMs);
        timer.unref();
        graceTimers.set(id, timer);
      }
    };
  }

  return {
    provider,
    store,

    async models(signal) {
      const data = await listModels(signal);
      return { default: options.defaultModel ?? provider.defaultModel, data };
    },

    async start(request, { mode, requestId, signal }) {
      if (signal?.aborted) throw new ChatError('cancelled', 'the request was aborted');
      const model = await resolveModel(request.model);
      const id = createRunId();
      const created_at = new Date(now()).toISOString();
      await store.create({ id, model, mode, created_at });
      const start: RunEvent = { id, seq: 0, type: 'start', model, created_at };
      if (requestId !== undefined) start.request_id = requestId;
      await store.append(start);
      const controller = new AbortController();
      signal?.addEventListener('abort', () => controller.abort(), { once: true });
      const done = drive(id, { ...request, model }, controller);
      running.set(id, { controller, done });
      return { id, model, created_at };
    },

    async *follow(id, after, signal) {
      const detach = attach(id);
      let cursor = after;
      try {
        while (!signal.aborted) {
          const events = await store.read(id, cursor);
          if (!events) throw new ChatError('not_found', 'unknown or expired run');
          for (const event of events) {
            cursor = event.seq;
            yield event;
            if (isTerminalEvent(event)) return;
          }
          await store.waitForEvents(id, cursor, { timeoutMs: 30_000, signal });
        }
      } finally {
        detach();
      }
    },

    async snapshot(id, after) {
      const state = await store.get(id);
      if (!state) throw new ChatError('not_found', 'unknown or expired run');
      if (after === undefined) return toRunSnapshot(state);
      // Read exactly up to the state's last seq so `partial`, `status` and `events` describe the same moment.
      const events = (await store.read(id, after, Math.max(0, state.last_seq - after))) ?? [];
      return toRunSnapshot(state, events);
    },

    cancel(id) {
      return store.requestCancel(id);
    },

    activeRuns() {
      return running.size;
    },

    async close() {
      const active = [...running.values()];
      for (const run of active) run.controller.abort();
      await Promise.all(active.map((run) => run.done));
      for (const timer of graceTimers.values()) clearTimeout(timer);
      graceTimers.clear();
    },
  };
}
