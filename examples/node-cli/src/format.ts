import type { ChatMode, ChatStats } from '@chatwire/client-sdk';

/** `243 ms` below a second, `1.24 s` above; `–` when unknown. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined) return '–';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** `512 B`, `4.1 kB`, `1.2 MB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  if (bytes < 1_000_000) return `${(bytes / 1000).toFixed(1)} kB`;
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}

/** Completion tokens per second of total time (the end-to-end rate a reader sees), or undefined. */
export function tokensPerSecond(completionTokens: number | undefined, totalMs: number | undefined): number | undefined {
  if (completionTokens === undefined || totalMs === undefined || totalMs <= 0) return undefined;
  return (completionTokens * 1000) / totalMs;
}

/** Left-aligns the first column and right-aligns the others, two spaces apart; `paint` styles the header. */
export function formatTable(rows: string[][], paint: (text: string) => string = (text) => text): string {
  const widths: number[] = [];
  for (const row of rows)
    row.forEach((cell, index) => (widths[index] = Math.max(widths[index] ?? 0, [...cell].length)));
  const lines = rows.map((row) =>
    row
      .map((cell, index) => {
        const pad = ' '.repeat((widths[index] ?? 0) - [...cell].length);
        return index === 0 ? cell + pad : pad + cell;
      })
      .join('  ')
      .trimEnd(),
  );
  const [header, ...body] = lines;
  return [paint(header ?? ''), ...body].join('\n');
}

/**
 * The mode that delivered an answer: `sse` for a plain mode; in auto mode `auto → ws`, `auto → sse (ws→sse:
 * ws_refused)` with each switch it made, or `auto → sse (remembered)` when an earlier chat's fallback made it start there.
 */
export function formatDelivery(requested: ChatMode, stats: Pick<ChatStats, 'mode' | 'fallbacks'>): string {
  if (requested !== 'auto') return stats.mode;
  const switches = stats.fallbacks.map((fallback) => `${fallback.from}→${fallback.to}: ${fallback.reason}`);
  if (switches.length > 0) return `auto → ${stats.mode} (${switches.join(', ')})`;
  return stats.mode === 'ws' ? 'auto → ws' : `auto → ${stats.mode} (remembered)`;
}
