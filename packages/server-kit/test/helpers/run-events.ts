import type { RunEvent } from '@chatwire/protocol';

/** Fixtures for the run store tests (memory and Redis): a run's info and its events, by run id and seq. */
export const info = (id: string) => ({
  id,
  model: 'm',
  mode: 'sse' as const,
  created_at: '2026-01-01T00:00:00.000Z',
  owner: 'anonymous',
});
export const start = (id: string): RunEvent => ({ id, seq: 0, type: 'start', model: 'm', created_at: '' });
export const token = (id: string, seq: number, text: string): RunEvent => ({ id, seq, type: 'token', text });
export const done = (id: string, seq: number): RunEvent => ({
  id,
  seq,
  type: 'done',
  finish_reason: 'stop',
  usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
});
