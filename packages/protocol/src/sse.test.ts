import { createParser } from 'eventsource-parser';
import { describe, expect, it } from 'vitest';
import type { RunEvent } from './events.js';
import { formatSseComment, formatSseEvent, parseAfterSeq } from './sse.js';

describe('formatSseEvent', () => {
  it('round-trips awkward token text through a real SSE parser, id 0 included', () => {
    const texts = [': looks like a comment', 'line\nbreak', 'cr\r\nlf', 'data: fake', '', '"quoted" é — 🚀', 'id: 9'];
    const events: RunEvent[] = [
      { id: 'r', seq: 0, type: 'start', model: 'm', created_at: '2026-01-01T00:00:00.000Z' },
      ...texts.map((text, index): RunEvent => ({ id: 'r', seq: index + 1, type: 'token', text })),
    ];
    const received: Array<{ id: string | undefined; event: string | undefined; data: RunEvent }> = [];
    const parser = createParser({
      onEvent: (message) => received.push({ id: message.id, event: message.event, data: JSON.parse(message.data) }),
    });
    parser.feed(events.map(formatSseEvent).join('') + formatSseComment('heartbeat\nwith newline'));
    expect(received.map((message) => message.data)).toEqual(events);
    expect(received.map((message) => message.id)).toEqual(events.map((event) => String(event.seq)));
    expect(received.map((message) => message.event)).toEqual(events.map((event) => event.type));
  });
});

describe('parseAfterSeq', () => {
  it('accepts seqs from -1 and refuses anything else', () => {
    expect(parseAfterSeq('7')).toBe(7);
    expect(parseAfterSeq(' -1 ')).toBe(-1);
    expect(parseAfterSeq('')).toBeUndefined();
    expect(parseAfterSeq(null)).toBeUndefined();
    expect(parseAfterSeq('-2')).toBeUndefined();
    expect(parseAfterSeq('1e3')).toBeUndefined();
    expect(parseAfterSeq('99999999999999999999')).toBeUndefined();
  });
});
