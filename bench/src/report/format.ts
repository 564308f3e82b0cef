/** A Markdown table; cells are already formatted. */
export function table(header: string[], rows: string[][], align?: Array<'l' | 'r'>): string {
  const rule = header.map((_, index) => ((align?.[index] ?? (index === 0 ? 'l' : 'r')) === 'r' ? '---:' : '---'));
  return [header, rule, ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

/** Milliseconds: one decimal below 10, none above. */
export function ms(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return '–';
  return value < 10 ? value.toFixed(1) : Math.round(value).toLocaleString('en-US');
}

/** A count or a rate, with thousands separators; `digits` decimals below 10. */
export function num(value: number | undefined, digits = 1): string {
  if (value === undefined || Number.isNaN(value) || !Number.isFinite(value)) return '–';
  if (Math.abs(value) < 10 && digits > 0) return value.toFixed(digits);
  return Math.round(value).toLocaleString('en-US');
}

/** Bytes as B / KiB / MiB. */
export function bytes(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return '–';
  if (Math.abs(value) < 1024) return `${Math.round(value)} B`;
  if (Math.abs(value) < 1024 ** 2) return `${(value / 1024).toFixed(1)} KiB`;
  return `${(value / 1024 ** 2).toFixed(1)} MiB`;
}

/** A ratio as `×1.23`. */
export function ratio(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value) || !Number.isFinite(value)) return '–';
  return `×${value < 10 ? value.toFixed(2) : value.toFixed(0)}`;
}

/** A signed difference in ms (`+12`, `−0.4`). */
export function delta(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return '–';
  const text = ms(Math.abs(value));
  return value < 0 ? `−${text}` : `+${text}`;
}

/** A share as a percentage. */
export function percent(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return '–';
  return `${Math.round(value * 100)}%`;
}
