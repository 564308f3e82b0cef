import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createChatKit, createSimulatedProvider, type ProviderRequest } from '@chatwire/server-kit';

/**
 * The kit on node:http (WS attached) on an ephemeral loopback port, with a simulated model and two slower profiles:
 * `sim/steady` (~0.2 s of tokens in bursts, so state changes many times) and `sim/slow` (~2 s, time to stop or leave
 * mid-answer). `requests` lists what the provider was asked, one entry per run.
 */
export async function startServer() {
  const requests: ProviderRequest[] = [];
  const provider = createSimulatedProvider({
    defaultModel: 'sim/instant',
    profiles: {
      'sim/steady': { tokensPerSecond: 1500, firstTokenMs: { min: 10, max: 10 }, burstIntervalMs: 15 },
      'sim/slow': { tokensPerSecond: 150, firstTokenMs: { min: 20, max: 20 }, burstIntervalMs: 20 },
    },
    faults: (request) => void requests.push(request),
  });
  const kit = createChatKit({
    provider,
    runLimits: { runsPerMinute: 100_000 },
    logger: { info() {}, warn() {}, error() {} },
  });
  const server = createServer(kit.handler());
  kit.attachWebSocket(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    async close() {
      await kit.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A Map behind the Storage methods a session uses, standing in for a tab's sessionStorage across a reload. */
export function memoryStorage() {
  const values = new Map<string, string>();
  return {
    /** How many times something was saved. */
    writes: 0,
    getItem: (key: string) => values.get(key) ?? null,
    setItem(key: string, value: string) {
      this.writes++;
      values.set(key, value);
    },
    removeItem: (key: string) => void values.delete(key),
  };
}
