import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_POLICY, retryDelay, sleep } from './retry.js';

describe('retryDelay', () => {
  it('doubles up to the cap, jittered within the upper half', () => {
    const policy = { ...DEFAULT_RETRY_POLICY, initialDelayMs: 100, maxDelayMs: 1000 };
    expect(retryDelay(1, policy, undefined, () => 0)).toBe(50);
    expect(retryDelay(1, policy, undefined, () => 1)).toBe(100);
    expect(retryDelay(3, policy, undefined, () => 1)).toBe(400);
    expect(retryDelay(10, policy, undefined, () => 1)).toBe(1000);
  });

  it("never waits less than the server's Retry-After", () => {
    expect(retryDelay(1, DEFAULT_RETRY_POLICY, 7000, () => 1)).toBe(7000);
  });
});

describe('sleep', () => {
  it('rejects with the reason as soon as the signal aborts', async () => {
    const controller = new AbortController();
    const waiting = sleep(60_000, controller.signal);
    controller.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
  });
});
