import { describe, expect, it } from 'vitest';
import { formatBytes, formatDelivery, formatDuration, formatTable, tokensPerSecond } from './format.js';

describe('formatting', () => {
  it('prints durations, sizes and rates the way the table shows them', () => {
    expect([formatDuration(undefined), formatDuration(243.4), formatDuration(1234)]).toEqual(['–', '243 ms', '1.23 s']);
    expect([formatBytes(512), formatBytes(4100), formatBytes(1_200_000)]).toEqual(['512 B', '4.1 kB', '1.2 MB']);
    expect(tokensPerSecond(100, 500)).toBe(200);
    expect(tokensPerSecond(100, undefined)).toBeUndefined();
  });

  it('aligns the first column left and the others right', () => {
    expect(
      formatTable([
        ['mode', 'total'],
        ['sse', '12 ms'],
        ['polling', '1.20 s'],
      ]),
    ).toBe('mode      total\nsse       12 ms\npolling  1.20 s');
  });

  it('names the mode that delivered the answer and, in auto mode, each switch and its reason', () => {
    expect(formatDelivery('sse', { mode: 'sse', fallbacks: [] })).toBe('sse');
    expect(formatDelivery('auto', { mode: 'ws', fallbacks: [] })).toBe('auto → ws');
    expect(formatDelivery('auto', { mode: 'sse', fallbacks: [{ from: 'ws', to: 'sse', reason: 'ws_refused' }] })).toBe(
      'auto → sse (ws→sse: ws_refused)',
    );
    expect(
      formatDelivery('auto', {
        mode: 'polling',
        fallbacks: [
          { from: 'ws', to: 'sse', reason: 'ws_timeout' },
          { from: 'sse', to: 'polling', reason: 'sse_buffered' },
        ],
      }),
    ).toBe('auto → polling (ws→sse: ws_timeout, sse→polling: sse_buffered)');
    // An earlier chat's fallback is remembered: this one started on SSE and had nothing to switch.
    expect(formatDelivery('auto', { mode: 'sse', fallbacks: [] })).toBe('auto → sse (remembered)');
  });
});
