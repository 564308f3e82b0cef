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
