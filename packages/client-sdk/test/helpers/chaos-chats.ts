import type { ChatMessage } from '@chatwire/protocol';
import type { ChatClient, ChatEvent, ChatMode, Fallback } from '../../src/index.js';
import type { ChaosRandom } from './chaos-random.js';

/** One chat of a chaos run, drawn before it starts. */
export interface ChatPlan {
  index: number;
  mode: ChatMode;
  /** Which of the clients sends it. */
  client: number;
  idempotencyKey: string;
  messages: ChatMessage[];
  /** Delay before the chat starts, from the start of the run. */
  startMs: number;
  /** Cancelled with `stream.cancel()` or by aborting the chat's signal, after some tokens or some time. */
  cancel?: { via: 'cancel' | 'signal'; afterTokens?: number; afterMs?: number };
}

/** How one chat ended, as its caller saw it. */
export interface ChatOutcome {
  plan: ChatPlan;
  /** Every event the stream yielded, in order. */
  events: ChatEvent[];
  /** What iterating the stream threw, if anything. */
  error: unknown;
  /** `text()` once the stream ended (undefined when it rejected). */
  text: string | undefined;
  runId: string | undefined;
  reconnects: number;
  /** Auto mode: the switches it made. */
  fallbacks: readonly Fallback[];
}

/** Options of {@link planChats}. */
export interface ChatPlanOptions {
  modes: readonly ChatMode[];
  perMode: number;
  clients: number;
  cancelledShare: number;
  startSpreadMs: number;
  /** Prompts to draw from; each chat's is made unique by its index. */
  questions: readonly string[];
  /** Part of every idempotency key, so that keys differ between runs. */
  keyPrefix: string;
}

/** Draws the chats: mode (in turn), client, prompt, start time and, for some, how they are cancelled. */
export function planChats(random: ChaosRandom, options: ChatPlanOptions): ChatPlan[] {
  return Array.from({ length: options.modes.length * options.perMode }, (_, index): ChatPlan => {
    const mode = options.modes[index % options.modes.length] as ChatMode;
    const plan: ChatPlan = {
      index,
      mode,
      client: random.integer(0, options.clients - 1),
      idempotencyKey: `${options.keyPrefix}-${index}`,
      messages: [{ role: 'user', content: `Chat ${index}: ${random.pick(options.questions)}` }],
      startMs: random.integer(0, options.startSpreadMs),
    };
    if (random.chance(options.cancelledShare)) {
      const via = random.chance(0.5) ? 'cancel' : 'signal';
      // Sync has no token before its answer is whole, so it is cancelled by time; the others by time (often before
      // their start event) or after some tokens.
      const byTime = mode === 'sync' || random.chance(0.3);
      plan.cancel = byTime ? { via, afterMs: random.integer(0, 300) } : { via, afterTokens: random.integer(0, 120) };
    }
    return plan;
  });
}

/** Runs one planned chat to its end, reading every event, and cancels it when its plan says so. */
export async function runChat(plan: ChatPlan, client: ChatClient, model: string): Promise<ChatOutcome> {
  await new Promise((resolve) => setTimeout(resolve, plan.startMs));
  const controller = new AbortController();
  const stream = client.chat({
    mode: plan.mode,
    messages: plan.messages,
    model,
    idempotencyKey: plan.idempotencyKey,
    signal: controller.signal,
  });
  let cancelled = false;
  const cancel = () => {
    if (cancelled) return;
    cancelled = true;
    if (plan.cancel?.via === 'signal') controller.abort();
    else void stream.cancel();
  };
  const afterMs = plan.cancel?.afterMs;
  const timer = afterMs === undefined ? undefined : setTimeout(cancel, afterMs);
  const afterTokens = plan.cancel?.afterTokens;
  const events: ChatEvent[] = [];
  let tokens = 0;
  let error: unknown;
  try {
    for await (const event of stream) {
      events.push(event);
      if (event.type === 'token') tokens++;
      if (afterTokens !== undefined && tokens >= afterTokens) cancel();
    }
  } catch (caught) {
    error = caught;
  } finally {
    clearTimeout(timer);
  }
  const text = await stream.text().catch(() => undefined);
  const { reconnects, fallbacks } = stream.stats;
  return { plan, events, error, text, runId: stream.runId, reconnects, fallbacks };
}
