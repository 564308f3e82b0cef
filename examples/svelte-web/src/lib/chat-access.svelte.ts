import {
  createChatClient,
  isChatError,
  type ChatClient,
  type ChatMode,
  type ChatStream,
  type ModeStorage,
} from '@chatwire/client-sdk';
import type { CompareReply } from './compare-reply.svelte';

/**
 * What the API-key form shows: nothing; a request for a key; a key being checked; the server refused it; it could not
 * be checked (the server did not answer); or what was typed cannot be a key.
 */
export type KeyPrompt = 'hidden' | 'needed' | 'checking' | 'refused' | 'unchecked' | 'invalid';

/** The tab's storage; only `sessionStorage` is meant: the key ends with the tab and never goes to localStorage. */
export type KeyStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

/** A chat that failed: its error code, the mode it was asked in, and whether its run had started. */
export interface ChatFailure {
  code: string | undefined;
  mode: ChatMode;
  started: boolean;
}

/** Options of {@link ChatAccess}. */
export interface ChatAccessOptions {
  /** The server (the page's own origin: nginx, the reference server and Vite's dev proxy all serve both). */
  baseUrl: string;
  /** Where an accepted key is kept (default: `window.sessionStorage`; none when the browser forbids it). */
  storage?: KeyStorage | undefined;
}

const STORAGE_ITEM = 'chatwire.apiKey';

// A key travels in an `Authorization` header: anything else (spaces, line breaks, non-ASCII) would make fetch throw.
const USABLE_KEY = /^[\x21-\x7e]+$/;

/**
 * The app's chat client and the API key it uses. A server started with `CHATWIRE_API_KEYS` answers 401 without a key:
 * the first 401 shows the key form, a key is checked against the server before it is used, and an accepted key is
 * kept in the tab's sessionStorage. The key is sent as a bearer token over HTTP and reaches the WebSocket through a
 * short-lived ticket, so it never appears in a URL; it is kept in a private field, so no component can render it.
 */
export class ChatAccess {
  /** The client to use now; a changed key replaces it (the old one is closed, ending its WebSocket). */
  client = $state.raw<ChatClient>() as ChatClient;
  /**
   * A client that always goes through {@link client}, whatever key it has by then: for a `ChatSession`, which keeps
   * the client it was created with, so that a key entered or forgotten applies to its next request and its
   * conversation stays on screen. Its `close()` does nothing: the clients it goes through are closed when replaced.
   */
  readonly current: ChatClient = currentClientOf(this);
  /** True while a key is in use (the header offers to forget it). */
  hasKey = $state(false);
  prompt = $state<KeyPrompt>('hidden');
  /** Why the last key could not be checked, when {@link prompt} is `unchecked`. */
  problem = $state<string | undefined>(undefined);
  readonly #baseUrl: string;
  readonly #storage: KeyStorage | undefined;
  #retries: Array<() => void> = [];

