import { randomUUID } from 'node:crypto';
import {
  MODES,
  isChatError,
  type ChatClient,
  type ChatMessage,
  type ChatStream,
  type Mode,
} from '@chatwire/client-sdk';
import { describeError } from './describe-error.js';
import { formatBytes, formatDuration, formatTable, tokensPerSecond } from './format.js';
import type { Terminal } from './terminal.js';

/** What `--compare` asks. */
export interface CompareRequest {
  messages: ChatMessage[];
  model?: string | undefined;
  maxTokens?: number | undefined;
  temperature?: number | undefined;
  json: boolean;
}

/** How one mode did. */
interface ModeOutcome {
  mode: Mode;
  stream: ChatStream;
  text?: string;
  completionTokens?: number;
  error?: unknown;
}

/**
 * Sends the same question in all four modes at once (not `auto`: it would only repeat one of them, whichever this
 * network allows, and its detection delays would blur the comparison) and prints, per mode, time to first token, total time, requests,
 * bytes and tokens/s (or one JSON line per mode with `--json`). Returns the exit code: 0 when every mode answered.
 */
export async function compareModes(
  client: ChatClient,
  terminal: Terminal,
  request: CompareRequest,
  onStreams: (streams: ChatStream[]) => void,
): Promise<number> {
  const started = MODES.map((mode) => ({
    mode,
    stream: client.chat({
      mode,
      messages: request.messages,
      idempotencyKey: randomUUID(), // one per mode: the same key would attach every mode to one run
      ...(request.model === undefined ? {} : { model: request.model }),
      ...(request.maxTokens === undefined ? {} : { max_tokens: request.maxTokens }),
      ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
    }),
  }));
  onStreams(started.map(({ stream }) => stream));
  const stopSpinner = request.json ? () => {} : terminal.spin(`asking in ${MODES.join(', ')}…`);
  const outcomes = await Promise.all(
    started.map(async ({ mode, stream }): Promise<ModeOutcome> => {
      try {
        const result = await stream.result();
        return { mode, stream, text: result.text, completionTokens: result.usage.completion_tokens };
      } catch (error) {
        return { mode, stream, error };
      }
    }),
  );
  stopSpinner();
  onStreams([]);
  if (request.json) {
    for (const outcome of outcomes) terminal.stdout.write(`${JSON.stringify(record(outcome))}\n`);
  } else {
    printTable(terminal, outcomes);
  }
  return outcomes.every((outcome) => outcome.error === undefined) ? 0 : 1;
}

function printTable(terminal: Terminal, outcomes: ModeOutcome[]): void {
  const { paint } = terminal;
  const rows = [['mode', 'first token', 'total', 'requests', 'bytes', 'reconnects', 'tokens/s', 'result']];
  for (const { mode, stream, error, completionTokens } of outcomes) {
    const { stats } = stream;
    const rate = tokensPerSecond(completionTokens, stats.totalMs);
    rows.push([
      mode,
      formatDuration(stats.timeToFirstTokenMs),
      formatDuration(stats.totalMs),
      String(stats.requests),
      formatBytes(stats.bytesReceived),
      String(stats.reconnects),
      rate === undefined ? '–' : String(Math.round(rate)),
      error === undefined ? 'ok' : isChatError(error) ? error.code : 'failed',
    ]);
  }
  terminal.stdout.write(`${formatTable(rows, paint.bold)}\n`);
  const texts = outcomes.flatMap((outcome) => (outcome.text === undefined ? [] : [outcome.text]));
  if (texts.length === outcomes.length && new Set(texts).size === 1) {
    terminal.stdout.write(
      `${paint.green('✓')} same text in all ${texts.length} modes (${texts[0]?.length ?? 0} characters)\n`,
    );
  } else if (texts.length > 1 && new Set(texts).size > 1) {
    terminal.stdout.write(`${paint.yellow('!')} the modes got different texts (expected from a sampling model)\n`);
  }
  for (const outcome of outcomes) {
    if (outcome.error !== undefined) terminal.note(paint.red(`${outcome.mode}: ${describeError(outcome.error)}`));
  }
}

function record(outcome: ModeOutcome): Record<string, unknown> {
  const { stats } = outcome.stream;
  const base = { ...stats, runId: outcome.stream.runId ?? null };
  if (outcome.error !== undefined) {
    const error = isChatError(outcome.error)
      ? { code: outcome.error.code, message: outcome.error.message }
      : { code: 'internal' };
    return { ...base, ok: false, error };
  }
  return {
    ...base,
    ok: true,
    completionTokens: outcome.completionTokens,
    tokensPerSecond: tokensPerSecond(outcome.completionTokens, stats.totalMs) ?? null,
    textLength: outcome.text?.length ?? 0,
    text: outcome.text,
  };
}
