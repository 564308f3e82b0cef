import { createInterface } from 'node:readline';
import { isChatError, type ChatClient, type ChatMessage, type ChatMode, type ChatStream } from '@chatwire/client-sdk';
import { CHAT_MODES, isChatMode, type CliOptions } from './parse-command-line.js';
import { describeError } from './describe-error.js';
import { streamAnswer } from './stream-answer.js';
import type { Terminal } from './terminal.js';

const HELP = `/mode [mode]  show or switch the mode: ${CHAT_MODES.join(', ')}
/model [id]   show the models or switch
/clear        forget the conversation
/exit         leave (also Ctrl-D; Ctrl-C stops an answer, or leaves at the prompt)`;

/**
 * The multi-turn chat: each line is a question asked with the conversation so far. Ctrl-C cancels the answer being
 * streamed (on the server too); at the prompt it leaves. Resolves with the exit code.
 */
export async function runRepl(
  client: ChatClient,
  terminal: Terminal,
  options: CliOptions,
  input: NodeJS.ReadableStream,
): Promise<number> {
  const { paint } = terminal;
  const interactive = terminal.interactive && (input as { isTTY?: boolean }).isTTY === true;
  const lines = createInterface({
    input,
    output: terminal.stdout,
    terminal: interactive,
    prompt: paint.cyan('you › '),
  });
  const history: ChatMessage[] = options.system === undefined ? [] : [{ role: 'system', content: options.system }];
  let mode: ChatMode = options.mode;
  let model = options.model;
  let current: ChatStream | undefined;

  const onInterrupt = () => {
    if (current) void current.cancel();
    else lines.close();
  };
  lines.on('SIGINT', onInterrupt); // a TTY in raw mode reports Ctrl-C here
  process.on('SIGINT', onInterrupt); // piped input: the real signal

  const prompt = () => interactive && lines.prompt();
  if (interactive) terminal.note(paint.dim(`chatwire · ${options.url} · mode ${mode} · /help for commands`));
  prompt();
  try {
    for await (const raw of lines) {
      const line = raw.trim();
      if (line === '') {
        prompt();
        continue;
      }
      if (line.startsWith('/')) {
        const [command = '', ...rest] = line.split(/\s+/);
        const argument = rest.join(' ');
        if (command === '/exit' || command === '/quit') break;
        if (command === '/help') terminal.stdout.write(`${HELP}\n`);
        else if (command === '/clear') history.splice(options.system === undefined ? 0 : 1);
        else if (command === '/mode') {
          if (argument !== '' && !isChatMode(argument))
            terminal.note(paint.red(`mode must be one of ${CHAT_MODES.join(', ')}`));
          else if (argument !== '') mode = argument;
          terminal.stdout.write(`mode: ${mode}\n`);
        } else if (command === '/model') {
          if (argument !== '') model = argument;
          else await listModels(client, terminal, model);
          if (argument !== '') terminal.stdout.write(`model: ${model}\n`);
        } else terminal.note(paint.red(`unknown command ${command}; /help lists them`));
        prompt();
        continue;
      }
      history.push({ role: 'user', content: line });
      try {
        const result = await streamAnswer(
          client,
          terminal,
          {
            mode,
            messages: [...history],
            model,
            maxTokens: options.maxTokens,
            temperature: options.temperature,
            json: options.json,
            stats: options.stats,
          },
          (stream) => (current = stream),
        );
        history.push({ role: 'assistant', content: result.text });
      } catch (error) {
        history.pop(); // the question was not answered; it is not part of the conversation
        terminal.note(paint.red(isChatError(error) && error.code === 'cancelled' ? 'cancelled' : describeError(error)));
      }
      prompt();
    }
  } finally {
    process.off('SIGINT', onInterrupt);
    lines.close();
  }
  return 0;
}

async function listModels(client: ChatClient, terminal: Terminal, current: string | undefined): Promise<void> {
  try {
    const models = await client.models();
    const selected = current ?? models.default;
    for (const model of models.data) terminal.stdout.write(`${model.id === selected ? '* ' : '  '}${model.id}\n`);
  } catch (error) {
    terminal.note(terminal.paint.red(describeError(error)));
  }
}
