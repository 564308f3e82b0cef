/**
 * The chats every target streams. The simulated model is deterministic, so the same prompt gives the same tokens in
 * every mode and baseline; `max_tokens` cuts every answer to the same length (each of these answers is longer).
 */
export const PROMPTS = [
  'Explain WebSockets vs long polling',
  'Compare REST and GraphQL in depth',
  'How does TCP congestion control work?',
  'Explain the CAP theorem with examples',
  'Describe how a database index works',
  'Explain garbage collection in V8',
  'How do I design a rate limiter?',
  'Explain Server-Sent Events and when to use them',
] as const;

/** Tokens per answer in every scenario. */
export const ANSWER_TOKENS = 300;

/** The protocol request body of chat number `index` (the same JSON for the kit and the baselines). */
export interface BenchRequest {
  message: string;
  model: string;
  max_tokens: number;
}

/** The request of the `index`-th chat of a scenario. */
export function benchRequest(index: number, model: string): BenchRequest {
  return { message: PROMPTS[index % PROMPTS.length] as string, model, max_tokens: ANSWER_TOKENS };
}
