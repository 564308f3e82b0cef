import { execFileSync, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MODES, type Mode } from '@chatwire/client-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestProvider, expectedText, SLOW_MODEL } from '../../../packages/client-sdk/test/helpers/fixtures.js';
import { startServer, type TestServer } from '../../../packages/client-sdk/test/helpers/start-server.js';
import { assertBuilt, CLI, finished, lineMatching, runCli, spawnCli } from './run-cli.js';

const provider = createTestProvider();
const question = 'What is long polling?';
let server: TestServer;
let expected: string;

beforeAll(async () => {
  assertBuilt();
  server = await startServer({ provider });
  expected = await expectedText(provider, { messages: [{ role: 'user', content: question }] });
});
afterAll(() => server.close());

const withNewline = (text: string) => (text.endsWith('\n') ? text : `${text}\n`);
const ESCAPE = '\x1b[';

describe.each(MODES)('chatwire "question" --mode %s', (mode: Mode) => {
  it('prints the answer and exits 0', async () => {
    const run = await runCli([question, '--mode', mode, '--url', server.url, '--model', 'sim/instant']);
    expect(run).toEqual({ code: 0, stdout: withNewline(expected), stderr: '' });
  });
});

describe('chatwire --json', () => {
  it('prints the protocol events as NDJSON, then a stats line', async () => {
    const run = await runCli([question, '--json', '--mode', 'ws', '--url', server.url]);
    expect(run.code).toBe(0);
    const lines = run.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    const stats = lines.pop();
    expect(stats).toMatchObject({ type: 'stats', mode: 'ws', requests: 1, reconnects: 0 });
    expect(lines[0]).toMatchObject({ type: 'start', seq: 0, model: 'sim/instant' });
    expect(lines.at(-1)).toMatchObject({ type: 'done', finish_reason: 'stop' });
    expect(lines.map((line) => line.seq)).toEqual(lines.map((_, index) => index));
    expect(lines.map((line) => (line.type === 'token' ? line.text : '')).join('')).toBe(expected);
  });

  it('ends with an error line shaped like the protocol event when the chat fails', async () => {
    const run = await runCli(['hi', '--json', '--model', 'nope', '--url', server.url]);
    expect(run.code).toBe(1);
    const lines = run.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines[0]).toMatchObject({ type: 'error', code: 'invalid_model', status: 400, retryable: false });
    expect(lines[1]).toMatchObject({ type: 'stats', mode: 'sse' });
  });
});

describe('chatwire --compare', () => {
  it('asks in all four modes and prints a table with the same text in each', async () => {
    const run = await runCli([question, '--compare', '--url', server.url]);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const [header, ...rows] = run.stdout.trimEnd().split('\n');
    expect(header?.split(/\s{2,}/)).toEqual([
      'mode',
      'first token',
      'total',
      'requests',
      'bytes',
      'reconnects',
      'tokens/s',
      'result',
    ]);
    expect(rows.slice(0, 4).map((row) => row.split(/\s+/)[0])).toEqual([...MODES]);
    for (const row of rows.slice(0, 4)) expect(row.endsWith('ok')).toBe(true);
    expect(rows[4]).toBe(`✓ same text in all 4 modes (${expected.length} characters)`);
  });

  it('prints one JSON line per mode with --json', async () => {
    const run = await runCli([question, '--compare', '--json', '--url', server.url]);
    const lines = run.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.map((line) => line.mode)).toEqual([...MODES]);
    for (const line of lines) {
      expect(line).toMatchObject({ ok: true, text: expected, reconnects: 0 });
      expect(line.requests).toBeGreaterThanOrEqual(1);
      expect(line.bytesReceived).toBeGreaterThan(expected.length / 2);
    }
  });
});

describe('failures', () => {
  it('a server that is down gives one clear line and exit 1, no stack trace', async () => {
    const down = await startServer();
    await down.close();
    for (const mode of ['sse', 'ws'] as const) {
      const run = await runCli(['hi', '--mode', mode, '--url', down.url]);
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(run.stderr).toContain(`127.0.0.1:${down.port} (ECONNREFUSED)`);
      expect(run.stderr).toContain('Is the server running?');
    }
  });

  it('a URL that is not a chatwire server is named in one line', async () => {
    const other: Server = createServer((_request, response) =>
      response.writeHead(404, { 'content-type': 'text/html' }).end('<h1>nope</h1>'),
    );
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const { port } = other.address() as AddressInfo;
    const run = await runCli(['hi', '--url', `http://127.0.0.1:${port}`]);
    other.close();
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `chatwire: http://127.0.0.1:${port} answered HTTP 404 (is this a chatwire server?). Check --url.\n`,
    );
  });

  it('a malformed URL or option is a usage error (exit 2)', async () => {
    const run = await runCli(['hi', '--url', 'localhost:8000']);
    expect(run).toEqual({
      code: 2,
      stdout: '',
      stderr: "chatwire: --url must be an http:// or https:// URL\nTry 'chatwire --help'.\n",
    });
    expect((await runCli(['hi', '--mode', 'carrier-pigeon'])).code).toBe(2);
    expect((await runCli(['--compare'])).code).toBe(2);
  });

  it('an unknown model lists the valid ones', async () => {
    const run = await runCli(['hi', '--model', 'gpt-17', '--url', server.url]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^chatwire: invalid_model: unknown model "gpt-17"; valid ids: .*sim\/instant.*\n$/);
  });
});

