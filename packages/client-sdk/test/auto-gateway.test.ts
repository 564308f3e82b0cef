/**
 * Issue 14: `mode: 'auto'` through a gateway that behaves like hostile networks do. The gateway holds every
 * `text/event-stream` response, headers and body, until it ends (some antivirus gateways and corporate proxies do), and
 * passes, refuses or cuts WebSockets. With a model that streams for about ten seconds, the auto client must get the
 * exact text with no seq missing or repeated, its first token within 4 s, one run on the server, and report the mode
 * it ended on and each switch. The same through real nginx and in Chromium: examples/svelte-web/test/auto-nginx.test.ts.
 */
import type { ChatRequest } from '@chatwire/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { observeProvider, type ObservedProvider } from '../../server-kit/test/helpers/observed-provider.js';
import { createChatClient, type Fallback } from '../src/index.js';
import { readOutcome, verdictOf } from './helpers/auto-outcome.js';
import { createChaosRandom } from './helpers/chaos-random.js';
import { startGatewayProxy, type GatewayProxyOptions } from './helpers/gateway-proxy.js';
import { answerOf, createTenSecondProvider, TEN_SECOND_REQUEST } from './helpers/slow-answer.js';
import { startServer, type TestServer } from './helpers/start-server.js';

let provider: ObservedProvider;
let server: TestServer;

beforeAll(async () => {
  provider = observeProvider(createTenSecondProvider());
  const unlimited = 1_000_000;
  server = await startServer({
    provider,
    runLimits: { maxConcurrentRuns: unlimited, maxConcurrentRunsPerPrincipal: unlimited, runsPerMinute: unlimited },
  });
});
afterAll(() => server.close());

/** {@link TEN_SECOND_REQUEST} made unique by `label`, so each chat's runs can be counted by prompt. */
function requestFor(label: string): ChatRequest & { model: string } {
  return { ...TEN_SECOND_REQUEST, message: `${TEN_SECOND_REQUEST.message} (${label})` };
}

/** Runs the provider was asked for with `request`'s prompt. */
function runsOf(request: ChatRequest): number {
  return provider.calls.filter((call) => call.messages.at(-1)?.content === request.message).length;
}

/** One auto chat through a fresh gateway and a fresh client (nothing remembered from another test). */
async function chatThrough(gateway: GatewayProxyOptions, request: ChatRequest & { model: string }) {
  const proxy = await startGatewayProxy(server.port, gateway);
  const client = createChatClient({ baseUrl: proxy.url });
  try {
    const expected = await answerOf(request);
    const outcome = await readOutcome(client.chat({ mode: 'auto', ...request }));
    return { verdict: verdictOf(outcome, expected), proxy, runs: runsOf(request) };
  } finally {
    client.close();
    await proxy.close();
  }
}

const WS_REFUSED: Fallback = { from: 'ws', to: 'sse', reason: 'ws_refused' };
const WS_LOST: Fallback = { from: 'ws', to: 'sse', reason: 'ws_lost' };
const SSE_BUFFERED: Fallback = { from: 'sse', to: 'polling', reason: 'sse_buffered' };
const exact = { text: 'exact', seqs: 'gapless', firstTokenInTime: true, error: undefined };

describe('mode: auto through a gateway that holds event streams whole', () => {
  it.concurrent(
    'alone: the WebSocket passes, so auto stays on ws and never meets the held SSE',
    async () => {
      const { verdict, proxy, runs } = await chatThrough({ holdEventStreams: true }, requestFor('held, ws passes'));
      expect(verdict).toEqual({ ...exact, mode: 'ws', fallbacks: [] });
      expect(proxy.heldStreams).toBe(0);
      expect(runs).toBe(1);
    },
    60_000,
  );

  it.concurrent(
    'with upgrades refused: ws refused, the held SSE noticed, the answer finished by polling',
    async () => {
      const { verdict, proxy, runs } = await chatThrough(
        { holdEventStreams: true, upgrades: 'refuse' },
        requestFor('held, ws refused'),
      );
      expect(verdict).toEqual({ ...exact, mode: 'polling', fallbacks: [WS_REFUSED, SSE_BUFFERED] });
      expect(proxy.refusedUpgrades).toBeGreaterThan(0);
      expect(proxy.heldStreams).toBe(1);
      // The held POST created the run and the lookup by idempotency key found it: never a second run.
      expect(runs).toBe(1);
    },
    60_000,
  );

  it.concurrent(
    'resume(id, { mode: auto }) of a run under way ends on polling with the rest of its text',
    async () => {
      const request = requestFor('resumed');
      const expected = await answerOf(request);
      const proxy = await startGatewayProxy(server.port, { holdEventStreams: true, upgrades: 'refuse' });
      const client = createChatClient({ baseUrl: proxy.url });
      try {
        // Start it by polling and leave after a few tokens: a run that someone else started, resumed from seq `after`.
        let prefix = '';
        let after = -1;
        let runId = '';
        for await (const event of client.chat({ mode: 'polling', ...request })) {
          runId = event.id;
          after = event.seq;
          if (event.type === 'token') prefix += event.text;
          if (after >= 10) break;
        }
        const outcome = await readOutcome(client.resume(runId, { mode: 'auto', after }));
        expect(verdictOf(outcome, expected.slice(prefix.length), after)).toEqual({
          ...exact,
          mode: 'polling',
          fallbacks: [WS_REFUSED, SSE_BUFFERED],
        });
        expect(prefix + outcome.text).toBe(expected);
        expect(runsOf(request)).toBe(1);
      } finally {
        client.close();
        await proxy.close();
      }
    },
    60_000,
  );
});

describe('mode: auto when the WebSocket drops mid-answer and cannot be reopened', () => {
  // Cut points across the first half of the answer's frames (a ten-second answer is about 20 KB of WS frames), from
  // inside the handshake's reply and the start frame to deep into the tokens. Replay a schedule with CHAOS_SEED.
  const random = createChaosRandom(Number(process.env.CHAOS_SEED ?? 14));

  /** Chats `count` times at once, each through its own gateway cutting its socket at a random point. */
  async function cutChats(
    count: number,
    gateway: GatewayProxyOptions,
    expected: { mode: string; fallbacks: Fallback[] },
  ) {
    const plans = Array.from({ length: count }, (_, index) => ({ index, cutAfterBytes: random.integer(150, 9000) }));
    const results = await Promise.all(
      plans.map(async ({ index, cutAfterBytes }) => {
        const request = requestFor(`${JSON.stringify(gateway)} ${index} cut at ${cutAfterBytes}`);
        const { verdict, proxy, runs } = await chatThrough({ ...gateway, upgrades: { cutAfterBytes } }, request);
        return { cutAfterBytes, verdict, cutSockets: proxy.cutSockets, runs };
      }),
    );
    // One comparison for all, so a failure shows every chat that went wrong next to its cut point.
    expect(results).toEqual(
      results.map(({ cutAfterBytes }) => ({
        cutAfterBytes,
        verdict: { ...exact, ...expected },
        cutSockets: 1,
        runs: 1,
      })),
    );
  }

  it('30 chats cut at random points each continue over SSE from the last seq', async () => {
    await cutChats(30, {}, { mode: 'sse', fallbacks: [WS_LOST] });
  }, 90_000);

  it('10 chats cut at random points each continue by polling when the SSE they fall back to is held', async () => {
    await cutChats(10, { holdEventStreams: true }, { mode: 'polling', fallbacks: [WS_LOST, SSE_BUFFERED] });
  }, 90_000);
});
