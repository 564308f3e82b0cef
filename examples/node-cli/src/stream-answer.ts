import { randomUUID } from 'node:crypto';
import {
  isChatError,
  type ChatClient,
  type ChatMessage,
  type ChatResult,
  type ChatMode,
  type ChatStream,
} from '@chatwire/client-sdk';
import { formatBytes, formatDelivery, formatDuration, tokensPerSecond } from './format.js';
import type { Terminal } from './terminal.js';

/** One question to stream. */
export interface AnswerRequest {
  mode: ChatMode;
  messages: ChatMessage[];
  model?: string | undefined;
  maxTokens?: number | undefined;
  temperature?: number | undefined;
  /** NDJSON events instead of text. */
  json: boolean;
  /** A stats line on stderr after the answer. */
  stats: boolean;
}

/**
 * Streams one answer to the terminal as it comes (a spinner until the first token on a TTY), or prints its events as
 * NDJSON followed by a `stats` line. `onStream` receives the stream at once, so Ctrl-C can cancel it. Throws the
 * stream's ChatError after printing what came before it.
 */
export async function streamAnswer(
  client: ChatClient,
  terminal: Terminal,
  request: AnswerRequest,
  onStream: (stream: ChatStream | undefined) => void,
): Promise<ChatResult> {
  const { stdout } = terminal;
  const stream = client.chat({
    mode: request.mode,
    messages: request.messages,
    // A fresh key per question lets the SDK send the creation again if a drop hides the server's answer.
    idempotencyKey: randomUUID(),
    ...(request.model === undefined ? {} : { model: request.model }),
    ...(request.maxTokens === undefined ? {} : { max_tokens: request.maxTokens }),
    ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
  });
  onStream(stream);
  const stopSpinner = request.json ? () => {} : terminal.spin('thinking…');
  let lineOpen = false;
  const closeLine = () => {
    if (lineOpen) stdout.write('\n');
    lineOpen = false;
  };
  try {
    for await (const event of stream) {
      if (request.json) {
        stdout.write(`${JSON.stringify(event)}\n`);
      } else if (event.type === 'token') {
        stopSpinner();
        stdout.write(event.text);
        lineOpen = !event.text.endsWith('\n');
      }
    }
    const result = await stream.result();
    closeLine();
    if (request.json) stdout.write(`${JSON.stringify(statsRecord(stream))}\n`);
    else if (request.stats) terminal.note(terminal.paint.dim(summarize(stream, result)));
    return result;
  } catch (error) {
    stopSpinner();
    closeLine();
    if (request.json) {
      stdout.write(`${JSON.stringify(errorRecord(error, stream))}\n`);
      stdout.write(`${JSON.stringify(statsRecord(stream))}\n`);
    }
    throw error;
  } finally {
    stopSpinner();
    closeLine();
    onStream(undefined);
  }
}

/**
 * The NDJSON stats line: `requestedMode` is what was asked for, `mode` the transport that delivered the end of the
 * answer and `fallbacks` the switches auto mode made (`[]` when none were needed).
 */
function statsRecord(stream: ChatStream): Record<string, unknown> {
  return { type: 'stats', requestedMode: stream.mode, ...stream.stats };
}

/** `auto → sse (ws→sse: ws_refused) · first token 243 ms · total 1.24 s · 1 request · 4.1 kB · 812 tokens/s`. */
function summarize(stream: ChatStream, result: ChatResult): string {
  const { stats } = stream;
  const rate = tokensPerSecond(result.usage.completion_tokens, stats.totalMs);
  return [
    formatDelivery(stream.mode, stats),
    `first token ${formatDuration(stats.timeToFirstTokenMs)}`,
    `total ${formatDuration(stats.totalMs)}`,
    `${stats.requests} request${stats.requests === 1 ? '' : 's'}`,
    formatBytes(stats.bytesReceived),
    ...(stats.reconnects > 0 ? [`${stats.reconnects} reconnects`] : []),
    ...(rate === undefined ? [] : [`${Math.round(rate)} tokens/s`]),
  ].join(' · ');
}

/** The NDJSON line for a failure, shaped like the protocol's `error` event. */
function errorRecord(error: unknown, stream: ChatStream): Record<string, unknown> {
  if (!isChatError(error))
    return { type: 'error', code: 'internal', message: 'unexpected client error', retryable: false };
  return {
    type: 'error',
    ...(stream.runId === undefined ? {} : { id: stream.runId }),
    code: error.code,
    message: error.message,
    retryable: error.retryable,
    status: error.status,
    ...(error.retryAfterMs === undefined ? {} : { retry_after_ms: error.retryAfterMs }),
  };
}
