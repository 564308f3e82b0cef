/** One series of a bar chart: a value per category (undefined: not measured). */
export interface BarSeries {
  name: string;
  values: Array<number | undefined>;
}

/** Options of {@link barChart}. */
export interface BarChartOptions {
  title: string;
  /** One group of bars per category (a target). */
  categories: string[];
  series: BarSeries[];
  /** Axis caption, e.g. "ms". */
  unit: string;
  /** Logarithmic axis, for values spanning orders of magnitude. */
  log?: boolean;
  format?: (value: number) => string;
}

const COLORS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#b07aa1'];
const LABEL_WIDTH = 200;
const PLOT_WIDTH = 470;
const VALUE_WIDTH = 80;
const BAR = 12;

/** A horizontal grouped bar chart as a standalone SVG document (no scripts, no external resources). */
export function barChart(options: BarChartOptions): string {
  const format =
    options.format ?? ((value: number) => (value < 10 ? value.toFixed(1) : Math.round(value).toLocaleString('en-US')));
  const values = options.series
    .flatMap((series) => series.values)
    .filter((value): value is number => value !== undefined && value > 0);
  const max = Math.max(1e-9, ...values);
  const min = options.log ? Math.min(...values, max) / 2 : 0;
  const scale = (value: number) => {
    if (value <= 0) return 0;
    if (!options.log) return (value / max) * PLOT_WIDTH;
    return (Math.log10(value / min) / Math.log10(max / min)) * PLOT_WIDTH;
  };
  const groupHeight = options.series.length * (BAR + 2) + 10;
  const top = 46;
  const height = top + options.categories.length * groupHeight + 24;
  const width = LABEL_WIDTH + PLOT_WIDTH + VALUE_WIDTH;
  const parts: string[] = [];
  parts.push(`<text x="8" y="18" font-size="14" font-weight="bold">${escape(options.title)}</text>`);
  options.series.forEach((series, index) => {
    const x = LABEL_WIDTH + index * 110;
    parts.push(`<rect x="${x}" y="28" width="10" height="10" fill="${COLORS[index % COLORS.length]}"/>`);
    parts.push(`<text x="${x + 14}" y="37">${escape(series.name)}</text>`);
  });
  options.categories.forEach((category, categoryIndex) => {
    const y0 = top + categoryIndex * groupHeight;
    parts.push(
      `<text x="${LABEL_WIDTH - 8}" y="${y0 + groupHeight / 2}" text-anchor="end" dominant-baseline="middle">${escape(category)}</text>`,
    );
    options.series.forEach((series, seriesIndex) => {
      const value = series.values[categoryIndex];
      const y = y0 + 4 + seriesIndex * (BAR + 2);
      if (value === undefined) {
        parts.push(`<text x="${LABEL_WIDTH + 4}" y="${y + BAR - 2}" fill="#888">not measured</text>`);
        return;
      }
      const barWidth = Math.max(1, scale(value));
      parts.push(
        `<rect x="${LABEL_WIDTH}" y="${y}" width="${barWidth.toFixed(1)}" height="${BAR}" fill="${COLORS[seriesIndex % COLORS.length]}"/>`,
      );
      parts.push(
        `<text x="${(LABEL_WIDTH + barWidth + 4).toFixed(1)}" y="${y + BAR - 2}">${escape(format(value))}</text>`,
      );
    });
  });
  const axisY = top + options.categories.length * groupHeight + 4;
  parts.push(`<line x1="${LABEL_WIDTH}" y1="${top - 2}" x2="${LABEL_WIDTH}" y2="${axisY}" stroke="#333"/>`);
  parts.push(
    `<text x="${LABEL_WIDTH + PLOT_WIDTH}" y="${axisY + 14}" text-anchor="end" fill="#555">${escape(options.unit)}${options.log ? ' (log scale)' : ''}</text>`,
  );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
