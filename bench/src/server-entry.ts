/**
 * The server process of a bench: one server under test (the kit, a bare baseline or a peer), plus the bench-only IPC
 * channel through which the orchestrator reads its CPU time, RSS and wire counters. Nothing else talks to it.
 *
 * Usage: node dist/server-entry.js <kind> [--no-metrics] [--groq] [--redis=<url>], kind one of `ServerKind`
 * (`kit` is the kit on Koa; `kit-node`, `kit-express`, `kit-fastify`, `kit-hono` mount it through another adapter).
 */
import type { KitAdapter } from './adapters.js';
import { serveIpc } from './ipc.js';
import { createServerSampler } from './server-stats.js';
import type { BenchServer } from './servers/bench-server.js';
import { startAiSdkServer } from './servers/ai-sdk.js';
import { startBareSseServer } from './servers/bare-sse.js';
import { startBareWsServer } from './servers/bare-ws.js';
import { startKitServer } from './servers/kit.js';
import { startSocketIoServer } from './servers/socket-io.js';
import type { ServerKind } from './targets.js';
import { meterServer } from './wire-meter.js';

const kitServer = (adapter: KitAdapter) => (flags: string[]) => {
  const redisUrl = flags.find((flag) => flag.startsWith('--redis='))?.slice('--redis='.length);
  return startKitServer({
    adapter,
    metrics: !flags.includes('--no-metrics'),
    groq: flags.includes('--groq'),
    ...(redisUrl ? { redisUrl } : {}),
  });
};

const STARTERS: Record<ServerKind, (flags: string[]) => Promise<BenchServer>> = {
  kit: kitServer('koa'),
  'kit-node': kitServer('node'),
  'kit-express': kitServer('express'),
  'kit-fastify': kitServer('fastify'),
  'kit-hono': kitServer('hono'),
  'bare-sse': () => startBareSseServer(),
  'bare-ws': () => startBareWsServer(),
  'ai-sdk': () => startAiSdkServer(),
  'socket.io': () => startSocketIoServer(),
};

const [kind, ...flags] = process.argv.slice(2);
const start = STARTERS[kind as ServerKind];
if (!start) {
  console.error(`usage: server-entry.js <${Object.keys(STARTERS).join('|')}>`);
  process.exit(2);
}
const started = start(flags).then((server) => {
  const meter = meterServer(server.server);
  return { server, sampler: createServerSampler(meter, server.openStreams?.bind(server)) };
});

serveIpc({
  ready: async () => (await started).server.url,
  reset: async () => (await started).sampler.reset(),
  sample: async () => (await started).sampler.sample(),
  close: async () => {
    const { server, sampler } = await started;
    sampler.stop();
    await server.close();
    // Exit after the answer is sent; --cpu-prof writes its profile on exit.
    setTimeout(() => process.exit(0), 50);
  },
});
