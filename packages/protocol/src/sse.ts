import type { RunEvent } from './events.js';

/**
 * Encodes a run event as one SSE message: `id: <seq>`, `event: <type>`, `data: <event JSON>`.
 * JSON text never holds a raw newline, so `data` is always a single line and any token text survives intact.
 */
export function formatSseEvent(event: RunEvent): string {
  return `id: ${event.seq}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

/** Encodes an SSE comment (used for heartbeats); newlines in `text` are removed. */
export function formatSseComment(text = ''): string {
  return `: ${text.replace(/[\r\n]+/g, ' ')}\n\n`;
}

/** Parses a `Last-Event-ID` header or `after` query value into a seq (-1 = from the beginning). */
export function parseAfterSeq(value: string | null | undefined): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  if (!/^-?\d+$/.test(value.trim())) return undefined;
  const seq = Number(value.trim());
  return Number.isSafeInteger(seq) && seq >= -1 ? seq : undefined;
}
