#!/usr/bin/env node
import {
  createChatClient,
  isChatError,
  type ChatClient,
  type ChatMessage,
  type ChatStream,
} from '@chatwire/client-sdk';
import packageJson from '../package.json' with { type: 'json' };
import { parseCommandLine, UsageError, USAGE, type CliOptions } from './parse-command-line.js';
import { compareModes } from './compare-modes.js';
import { describeError } from './describe-error.js';
import { runRepl } from './run-repl.js';
import { streamAnswer } from './stream-answer.js';
import { createTerminal, type Terminal } from './terminal.js';

/** Exit codes: 0 answered, 1 the chat failed, 2 bad command line, 130 cancelled with Ctrl-C. */
const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  let command;
  try {
    command = parseCommandLine(argv, env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`chatwire: ${error.message}\nTry 'chatwire --help'.\n`);
    return EXIT.usage;
  }
  if (command.kind === 'help') return (void process.stdout.write(`${USAGE}\n`), EXIT.ok);
  if (command.kind === 'version') return (void process.stdout.write(`${packageJson.version}\n`), EXIT.ok);
  const { options } = command;
  const terminal = createTerminal({ stdout: process.stdout, stderr: process.stderr, color: options.color });
  const apiKey = env.CHATWIRE_API_KEY;
  const client = createChatClient({ baseUrl: options.url, ...(apiKey ? { apiKey } : {}) });
  try {
    if (options.question === undefined) return await runRepl(client, terminal, options, process.stdin);
    return await askOnce(client, terminal, options, options.question);
  } finally {
    client.close();
  }
}

/** One question (or `--compare`): Ctrl-C cancels the run on the server, a second Ctrl-C exits at once. */
async function askOnce(client: ChatClient, terminal: Terminal, options: CliOptions, question: string): Promise<number> {
  const messages: ChatMessage[] = [
    ...(options.system === undefined ? [] : [{ role: 'system' as const, content: options.system }]),
    { role: 'user', content: question },
  ];
  let active: ChatStream[] = [];
  let interrupted = false;
  const onInterrupt = () => {
    if (interrupted) process.exit(EXIT.interrupted);
    interrupted = true;
    for (const stream of active) void stream.cancel();
  };
  process.on('SIGINT', onInterrupt);
  try {
    const request = {
      messages,
      model: options.model,
      maxTokens: options.maxTokens,
      temperature: options.temperature,
      json: options.json,
    };
    if (options.compare) {
      const code = await compareModes(client, terminal, request, (streams) => (active = streams));
      return interrupted ? EXIT.interrupted : code;
    }
    await streamAnswer(client, terminal, { ...request, mode: options.mode, stats: options.stats }, (stream) => {
      active = stream ? [stream] : [];
    });
    return EXIT.ok;
  } catch (error) {
    const cancelled = interrupted && isChatError(error) && error.code === 'cancelled';
    terminal.note(terminal.paint.red(cancelled ? 'cancelled' : `chatwire: ${describeError(error)}`));
    return cancelled ? EXIT.interrupted : EXIT.failed;
  } finally {
    process.off('SIGINT', onInterrupt);
  }
}

// `chatwire ... | head` closes the pipe early: that is the reader's choice, not an error worth a stack trace.
for (const output of [process.stdout, process.stderr]) {
  output.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

// Runs on import, with no is-this-the-entry-file check: the entry is bin/chatwire.js, which imports this build.
main(process.argv.slice(2), process.env).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`chatwire: ${describeError(error)}\n`);
    if (process.env.CHATWIRE_DEBUG) process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = EXIT.failed;
  },
);
