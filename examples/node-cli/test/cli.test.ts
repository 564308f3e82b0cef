import { execFileSync, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MODES, type ChatMode } from '@chatwire/client-sdk';
import { createChatKit } from '@chatwire/server-kit';
import Koa from 'koa';
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

describe.each<ChatMode>(['auto', ...MODES])('chatwire "question" --mode %s', (mode) => {
  it('prints the answer and exits 0', async () => {
    const run = await runCli([question, '--mode', mode, '--url', server.url, '--model', 'sim/instant']);
    expect(run).toEqual({ code: 0, stdout: withNewline(expected), stderr: '' });
  });
});

/** NDJSON output as objects. */
const records = (stdout: string) =>
  stdout
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line));

describe('chatwire --json', () => {
  it('prints the protocol events as NDJSON, then a stats line', async () => {
    const run = await runCli([question, '--json', '--mode', 'ws', '--url', server.url]);
    expect(run.code).toBe(0);
    const lines = run.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    const stats = lines.pop();
    expect(stats).toMatchObject({ type: 'stats', requestedMode: 'ws', mode: 'ws', requests: 1, reconnects: 0 });
    expect(lines[0]).toMatchObject({ type: 'start', seq: 0, model: 'sim/instant' });
    expect(lines.at(-1)).toMatchObject({ type: 'done', finish_reason: 'stop' });
    expect(lines.map((line) => line.seq)).toEqual(lines.map((_, index) => index));
    expect(lines.map((line) => (line.type === 'token' ? line.text : '')).join('')).toBe(expected);
  });

  it('in the default auto mode, says in the stats line that the WebSocket delivered it with no fallback', async () => {
    const run = await runCli([question, '--json', '--url', server.url]);
    expect(run.code).toBe(0);
    const lines = records(run.stdout);
    expect(lines.pop()).toMatchObject({ type: 'stats', requestedMode: 'auto', mode: 'ws', fallbacks: [] });
    expect(lines.map((line) => (line.type === 'token' ? line.text : '')).join('')).toBe(expected);
  });

  it('ends with an error line shaped like the protocol event when the chat fails', async () => {
    const run = await runCli(['hi', '--json', '--mode', 'sse', '--model', 'nope', '--url', server.url]);
    expect(run.code).toBe(1);
    const lines = records(run.stdout);
    expect(lines[0]).toMatchObject({ type: 'error', code: 'invalid_model', status: 400, retryable: false });
    expect(lines[1]).toMatchObject({ type: 'stats', mode: 'sse' });
  });

  it('in auto mode, an error the server answered is not a reason to switch transports', async () => {
    const run = await runCli(['hi', '--json', '--model', 'nope', '--url', server.url]);
    expect(run.code).toBe(1);
    const lines = records(run.stdout);
    expect(lines[0]).toMatchObject({ type: 'error', code: 'invalid_model', retryable: false });
    expect(lines[1]).toMatchObject({ type: 'stats', requestedMode: 'auto', mode: 'ws', fallbacks: [] });
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
    const lines = records(run.stdout);
    expect(lines.map((line) => line.mode)).toEqual([...MODES]);
    for (const line of lines) {
      expect(line).toMatchObject({ ok: true, text: expected, reconnects: 0, fallbacks: [] });
      expect(line.requests).toBeGreaterThanOrEqual(1);
      expect(line.bytesReceived).toBeGreaterThan(expected.length / 2);
    }
  });
});

