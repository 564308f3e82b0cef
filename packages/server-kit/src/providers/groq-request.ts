import type Groq from 'groq-sdk';
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'groq-sdk';
import type { ChatCompletionCreateParamsStreaming } from 'groq-sdk/resources/chat/completions';

/** Options of {@link sendChatCompletion}. */
export interface ChatCompletionRequestOptions {
  /** The run's signal: aborting it cancels the request, or closes the streamed body. */
  signal: AbortSignal;
  /** Longest wait for the connection and the response headers, in ms. */
  timeoutMs: number;
  /** Which retry this request is (0 for the first try), sent as groq-sdk's `X-Stainless-Retry-Count`. */
  retryCount: number;
  fetch: typeof globalThis.fetch;
}

const TIMED_OUT = Symbol('timed out');

/**
 * Sends a streamed chat completion and resolves to the response once its headers are in. groq-sdk builds the request
 * (`client.buildRequest()`: URL, auth, content type and its `x-stainless-*` headers, the same as `create()` sends) and
 * makes the errors (`APIError.generate()` for a status, `APIConnectionError` and `APIConnectionTimeoutError` for the
 * connection), so what reaches the error mapping is what `create()` threw.
 *
 * What a held stream keeps is the point (every one of them is held for as long as Groq streams):
 * - `create()` kept a promise chain, its options and an `AbortController` of its own per request, listening to the
 *   run's signal. Here `fetch` gets the run's signal itself: an abort signal with a listener is about 950 bytes.
 * - `redirect: 'error'` and `window: null` let undici send the request as it is, instead of a copy for redirects with
 *   its own header list and a tee of the body (about 8 KiB a held stream, measured). Groq's API does not redirect; a
 *   redirect fails as a lost connection would.
 * - The wait for the headers is timed here rather than by aborting: a request that times out is left to the run's
 *   signal, which closes it (the run engine aborts a failed run's signal once the run has ended), and its answer, if
 *   one comes, is dropped.
 */
export async function sendChatCompletion(
  client: Groq,
  body: ChatCompletionCreateParamsStreaming,
  { signal, timeoutMs, retryCount, fetch }: ChatCompletionRequestOptions,
): Promise<Response> {
  const { req, url } = await client.buildRequest(
    { method: 'post', path: '/openai/v1/chat/completions', body, stream: true },
    { retryCount },
  );
  if (signal.aborted) throw new APIUserAbortError();
  // groq-sdk upper-cases the method too: undici does for POST, not every `fetch` one may inject does.
  const method = (req.method ?? 'post').toUpperCase();
  const sent = fetch(url, { ...(req as RequestInit), method, signal, redirect: 'error', window: null });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_resolve, reject) => (timer = setTimeout(reject, timeoutMs, TIMED_OUT)));
  let response: Response;
  try {
    response = await Promise.race([sent, timedOut]);
  } catch (error) {
    if (error === TIMED_OUT) {
      sent.then(
        (late) => late.body?.cancel().catch(() => {}),
        () => {},
      );
      throw new APIConnectionTimeoutError();
    }
    if (signal.aborted) throw new APIUserAbortError();
    if (isTimeout(error)) throw new APIConnectionTimeoutError();
    throw new APIConnectionError({ cause: error instanceof Error ? error : new Error(String(error)) });
  } finally {
    clearTimeout(timer);
  }
  if (response.ok) return response;
  // As groq-sdk reads an error: the body as JSON when it is JSON, else its text as the message.
  const text = await response.text().catch((error: unknown) => (error instanceof Error ? error.message : ''));
  const json = parseJson(text);
  throw APIError.generate(response.status, json as object, json ? undefined : text, response.headers);
}

/** groq-sdk's test for a connection that timed out (undici's connect timeout, say) rather than failed. */
function isTimeout(error: unknown): boolean {
  const cause = typeof error === 'object' && error !== null && 'cause' in error ? String(error.cause) : '';
  return /timed? ?out/i.test(String(error) + cause);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
