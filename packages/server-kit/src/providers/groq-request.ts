import type Groq from 'groq-sdk';
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'groq-sdk';
import type { ChatCompletionCreateParamsStreaming } from 'groq-sdk/resources/chat/completions';

/** Options of {@link sendChatCompletion}. */
export interface ChatCompletionRequestOptions {
  /** Aborting it cancels the request, and later closes the streamed body. */
  controller: AbortController;
  /** Longest wait for the connection and the response headers, in ms. */
  timeoutMs: number;
  /** Which retry this request is (0 for the first try), sent as groq-sdk's `X-Stainless-Retry-Count`. */
  retryCount: number;
  fetch: typeof globalThis.fetch;
}

/**
 * Sends a streamed chat completion and resolves to the response once its headers are in. groq-sdk builds the request
 * (`client.buildRequest()`: URL, auth, content type and its `x-stainless-*` headers, the same as `create()` sends) and
 * makes the errors (`APIError.generate()` for a status, `APIConnectionError` and `APIConnectionTimeoutError` for the
 * connection), so what reaches the error mapping is what `create()` threw. The request itself goes through `fetch`
 * under the caller's controller: `create()` kept a promise chain, its options and an `AbortController` of its own per
 * request (about 3 KB a held stream), listening to the caller's signal for as long as the stream was open.
 */
export async function sendChatCompletion(
  client: Groq,
  body: ChatCompletionCreateParamsStreaming,
  { controller, timeoutMs, retryCount, fetch }: ChatCompletionRequestOptions,
): Promise<Response> {
  const { req, url } = await client.buildRequest(
    { method: 'post', path: '/openai/v1/chat/completions', body, stream: true },
    { retryCount },
  );
  const { signal } = controller;
  if (signal.aborted) throw new APIUserAbortError();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  let response: Response;
  try {
    // groq-sdk upper-cases the method too: undici does for POST, not every `fetch` one may inject does.
    response = await fetch(url, { ...(req as RequestInit), method: (req.method ?? 'post').toUpperCase(), signal });
  } catch (error) {
    if (timedOut) throw new APIConnectionTimeoutError();
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