describe('Ctrl-C', () => {
  it.each(['sse', 'ws', 'polling'] as const)('cancels the %s run on the server and exits 130', async (mode) => {
    const aborted = provider.nextAbort();
    const child = spawnCli([
      'Tell me everything about HTTP caching.',
      '--json',
      '--mode',
      mode,
      '--model',
      SLOW_MODEL,
      '--url',
      server.url,
    ]);
    const run = finished(child);
    const start = JSON.parse(await lineMatching(child, (line) => line.includes('"type":"start"')));
    await lineMatching(child, (line) => line.includes('"type":"token"'));
    child.kill('SIGINT');
    const { code, stderr, stdout } = await run;
    expect(code).toBe(130);
    expect(stderr).toBe('cancelled\n');
    expect(stdout).toContain('"code":"cancelled"');
    await aborted;
    const snapshot = await (await fetch(`${server.url}/api/runs/${start.id}`)).json();
    expect(snapshot).toMatchObject({ status: 'cancelled' });
  });
});

describe('Ctrl-C in sync mode', () => {
  it('closes the request, which stops the run on the server', async () => {
    const aborted = provider.nextAbort();
    const calls = provider.calls.length;
    const child = spawnCli([
      'Tell me everything about DNS.',
      '--mode',
      'sync',
      '--model',
      SLOW_MODEL,
      '--url',
      server.url,
    ]);
    const run = finished(child);
    while (provider.calls.length === calls) await new Promise((resolve) => setTimeout(resolve, 10));
    child.kill('SIGINT');
    expect(await run).toEqual({ code: 130, stdout: '', stderr: 'cancelled\n' });
    await aborted;
  });
});

describe('the REPL (no question)', () => {
  it('keeps the conversation, switches modes and leaves on /exit', async () => {
    const upgrades = server.upgrades;
    const input = 'What is TCP?\n/mode ws\nAnd what about UDP?\n/exit\nnever asked\n';
    const run = await runCli(['--url', server.url], { input });
    expect(run.code).toBe(0);
    const first = await expectedText(provider, { messages: [{ role: 'user', content: 'What is TCP?' }] });
    const second = await expectedText(provider, {
      messages: [
        { role: 'user', content: 'What is TCP?' },
        { role: 'assistant', content: first },
        { role: 'user', content: 'And what about UDP?' },
      ],
    });
    expect(run.stdout).toBe(`${withNewline(first)}mode: ws\n${withNewline(second)}`);
    expect(server.upgrades - upgrades).toBe(1);
  });
});

const hasScript = (() => {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!hasScript)('on a terminal (through script(1))', () => {
  /** Runs the CLI on a pseudo-terminal and returns everything it drew. */
  const onTty = async (args: string[], env: Record<string, string> = {}) => {
    const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;
    const command = [process.execPath, CLI, ...args].map(quote).join(' ');
    const { NO_COLOR: _inherited, ...base } = process.env;
    const tty = spawn('script', ['-qfec', command, '/dev/null'], { env: { ...base, ...env } });
    let output = '';
    tty.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    await new Promise((resolve) => tty.once('close', resolve));
    return output;
  };

  it('shows a spinner until the first token, in colour', async () => {
    const output = await onTty(['hi', '--model', SLOW_MODEL, '--max-tokens', '5', '--url', server.url]);
    expect(output).toContain('thinking');
    expect(output).toContain(`${ESCAPE}36m`);
  });

  it('uses no colour with NO_COLOR', async () => {
    const output = await onTty(['hi', '--model', SLOW_MODEL, '--max-tokens', '5', '--url', server.url], {
      NO_COLOR: '1',
    });
    expect(output).toContain('thinking');
    expect(output).not.toMatch(/\x1b\[\d+m/);
  });
});
