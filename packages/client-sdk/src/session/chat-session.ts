import type { ChatMessage } from '@chatwire/protocol';
import type { ChatClient } from '../chat-client.js';
import { isChatError, type ChatErrorCode } from '../chat-error.js';
import type { ChatStats } from '../chat-stats.js';
import type { ChatStream } from '../chat-stream.js';
import type { ChatMode } from '../transport.js';
import { createSessionStore, defaultSessionStorage, type SessionStorageLike } from './session-store.js';

/** One message of a session's conversation. */
export interface SessionMessage {
  id: string;
  role: 'user' | 'assistant';
  content: string;
  /** A user message is always `done`; a reply streams, then is `done`, `stopped` (by `stop()`) or `error`. */
  status: 'streaming' | 'done' | 'error' | 'stopped';
  /** The run of a reply, once its `start` arrived. */
  runId?: string;
  /** The last event of the run this reply holds (what a reload resumes after). */
  seq?: number;
  model?: string;
  /** The chat's measurements, once it ended. */
  stats?: ChatStats;
  error?: { code: ChatErrorCode; message: string; retryable: boolean };
}

/** What a session's subscribers get: a new value on every change. */
export interface ChatSessionState {
  readonly messages: readonly SessionMessage[];
  /** `streaming` while a reply streams; `error` when the last reply failed; else `idle`. */
  readonly status: 'idle' | 'streaming' | 'error';
}

/** Options of {@link createChatSession}. */
export interface ChatSessionOptions {
  client: ChatClient;
  /** How replies are delivered (default `auto`). */
  mode?: ChatMode;
  /** The model (default: the server's). */
  model?: string;
  /** A system prompt sent before the conversation. */
  system?: string;
  /** Where the conversation is saved (default: `sessionStorage` in browsers, none in Node); `null`: nowhere. */
  storage?: SessionStorageLike | null;
  /** The saved conversation's name: a new session with the same id restores it (default `default`). */
  id?: string;
}

/**
 * A conversation with a chatwire server, as a chat UI needs it: the messages, the streaming reply, stop, regenerate,
 * edit-and-resend, and a reply that survives a page reload (it resumes from its last seq, once). `subscribe` is the
 * Svelte store contract, so any framework that can subscribe can render it.
 */
export interface ChatSession extends ChatSessionState {
  readonly id: string;
  mode: ChatMode;
  model: string | undefined;
  /** Sends a user message and streams the reply; resolves when the reply has ended (however it ended). */
  send(text: string): Promise<void>;
  /** Stops the streaming reply, cancelling its run on the server; the reply keeps what arrived, as `stopped`. */
  stop(): Promise<void>;
  /** Replaces the last reply (done, stopped or failed) with a new one to the same conversation. */
  regenerate(): Promise<void>;
  /** The last reply failed: ask again (the same as {@link ChatSession.regenerate}). */
  retry(): Promise<void>;
  /** Changes a user message, drops everything after it, and streams a new reply. */
  editAndResend(messageId: string, text: string): Promise<void>;
  /** Stops any reply and forgets the conversation (saved copy included). */
  clear(): Promise<void>;
  /** Calls `listener` now and on every change; returns the function that stops it. */
  subscribe(listener: (state: ChatSessionState) => void): () => void;
  /** Stops listening to the streaming reply without cancelling it (it can be resumed by a new session). */
  detach(): void;
}

const SAVE_EVERY_MS = 200;

/**
 * Creates a session; with a saved conversation under the same `id`, restores it and resumes a reply that was still
 * streaming. A reply whose run expired meanwhile shows as an error to retry.
 *
 * @example
 * const session = createChatSession({ client: createChatClient({ baseUrl: location.origin }) });
 * session.subscribe(({ messages, status }) => render(messages, status));
 * await session.send('Why is the sky blue?');
 */
