import { CLIENTS } from './clients/index.js';
import { ChatTimer, type ChatRecord, type GapSink } from './clients/chat-timer.js';
import { benchRequest } from './prompts.js';
import { summarize, type Summary } from './summary.js';
import type { TargetId } from './targets.js';

/** One measurement: `concurrency` virtual users chatting with a target. */
export interface ScenarioSpec {
  target: TargetId;
  /** The server's base URL ('' for the in-process provider). */
  url: string;
  model: string;
  concurrency: number;
  /** Run this many chats in all, each user starting the next as soon as its last ended. */
  chats?: number;
  /** Or keep the users chatting for `holdMs` after starting them over `rampInMs`; gaps count only in the hold. */
  hold?: { rampInMs: number; holdMs: number };
  /** A chat taking longer fails (aborted). */
  chatTimeoutMs: number;
}

/** What a scenario measured on the load generator's side. */
export interface ScenarioResult {
  chats: number;
  errors: number;
  /** A few distinct error messages. */
  errorSamples: string[];
  wallMs: number;
  tokens: number;
  ttftMs: Summary;
  totalMs: Summary;
  /** Time between two deliveries of tokens within a chat. */
  gapMs: Summary;
  /** CPU time the load generator spent, to tell when it, not the server, is the bottleneck. */
  clientCpuMs: number;
  counters: Record<string, number>;
}

/** Runs a scenario in this process (the load generator). */
export async function runScenario(spec: ScenarioSpec): Promise<ScenarioResult> {
  const client = CLIENTS[spec.target]({ url: spec.url, concurrency: spec.concurrency });
  const records: ChatRecord[] = [];
  const gaps: number[] = [];
  const startedAt = performance.now();
  const holdFrom = spec.hold ? startedAt + spec.hold.rampInMs : startedAt;
  const stopAt = spec.hold ? holdFrom + spec.hold.holdMs : Number.POSITIVE_INFINITY;
  const sink: GapSink = { add: (at, gap) => void (at >= holdFrom && at <= stopAt && gaps.push(gap)) };
  const cpuBefore = process.cpuUsage();
  let next = 0;

  const user = async (index: number) => {
    if (spec.hold) await delay((spec.hold.rampInMs * index) / spec.concurrency);
    const session = client.session();
    for (;;) {
      const chat = next++;
      if (spec.chats !== undefined ? chat >= spec.chats : performance.now() >= stopAt) break;
      const timer = new ChatTimer(sink);
      const signal = AbortSignal.timeout(spec.chatTimeoutMs);
      try {
        records.push(timer.finish(await session.chat(benchRequest(chat, spec.model), timer, signal)));
      } catch (error) {
        records.push(timer.fail(signal.aborted ? new Error(`no answer within ${spec.chatTimeoutMs} ms`) : error));
      }
    }
    await session.close().catch(() => {});
  };
  await Promise.all(Array.from({ length: spec.concurrency }, (_, index) => user(index)));
  const wallMs = performance.now() - startedAt;
  const cpu = process.cpuUsage(cpuBefore);
  const counters = client.counters?.() ?? {};
  await client.close().catch(() => {});

  const ok = records.filter((record) => record.error === undefined);
  const failed = records.filter((record) => record.error !== undefined);
  return {
    chats: records.length,
    errors: failed.length,
    errorSamples: [...new Set(failed.map((record) => record.error as string))].slice(0, 3),
    wallMs,
    tokens: ok.reduce((sum, record) => sum + record.tokens, 0),
    ttftMs: summarize(ok.flatMap((record) => (record.ttftMs === undefined ? [] : [record.ttftMs]))),
    totalMs: summarize(ok.map((record) => record.totalMs)),
    gapMs: summarize(gaps),
    clientCpuMs: (cpu.user + cpu.system) / 1000,
    counters,
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
