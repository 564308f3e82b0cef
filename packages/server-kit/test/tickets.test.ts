import { execFileSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimulatedProvider, createTicketIssuer } from '../src/index.js';
import { ticketSecretFor } from '../src/ws-ticket.js';
import { handshakeStatus, post } from './helpers/raw-modes.js';
import { startKit, type TestServer } from './helpers/start-kit.js';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const keys = [`k1-${randomBytes(16).toString('hex')}`, `k2-${randomBytes(16).toString('hex')}`];
const servers: TestServer[] = [];
afterAll(() => Promise.all(servers.map((server) => server.close())));

async function keyedKit(options: { apiKeys: string[]; ticketSecret?: string }): Promise<TestServer> {
  const server = await startKit({ provider: createSimulatedProvider({ defaultModel: 'sim/instant' }), ...options });
  servers.push(server);
  return server;
}

/** A ticket for `principal` signed with `secret`, exactly as the kit builds them. */
function forge(secret: string, principal = 'key_0000000000000000'): string {
  const payload = Buffer.from(JSON.stringify({ p: principal, e: Date.now() + 60_000 })).toString('base64url');
  return `${payload}.${createHmac('sha256', secret).update(payload).digest('base64url')}`;
}

async function issuedTicket(server: TestServer, key: string): Promise<string> {
  const response = await post(`${server.url}/api/ws/ticket`, '', { authorization: `Bearer ${key}` });
  expect(response.status).toBe(200);
  return ((await response.json()) as { ticket: string }).ticket;
}

/** Every distinct word, quoted string and line of the repository's tracked text files: what an attacker can read. */
function repositoryStrings(): Set<string> {
  const files = execFileSync('git', ['ls-files', '-z'], { cwd: repoRoot, encoding: 'utf8' }).split('\0');
  const strings = new Set<string>();
  for (const file of files) {
    if (!/\.(ts|js|mjs|cjs|json|md|ya?ml|conf|svelte|example|env|sh|txt)$|^\.env|run$/.test(file)) continue;
    if (file.endsWith('package-lock.json')) continue;
    let text: string;
    try {
      text = readFileSync(join(repoRoot, file), 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      strings.add(line.trim());
      for (const word of line.split(/[\s"'`,;()[\]{}<>=]+/)) if (word) strings.add(word);
      for (const match of line.matchAll(/["'`]([^"'`]{1,200})["'`]/g)) strings.add(match[1] as string);
    }
  }
  return strings;
}

describe('WebSocket tickets on a keyed server without CHATWIRE_TICKET_SECRET', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await keyedKit({ apiKeys: keys });
  });

  it('opens a socket with a ticket it issued, and refuses tickets signed with guessable or published secrets', async () => {
    const ticket = await issuedTicket(server, keys[0] as string);
    expect(await handshakeStatus(`${server.wsUrl}?ticket=${encodeURIComponent(ticket)}`)).toBe(101);
    const guesses = ['', 'secret', 'changeme', 'change-me', 'chatwire', 'password', 'change-me-shared-ticket-secret'];
    for (const secret of [...guesses, ...keys]) {
      const forged = forge(secret);
      expect(await handshakeStatus(`${server.wsUrl}?ticket=${encodeURIComponent(forged)}`), secret).toBe(401);
    }
  });

  it('accepts tickets across instances configured with the same keys, in any order, and only those', async () => {
    const sibling = await keyedKit({ apiKeys: [...keys].reverse() });
    const stranger = await keyedKit({ apiKeys: [`other-${randomBytes(16).toString('hex')}`] });
    const ticket = encodeURIComponent(await issuedTicket(server, keys[1] as string));
    expect(await handshakeStatus(`${sibling.wsUrl}?ticket=${ticket}`)).toBe(101);
    expect(await handshakeStatus(`${stranger.wsUrl}?ticket=${ticket}`)).toBe(401);
  });
});

describe('a configured ticket secret', () => {
  it('is refused when shorter than 32 characters, and used as given otherwise', async () => {
    expect(() => createTicketIssuer({ secret: 'short' })).toThrow(/at least 32 characters/);
    expect(() => ticketSecretFor({ ticketSecret: 'x'.repeat(31), apiKeys: keys })).toThrow(/at least 32 characters/);
    const secret = randomBytes(24).toString('base64');
    const server = await keyedKit({ apiKeys: keys, ticketSecret: secret });
    expect(await handshakeStatus(`${server.wsUrl}?ticket=${encodeURIComponent(forge(secret))}`)).toBe(101);
    expect(await handshakeStatus(`${server.wsUrl}?ticket=${encodeURIComponent(forge(keys[0] as string))}`)).toBe(401);
  });
});

// Apart from the servers above: it takes a while, and an HTTP connection left idle meanwhile may be closed under it.
describe('the key a keyed kit derives', () => {
  it('signs with a key no string of the repository reproduces', () => {
    // The kit's own derivation for these keys, checked against everything an attacker can read in the repository.
    const issuer = createTicketIssuer({ secret: ticketSecretFor({ apiKeys: keys }) });
    const candidates = repositoryStrings();
    expect(candidates.size).toBeGreaterThan(10_000);
    expect(candidates).toContain('CHATWIRE_TICKET_SECRET');
    const accepted = [...candidates].filter((secret) => issuer.verify(forge(secret)) !== undefined);
    expect(accepted).toEqual([]);
    // The same check accepts a ticket signed with the real derived key, so it can fail.
    expect(issuer.verify(forge(ticketSecretFor({ apiKeys: keys })))).toBeDefined();
  });
});
