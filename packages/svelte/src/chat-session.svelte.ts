import type { ChatMode } from '@chatwire/client-sdk';
import {
  createChatSession,
  type ChatSession as Session,
  type ChatSessionOptions,
  type ChatSessionState,
  type SessionMessage,
} from '@chatwire/client-sdk/session';
import { onDestroy } from 'svelte';

/**
 * A conversation with a chatwire server as Svelte 5 state: `messages`, `status`, `mode` and `model` are `$state`, so a
 * component (or an `$effect`/`$derived` anywhere) that reads them follows the streaming reply. The methods delegate to
 * the framework-free `createChatSession()` of `@chatwire/client-sdk/session`: the request carries the conversation,
 * `stop()` cancels the run on the server, and with `storage` (default `sessionStorage` in browsers) a new
 * `ChatSession` with the same `id` after a reload resumes a reply that was still streaming, from its last seq.
 *
 * Created while a component initialises, it is destroyed with the component; created anywhere else (a module, an
 * event handler, a test), call {@link ChatSession.destroy} when done with it.
 *
 * @example
 * ```svelte
 * <script lang="ts">
 *   import { createChatClient } from '@chatwire/client-sdk';
 *   import { ChatSession } from '@chatwire/svelte';
 *
 *   const chat = new ChatSession({ client: createChatClient({ baseUrl: location.origin }) });
 *   let text = $state('');
 * </script>
 *
 * {#each chat.messages as message (message.id)}<p>{message.role}: {message.content}</p>{/each}
 * <form onsubmit={(event) => { event.preventDefault(); chat.send(text); text = ''; }}>
 *   <input bind:value={text} /> <button disabled={chat.status === 'streaming'}>Send</button>
 * </form>
 * ```
 */
export class ChatSession {
  /** The saved conversation's name (the `id` option, default `default`). */
  readonly id: string;
  readonly #session: Session;
  readonly #unsubscribe: () => void;
  #destroyed = false;
  // Raw: the session hands out a new array (and new objects for changed messages only) on every change, never mutated,
  // so deep proxies would only cost a copy per token.
  #messages = $state.raw<readonly SessionMessage[]>([]);
  #status = $state<ChatSessionState['status']>('idle');
  #mode = $state<ChatMode>('auto');
  #model = $state<string | undefined>();

  constructor(options: ChatSessionOptions) {
    this.#session = createChatSession(options);
    this.id = this.#session.id;
    this.#mode = this.#session.mode;
    this.#model = this.#session.model;
    this.#unsubscribe = this.#session.subscribe((state) => {
      this.#messages = state.messages;
      this.#status = state.status;
    });
    try {
      onDestroy(() => this.destroy());
    } catch {
      // Not created during a component's initialisation: destroy() is the owner's to call.
    }
  }

  /**
   * The conversation, oldest first: user messages and replies (a reply is `streaming`, then `done`, `stopped` or
   * `error`). A new array on every change, unchanged messages keep their identity; read-only.
   */
  get messages(): readonly SessionMessage[] {
    return this.#messages;
  }

  /** `streaming` while a reply streams; `error` when the last reply failed; else `idle`. */
  get status(): ChatSessionState['status'] {
    return this.#status;
  }

  /** How the next replies are delivered (`auto`, `sync`, `polling`, `sse` or `ws`); settable, e.g. `bind:value`. */
  get mode(): ChatMode {
    return this.#mode;
  }
  set mode(mode: ChatMode) {
    this.#mode = mode;
    this.#session.mode = mode;
  }

  /** The model of the next replies (`undefined`: the server's default); settable. */
  get model(): string | undefined {
    return this.#model;
  }
  set model(model: string | undefined) {
    this.#model = model;
    this.#session.model = model;
  }

  /** Sends a user message and streams the reply; resolves when the reply has ended (however it ended). */
  async send(text: string): Promise<void> {
    return this.#live().send(text);
  }

  /** Stops the streaming reply, cancelling its run on the server; the reply keeps what arrived, as `stopped`. */
  stop(): Promise<void> {
    return this.#session.stop();
  }

  /** Replaces the last reply (done, stopped or failed) with a new one to the same conversation. */
  async regenerate(): Promise<void> {
    return this.#live().regenerate();
  }

  /** Asks again after a failed reply (the same as {@link ChatSession.regenerate}). */
  async retry(): Promise<void> {
    return this.#live().retry();
  }

  /** Changes a user message, drops everything after it, and streams a new reply. */
  async editAndResend(messageId: string, text: string): Promise<void> {
    return this.#live().editAndResend(messageId, text);
  }

  /** Stops any reply and forgets the conversation, saved copy included. */
  clear(): Promise<void> {
    return this.#session.clear();
  }

  /**
   * Lets go of the session: the state stops changing and a streaming reply is no longer read, but its run goes on
   * on the server and the conversation stays saved, so a new `ChatSession` with the same `id` resumes it. Called
   * automatically when the component that created it is destroyed; idempotent. Sending afterwards rejects.
   */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#unsubscribe();
    this.#session.detach();
  }

  #live(): Session {
    if (this.#destroyed) throw new Error('this ChatSession was destroyed: create a new one');
    return this.#session;
  }
}
