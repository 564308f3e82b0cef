import { parseArgs } from 'node:util';
import { isMode, MODES, type ChatMode } from '@chatwire/client-sdk';

/** The modes the CLI accepts: `auto` (the default) first, then the protocol's four. */
export const CHAT_MODES: readonly ChatMode[] = ['auto', ...MODES];

/** True for `auto` or one of the protocol's modes. */
export function isChatMode(value: string): value is ChatMode {
  return value === 'auto' || isMode(value);
}

/** What the command line asked for. */
export interface CliOptions {
  /** The question; undefined opens the REPL. */
  question: string | undefined;
  mode: ChatMode;
  model: string | undefined;
  url: string;
  system: string | undefined;
  maxTokens: number | undefined;
  temperature: number | undefined;
  compare: boolean;
  json: boolean;
  stats: boolean;
  color: boolean;
}

/** The parse outcome: options to run, or help/version to print. */
export type ParsedCommandLine = { kind: 'run'; options: CliOptions } | { kind: 'help' } | { kind: 'version' };

/** A command-line mistake: printed as one line with a hint, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The `--help` text. */
export const USAGE = `Usage: chatwire [question] [options]

Streams the answer of a chatwire server to the terminal. Without a question, opens a
multi-turn chat (/mode, /model, /clear, /exit).

Options:
  -m, --mode <mode>         ${CHAT_MODES.join(' | ')} (default: auto, which uses
                            WebSocket, else SSE, else polling, and switches mid-answer)
      --model <id>          model id (default: the server's default)
  -u, --url <url>           server URL (default: $CHATWIRE_URL or http://localhost:8000)
  -s, --system <text>       system prompt
      --max-tokens <n>      cap the answer length
      --temperature <t>     0..2
      --compare             ask in all four modes at once and print a comparison table
      --json                print NDJSON events (then a stats line) instead of text
      --stats               after the answer, print the mode that delivered it (auto: and
                            why), time to first token, total time and traffic
      --no-color            no colours (also: NO_COLOR=1)
  -h, --help                show this help
  -v, --version             show the version

Environment: CHATWIRE_URL, CHATWIRE_API_KEY (sent as a bearer token), NO_COLOR.`;

/** Parses `argv` (without node and the script); throws {@link UsageError}. */
export function parseCommandLine(argv: string[], env: NodeJS.ProcessEnv): ParsedCommandLine {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        mode: { type: 'string', short: 'm' },
        model: { type: 'string' },
        url: { type: 'string', short: 'u' },
        system: { type: 'string', short: 's' },
        'max-tokens': { type: 'string' },
        temperature: { type: 'string' },
        compare: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        stats: { type: 'boolean', default: false },
        'no-color': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', short: 'v', default: false },
      },
    });
  } catch (error) {
    throw new UsageError(
      error instanceof Error ? (error.message.split('\n')[0] ?? 'invalid arguments') : 'invalid arguments',
    );
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };
  const mode = values.mode ?? 'auto';
  if (!isChatMode(mode)) throw new UsageError(`--mode must be one of ${CHAT_MODES.join(', ')}`);
  const url = values.url ?? env.CHATWIRE_URL ?? 'http://localhost:8000';
  if (!isHttpUrl(url)) throw new UsageError('--url must be an http:// or https:// URL');
  const question = positionals.join(' ').trim() || undefined;
  if (values.compare && question === undefined) throw new UsageError('--compare needs a question');
  return {
    kind: 'run',
    options: {
      question,
      mode,
      model: values.model,
      url,
      system: values.system,
      maxTokens: numberOption('--max-tokens', values['max-tokens'], (value) => Number.isInteger(value) && value >= 1),
      temperature: numberOption('--temperature', values.temperature, (value) => value >= 0 && value <= 2),
      compare: values.compare,
      json: values.json,
      stats: values.stats,
      color: !values['no-color'] && !env.NO_COLOR,
    },
  };
}

function numberOption(name: string, text: string | undefined, valid: (value: number) => boolean): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || !valid(value))
    throw new UsageError(`${name} has an invalid value`);
  return value;
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