export function createChatSession(options: ChatSessionOptions): ChatSession {
  const { client } = options;
  const id = options.id ?? 'default';
  const store = createSessionStore(
    options.storage === null ? undefined : (options.storage ?? defaultSessionStorage()),
    id,
  );
  const listeners = new Set<(state: ChatSessionState) => void>();
  let messages: SessionMessage[] = store.load();
  let current: { stream: ChatStream; messageId: string; stopping: boolean; done: Promise<void> } | undefined;
  let saveTimer: ReturnType<typeof setTimeout> | undefined;
  let mode: ChatMode = options.mode ?? 'auto';
  let model = options.model;

  const status = (): ChatSessionState['status'] =>
    current ? 'streaming' : messages.at(-1)?.status === 'error' ? 'error' : 'idle';

  function save(now: boolean): void {
    if (!now) {
      saveTimer ??= setTimeout(() => save(true), SAVE_EVERY_MS);
      return;
    }
    clearTimeout(saveTimer);
    saveTimer = undefined;
    store.save(messages);
  }

  function changed(saveNow: boolean | 'never' = true): void {
    if (saveNow !== 'never') save(saveNow);
    const state: ChatSessionState = { messages, status: status() };
    for (const listener of [...listeners]) listener(state);
  }

  function update(messageId: string, patch: Partial<SessionMessage>, saveNow = true): void {
    messages = messages.map((message) => (message.id === messageId ? { ...message, ...patch } : message));
    changed(saveNow);
  }

  function history(): ChatMessage[] {
    const turns: ChatMessage[] = options.system ? [{ role: 'system', content: options.system }] : [];
    for (const message of messages) {
      if (message.role === 'assistant' && (message.status === 'error' || message.content === '')) continue;
      turns.push({ role: message.role, content: message.content });
    }
    return turns;
  }

  /** Reads `stream` into reply `messageId` until it ends. */
  function consume(stream: ChatStream, messageId: string): Promise<void> {
    const entry = { stream, messageId, stopping: false, done: Promise.resolve() };
    current = entry;
    entry.done = (async () => {
      try {
        for await (const event of stream) {
          if (current !== entry) return;
          const reply = messages.find((message) => message.id === messageId);
          if (!reply) return;
          if (event.type === 'start') update(messageId, { runId: event.id, model: event.model, seq: event.seq });
          else if (event.type === 'token')
            update(messageId, { content: reply.content + event.text, seq: event.seq }, false);
          else {
            // Not streaming any more before anyone hears of the reply's end: status and message agree.
            current = undefined;
            update(messageId, { seq: event.seq, status: 'done', stats: { ...stream.stats } });
          }
        }
      } catch (error) {
        if (current !== entry) return;
        current = undefined;
        if (entry.stopping && isChatError(error) && error.code === 'cancelled') {
          update(messageId, { status: 'stopped', stats: { ...stream.stats } });
        } else {
          const failure = isChatError(error)
            ? {
                code: error.code,
                message: describe(error.code, error.message),
                // An expired run cannot be resumed, but asking again can: the UI offers a retry.
                retryable: error.retryable || error.code === 'not_found',
              }
            : { code: 'network' as const, message: 'the connection failed', retryable: true };
          update(messageId, { status: 'error', error: failure, stats: { ...stream.stats } });
        }
      } finally {
        if (current === entry) {
          current = undefined;
          changed();
        }
      }
    })();
    return entry.done;
  }

  function reply(): Promise<void> {
    if (current) return Promise.reject(new Error('a reply is still streaming: stop it first'));
    const messageId = newId();
    const request = history();
    messages = [...messages, { id: messageId, role: 'assistant', content: '', status: 'streaming' }];
    // consume() marks the reply as in progress before anyone hears of it: status is `streaming` from the first call.
    const done = consume(
      client.chat({ mode, messages: request, ...(model === undefined ? {} : { model }) }),
      messageId,
    );
    changed();
    return done;
  }

  /** Resumes a reply left streaming by a previous page, from its last seq. */
  function resumeSaved(): void {
    const last = messages.at(-1);
    if (last?.role !== 'assistant' || last.status !== 'streaming') return;
    if (last.runId === undefined) {
      const error = {
        code: 'interrupted' as const,
        message: 'the page was left before the reply started',
        retryable: true,
      };
      messages = messages.map((message) => (message.id === last.id ? { ...last, status: 'error', error } : message));
      return;
    }
    const resumeMode = mode === 'sync' ? 'auto' : mode;
    void consume(client.resume(last.runId, { mode: resumeMode, after: last.seq ?? -1 }), last.id);
  }

  async function stopCurrent(): Promise<void> {
    const running = current;
    if (!running) return;
    running.stopping = true;
    await running.stream.cancel();
    await running.done;
  }

  const session: ChatSession = {
    id,
    get messages() {
      return messages;
    },
    get status() {
      return status();
    },
    get mode() {
      return mode;
    },
    set mode(next) {
      mode = next;
    },
    get model() {
      return model;
    },
    set model(next) {
      model = next;
    },
    send(text) {
      if (current) return Promise.reject(new Error('a reply is still streaming: stop it first'));
      messages = [...messages, { id: newId(), role: 'user', content: text, status: 'done' }];
      return reply();
    },
    stop: stopCurrent,
    async regenerate() {
      if (current) throw new Error('a reply is still streaming: stop it first');
      if (messages.at(-1)?.role === 'assistant') messages = messages.slice(0, -1);
      if (messages.length === 0) return;
      await reply();
    },
    retry: () => session.regenerate(),
    async editAndResend(messageId, text) {
      await stopCurrent();
      const index = messages.findIndex((message) => message.id === messageId && message.role === 'user');
      if (index < 0) throw new Error(`no user message ${messageId} in this session`);
      messages = [...messages.slice(0, index), { ...(messages[index] as SessionMessage), content: text }];
      await reply();
    },
    async clear() {
      await stopCurrent();
      messages = [];
      clearTimeout(saveTimer);
      saveTimer = undefined;
      store.remove();
      changed('never');
    },
    subscribe(listener) {
      listeners.add(listener);
      listener({ messages, status: status() });
      return () => void listeners.delete(listener);
    },
    detach() {
      current = undefined;
      changed();
    },
  };
  resumeSaved();
  return session;
}

function newId(): string {
  return globalThis.crypto.randomUUID();
}

/** A message a chat UI can show for the codes a user meets. */
function describe(code: ChatErrorCode, message: string): string {
  if (code === 'not_found') return 'this reply is no longer available on the server; retry to ask again';
  return message;
}
