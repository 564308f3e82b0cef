import { describe, expect, it } from 'vitest';
import { describeDelivery } from './delivery';

describe('describeDelivery', () => {
  it('names a plain mode alone', () => {
    expect(describeDelivery('sse', { mode: 'sse', fallbacks: [] })).toEqual({ label: 'SSE', reasons: [] });
  });

  it('names where auto mode ended and, in words, why it switched', () => {
    expect(describeDelivery('auto', undefined)).toEqual({ label: 'Auto', reasons: [] });
    expect(describeDelivery('auto', { mode: 'ws', fallbacks: [] })).toEqual({ label: 'Auto → WebSocket', reasons: [] });
    expect(
      describeDelivery('auto', {
        mode: 'polling',
        fallbacks: [
          { from: 'ws', to: 'sse', reason: 'ws_refused' },
          { from: 'sse', to: 'polling', reason: 'sse_buffered' },
        ],
      }),
    ).toEqual({
      label: 'Auto → Polling',
      reasons: [
        'WebSocket → SSE: the WebSocket was refused',
        'SSE → Polling: something on the way held back the SSE stream',
      ],
    });
  });

  it('says why an auto chat started below the WebSocket without switching: an earlier one fell back', () => {
    const { label, reasons } = describeDelivery('auto', { mode: 'sse', fallbacks: [] });
    expect(label).toBe('Auto → SSE');
    expect(reasons).toEqual([expect.stringMatching(/^Started on SSE: an earlier chat fell back to it/)]);
  });
});
