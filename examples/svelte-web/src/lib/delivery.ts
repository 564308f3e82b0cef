import type { ChatMode, ChatStats, FallbackReason } from '@chatwire/client-sdk';
import { MODE_INFO } from './modes';

/** Why auto mode left a transport, in words a user understands. */
const REASONS: Record<FallbackReason, string> = {
  ws_refused: 'the WebSocket was refused',
  ws_timeout: 'the WebSocket did not open in time',
  ws_lost: 'the WebSocket dropped mid-answer and did not come back',
  sse_buffered: 'something on the way held back the SSE stream',
  sse_failed: 'the SSE request failed',
};

/** How an answer was delivered, as a reply shows it. */
export interface Delivery {
  /** `WebSocket` for a plain mode; `Auto → SSE` in auto mode (live: the transport in use). */
  label: string;
  /** Auto mode: why it is not on the WebSocket, one sentence per switch; empty when nothing had to change. */
  reasons: string[];
}

/**
 * Names the transport that delivered an answer and, in auto mode, why: `Auto → SSE: the WebSocket was refused`. An
 * auto chat that started below the WebSocket without switching did so because an earlier chat fell back.
 */
export function describeDelivery(
  requested: ChatMode,
  stats: Pick<ChatStats, 'mode' | 'fallbacks'> | undefined,
): Delivery {
  if (requested !== 'auto') return { label: MODE_INFO[requested].label, reasons: [] };
  if (stats === undefined) return { label: MODE_INFO.auto.label, reasons: [] };
  const label = `${MODE_INFO.auto.label} → ${MODE_INFO[stats.mode].label}`;
  const reasons = stats.fallbacks.map(
    (fallback) => `${MODE_INFO[fallback.from].label} → ${MODE_INFO[fallback.to].label}: ${REASONS[fallback.reason]}`,
  );
  if (reasons.length === 0 && stats.mode !== 'ws') {
    const mode = MODE_INFO[stats.mode].label;
    reasons.push(
      `Started on ${mode}: an earlier chat fell back to it (the WebSocket is tried again after a few minutes)`,
    );
  }
  return { label, reasons };
}