  constructor(options: ChatAccessOptions) {
    this.#baseUrl = options.baseUrl;
    this.#storage = 'storage' in options ? options.storage : tabStorage();
    const stored = read(this.#storage);
    this.client = clientFor(this.#baseUrl, stored);
    this.hasKey = stored !== undefined;
  }

  /**
   * Runs a chat into `reply` with the current client. A chat refused for want of a key shows the form and runs again
   * once a key is accepted, if `wanted()` still says so (the reply is still on screen).
   */
  follow(reply: CompareReply, start: (client: ChatClient) => ChatStream, wanted: () => boolean): void {
    const client = this.client;
    void reply.follow(start(client)).then(async () => {
      if (reply.status !== 'error') return;
      const failure = { code: reply.errorCode, mode: reply.mode, started: reply.runId !== undefined };
      const sdkMessage = reply.error;
      reply.error = this.checking(failure) ?? sdkMessage;
      const problem = await this.askForKeyAfter(failure, client, () => {
        if (!wanted()) return;
        reply.reset();
        this.follow(reply, start, wanted);
      });
      if (reply.status === 'error') reply.error = problem ?? sdkMessage;
    });
  }

  /**
   * After a chat made with `client` failed: when it was refused for want of an accepted key, shows the key form, calls
   * `retry` once a key is accepted, and resolves with what to tell the user instead of the SDK's message; otherwise
   * resolves with `undefined`.
   */
  async askForKeyAfter(failure: ChatFailure, client: ChatClient, retry: () => void): Promise<string | undefined> {
    if (!(await this.#refusedForKey(failure, client))) return undefined;
    const problem = this.hasKey ? 'the server refused the API key' : 'the server needs an API key';
    this.askForKey(client, retry);
    return problem;
  }

  /**
   * What to show while {@link askForKeyAfter} looks into `failure`, when that takes a request to the server (a ws chat
   * that could not connect): the SDK's "could not connect" would be wrong for a server that only wants a key.
   * `undefined` when the SDK's message can stay until the answer.
   */
  checking(failure: ChatFailure): string | undefined {
    return needsLook(failure) ? 'could not connect; checking whether the server needs an API key…' : undefined;
  }

  /**
   * Shows the key form after a 401 answered to `client`, and calls `retry` once a key is accepted. When the key changed
   * since `client` was current, the request is simply retried with the new one.
   */
  askForKey(client: ChatClient, retry?: () => void): void {
    if (client !== this.client) return void (retry && queueMicrotask(retry));
    if (retry) this.#retries.push(retry);
    if (this.prompt === 'hidden') this.prompt = this.hasKey ? 'refused' : 'needed';
  }

  /** Checks `input` against the server (the models list needs a key too); uses and keeps it only if it is accepted. */
  async submit(input: string): Promise<void> {
    const key = input.trim();
    if (!USABLE_KEY.test(key)) return void (this.prompt = 'invalid');
    this.prompt = 'checking';
    const candidate = clientFor(this.#baseUrl, key);
    try {
      await candidate.models();
    } catch (error) {
      candidate.close();
      if (isChatError(error) && error.code === 'unauthorized') return void (this.prompt = 'refused');
      // The SDK's messages name the server and the failure, never the request's headers.
      this.problem = error instanceof Error ? error.message : 'no answer';
      return void (this.prompt = 'unchecked');
    }
    write(this.#storage, key);
    this.#use(candidate, true);
    this.prompt = 'hidden';
    for (const retry of this.#retries.splice(0)) retry();
  }

  /** Removes the key from the tab and from the client; the next request that needs one shows the form again. */
  forget(): void {
    write(this.#storage, undefined);
    this.#use(clientFor(this.#baseUrl, undefined), false);
    this.prompt = 'hidden';
  }

  #use(client: ChatClient, hasKey: boolean): void {
    const previous = this.client;
    this.client = client;
    this.hasKey = hasKey;
    previous.close();
  }

  /**
   * Whether a chat failed for want of an accepted key. A browser is not told why a WebSocket upgrade failed (a 401
   * looks like a network failure), so a ws chat that could not connect is followed by a look at the models list, which
   * a keyed server refuses without a key just the same.
   */
  async #refusedForKey(failure: ChatFailure, client: ChatClient): Promise<boolean> {
    if (failure.code === 'unauthorized') return true;
    if (!needsLook(failure)) return false;
    try {
      await client.models();
      return false;
    } catch (error) {
      return isChatError(error) && error.code === 'unauthorized';
    }
  }
}

/** A ws chat that never connected: a refused upgrade for want of a key looks the same to a browser. */
function needsLook(failure: ChatFailure): boolean {
  return failure.code === 'network' && failure.mode === 'ws' && !failure.started;
}

function currentClientOf(access: ChatAccess): ChatClient {
  return {
    chat: (options) => access.client.chat(options),
    resume: (runId, options) => access.client.resume(runId, options),
    cancel: (runId, options) => access.client.cancel(runId, options),
    models: (options) => access.client.models(options),
    get connection() {
      return access.client.connection;
    },
    close() {},
  };
}

function clientFor(baseUrl: string, key: string | undefined): ChatClient {
  return createChatClient({
    baseUrl,
    // Browsers cannot set WebSocket headers; a ticket keeps the key out of the socket's URL and subprotocols.
    ...(key === undefined ? {} : { apiKey: key, webSocketAuth: 'ticket' as const }),
    ...modeMemory(key === undefined ? 'without-key' : 'with-key'),
    // The server lets the browser cache the models list for a minute, whatever the key: a changed or forgotten key
    // must reach the server, not be answered from that cache.
    fetch: (input, init) => globalThis.fetch(input, { ...init, cache: 'no-store' }),
  });
}

/**
 * Where auto mode remembers what worked: the tab's sessionStorage, apart for clients with and without a key. A keyed
 * server refuses the WebSocket upgrade of a client without a key, which a browser cannot tell from a network that
 * blocks WebSockets: that fallback must not send the chats made once a key is entered to SSE.
 */
function modeMemory(scope: string): { modeStorage?: ModeStorage } {
  const storage = tabStorage();
  if (!storage) return {};
  return {
    modeStorage: {
      getItem: (name) => storage.getItem(`${name}#${scope}`),
      setItem: (name, value) => storage.setItem(`${name}#${scope}`, value),
    },
  };
}

function tabStorage(): KeyStorage | undefined {
  try {
    return window.sessionStorage;
  } catch {
    // Storage disabled (privacy settings, sandboxed frame): the key then lasts as long as the page.
    return undefined;
  }
}

function read(storage: KeyStorage | undefined): string | undefined {
  try {
    const key = storage?.getItem(STORAGE_ITEM)?.trim();
    return key && USABLE_KEY.test(key) ? key : undefined;
  } catch {
    return undefined;
  }
}

function write(storage: KeyStorage | undefined, key: string | undefined): void {
  try {
    if (key === undefined) storage?.removeItem(STORAGE_ITEM);
    else storage?.setItem(STORAGE_ITEM, key);
  } catch {
    // A full or disabled storage only costs the key after a reload.
  }
}

/** The app's one {@link ChatAccess}, for the page's own origin. */
export const chatAccess = new ChatAccess({ baseUrl: window.location.origin });
