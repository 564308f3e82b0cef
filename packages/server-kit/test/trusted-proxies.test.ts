import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { createClientAddress, createSimulatedProvider, type ChatKitOptions } from '../src/index.js';
import { nextFrame, openSocket, post } from './helpers/raw-modes.js';
import { startKit, type TestServer } from './helpers/start-kit.js';

const servers: TestServer[] = [];
afterAll(() => Promise.all(servers.map((server) => server.close())));

/** A kit allowing two run creations a minute per client, with the addresses its auth hook saw. */
async function limitedKit(options: Pick<ChatKitOptions, 'trustedProxies'>) {
  const seen: string[] = [];
  const server = await startKit({
    ...options,
    provider: createSimulatedProvider({ defaultModel: 'sim/instant' }),
    runLimits: { runsPerMinute: 2 },
    // Anonymous, but recording the address the kit resolved, and rate limited by it as the default is.
    authenticate: ({ ip }) => {
      seen.push(ip);
      return { id: 'anonymous', rateKey: `ip:${ip}` };
    },
  });
  servers.push(server);
  return { server, seen };
}

const chat = (server: TestServer, forwardedFor: string) =>
  post(`${server.url}/api/sync/chat`, '{"message":"hi"}', { 'x-forwarded-for': forwardedFor });

describe('X-Forwarded-For with no trusted proxy (the default)', () => {
  it('is ignored: a direct client rotating it is rate limited by its socket address', async () => {
    const { server, seen } = await limitedKit({});
    const statuses = [];
    for (const address of ['198.51.100.1', '198.51.100.2', '198.51.100.3', '198.51.100.4'])
      statuses.push((await chat(server, address)).status);
    expect(statuses).toEqual([200, 200, 429, 429]);
    expect(new Set(seen)).toEqual(new Set(['127.0.0.1']));
  });

  it('is ignored on WebSocket handshakes too', async () => {
    const { server, seen } = await limitedKit({});
    const socket = await openSocket(server.wsUrl, { headers: { 'x-forwarded-for': '198.51.100.9' } });
    socket.close();
    expect(seen).toEqual(['127.0.0.1']);
  });
});

describe('X-Forwarded-For from a trusted proxy', () => {
  it('counts each forwarded client under its own address', async () => {
    // The test client connects from 127.0.0.1, standing in for a proxy on this host.
    const { server, seen } = await limitedKit({ trustedProxies: ['127.0.0.1'] });
    const statuses = [];
    for (const address of ['203.0.113.5', '203.0.113.5', '203.0.113.5', '203.0.113.6'])
      statuses.push((await chat(server, address)).status);
    expect(statuses).toEqual([200, 200, 429, 200]);
    expect(seen).toEqual(['203.0.113.5', '203.0.113.5', '203.0.113.5', '203.0.113.6']);
  });

  it('believes only the hops it trusts: a client cannot prepend its own claim', async () => {
    const { server, seen } = await limitedKit({ trustedProxies: ['127.0.0.1'] });
    // What a client sending `X-Forwarded-For: 10.9.9.9` through a proxy yields: the proxy appends the real address.
    expect((await chat(server, '10.9.9.9, 203.0.113.7')).status).toBe(200);
    expect(seen).toEqual(['203.0.113.7']);
  });

  it('applies to WebSocket handshakes, and a WS chat counts against the forwarded address', async () => {
    const { server, seen } = await limitedKit({ trustedProxies: ['loopback'] });
    const socket = await openSocket(server.wsUrl, { headers: { 'x-forwarded-for': '203.0.113.8' } });
    socket.send(JSON.stringify({ type: 'chat', request_id: 'r1', message: 'hi' }));
    expect(await nextFrame(socket)).toMatchObject({ type: 'start', request_id: 'r1' });
    socket.close();
    expect(seen).toEqual(['203.0.113.8']);
  });
});

describe('createClientAddress', () => {
  async function resolveWith(trusted: string[], forwardedFor: string, family: 4 | 6 = 4): Promise<string> {
    const clientAddress = createClientAddress(trusted);
    let resolved = '';
    const server = createServer((request: IncomingMessage, response) => {
      resolved = clientAddress(request);
      response.end();
    });
    const host = family === 4 ? '127.0.0.1' : '::1';
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    const { port } = server.address() as AddressInfo;
    await fetch(`http://${family === 4 ? host : `[${host}]`}:${port}/`, {
      headers: { 'x-forwarded-for': forwardedFor },
    });
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return resolved;
  }

  it('takes CIDRs and IPv6, and reports IPv4-mapped addresses as IPv4', async () => {
    expect(await resolveWith(['127.0.0.0/8'], '203.0.113.1')).toBe('203.0.113.1');
    expect(await resolveWith(['10.0.0.0/8'], '203.0.113.1')).toBe('127.0.0.1');
    expect(await resolveWith(['::1'], '2001:db8::5', 6)).toBe('2001:db8::5');
    expect(await resolveWith([], '2001:db8::5', 6)).toBe('::1');
    // Every hop trusted: the left-most address is the best that is known.
    expect(await resolveWith(['loopback', '10.0.0.0/8'], '203.0.113.2, 10.1.2.3')).toBe('203.0.113.2');
  });

  it('refuses an entry that is not an address with a clear error', () => {
    expect(() => createClientAddress(['nginx'])).toThrow(/trusted proxies must be IP addresses or CIDRs/);
    expect(() => createClientAddress(['10.0.0.0/99'])).toThrow(/trusted proxies must be/);
  });
});
