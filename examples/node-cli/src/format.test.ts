import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, formatTable, tokensPerSecond } from './format.js';

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
});