describe('chatwire --stats', () => {
  it('names the mode that delivered the answer after it, on stderr', async () => {
    const run = await runCli([question, '--stats', '--url', server.url]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(withNewline(expected));
    expect(run.stderr).toMatch(/^auto → ws · first token [\d.]+ m?s · total [\d.]+ m?s · 1 request · [\d.]+ k?B · /);
    const plain = await runCli([question, '--stats', '--mode', 'polling', '--url', server.url]);
    expect(plain.stderr).toMatch(/^polling · first token /);
  });
});

describe('auto mode against a server that does not serve WebSocket', () => {
  let noSocket: { url: string; close(): Promise<void> };
  beforeAll(async () => {
    noSocket = await startServerWithout('ws');
  });
  afterAll(() => noSocket.close());

  it('falls back to SSE, gets the whole answer, and says why in --stats', async () => {
    const run = await runCli([question, '--stats', '--url', noSocket.url]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(withNewline(expected));
    // Two requests: the refused WebSocket upgrade, then the SSE POST.
    expect(run.stderr).toMatch(/^auto → sse \(ws→sse: ws_refused\) · first token [\d.]+ m?s · .* · 2 requests · /);
  });

  it('reports the final mode and the fallback in the --json stats line', async () => {
    const run = await runCli([question, '--json', '--url', noSocket.url]);
    expect(run.code).toBe(0);
    const lines = records(run.stdout);
    expect(lines.pop()).toMatchObject({
      type: 'stats',
      requestedMode: 'auto',
      mode: 'sse',
      fallbacks: [{ from: 'ws', to: 'sse', reason: 'ws_refused' }],
      reconnects: 0,
    });
    expect(lines.map((line) => line.seq)).toEqual(lines.map((_, index) => index));
    expect(lines.map((line) => (line.type === 'token' ? line.text : '')).join('')).toBe(expected);
  });

  it('in the REPL, remembers the fallback for the next question', async () => {
    const input = 'What is TCP?\nAnd what about UDP?\n';
    const run = await runCli(['--stats', '--url', noSocket.url], { input });
    expect(run.code).toBe(0);
    expect(run.stderr.trimEnd().split('\n')).toEqual([
      expect.stringMatching(/^auto → sse \(ws→sse: ws_refused\) · /),
      // The next question goes straight to SSE: one request, and nothing to report but that it was remembered.
      expect.stringMatching(/^auto → sse \(remembered\) · first token [\d.]+ m?s · .* · 1 request · /),
    ]);
  });
});

describe('failures', () => {
  it('a server that is down gives one clear line and exit 1, no stack trace', async () => {
    const down = await startServer();
    await down.close();
    for (const mode of ['auto', 'sse', 'ws'] as const) {
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
  it.each(['auto', 'sse', 'ws', 'polling'] as const)('cancels the %s run on the server and exits 130', async (mode) => {
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
    const seen = server.seen.length;
    const input = 'What is TCP?\n/mode sse\nAnd what about UDP?\n/mode auto\n/exit\nnever asked\n';
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
    expect(run.stdout).toBe(`${withNewline(first)}mode: sse\n${withNewline(second)}mode: auto\n`);
    // The first question went over the WebSocket (auto, the default), the second over SSE.
    expect(server.upgrades - upgrades).toBe(1);
    const requests = server.seen.slice(seen).map((request) => `${request.method} ${request.url}`);
    expect(requests.filter((request) => request === 'POST /api/sse/chat')).toHaveLength(1);
  });

  it('refuses an unknown mode and keeps the current one', async () => {
    const run = await runCli(['--url', server.url], { input: '/mode fax\n/exit\n' });
    expect(run).toEqual({
      code: 0,
      stdout: 'mode: auto\n',
      stderr: 'mode must be one of auto, sync, polling, sse, ws\n',
    });
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

/** The kit without one of its modes, mounted on Koa with nothing listening for upgrades: a WebSocket is refused. */
async function startServerWithout(missing: ChatMode): Promise<{ url: string; close(): Promise<void> }> {
  const kit = createChatKit({
    provider,
    modes: MODES.filter((mode) => mode !== missing),
    logger: { info() {}, warn() {}, error() {} },
  });
  const app = new Koa();
  app.silent = true;
  app.use(kit.middleware());
  const http = createServer(app.callback());
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    async close() {
      await kit.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
