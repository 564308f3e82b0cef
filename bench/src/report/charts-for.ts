import type { RampResult } from '../results.js';
import { barChart } from './charts.js';
import { label } from './measured.js';
import type { ResultsIndex } from './metrics.js';

/** The SVG charts of a results file, by file name. */
export function chartsFor(index: ResultsIndex, ramps: RampResult[]): Record<string, string> {
  const charts: Record<string, string> = {};
  for (const model of index.models) {
    const levels = index.concurrencies(model);
    const name = model.replace(/^sim\//, '').replace(/[^a-z0-9-]/gi, '-');
    charts[`ttft-${name}.svg`] = barChart({
      title: `Time to first token, p50 — ${model}`,
      categories: index.targets.map(label),
      series: levels.map((level) => ({
        name: `c=${level}`,
        values: index.targets.map((target) => index.get(target, model, level)?.ttftP50),
      })),
      unit: 'ms',
      log: true,
      format: (value) => (value < 10 ? `${value.toFixed(1)} ms` : `${Math.round(value)} ms`),
    });
  }
  const model = index.models.includes('sim/gpt-oss-20b') ? 'sim/gpt-oss-20b' : (index.models[0] ?? 'sim/instant');
  const levels = index.concurrencies(model);
  const level = levels.includes(10) ? 10 : (levels[0] ?? 1);
  const wired = index.targets.filter((target) => target !== 'direct');
  charts['requests-per-chat.svg'] = barChart({
    title: `HTTP requests per chat — ${model}, c=${level} and c=${levels[0]}`,
    categories: wired.map(label),
    series: [...new Set([levels[0] ?? 1, level])].map((current) => ({
      name: `c=${current}`,
      values: wired.map((target) => index.get(target, model, current)?.requestsPerChat),
    })),
    unit: 'requests (WebSocket upgrades included)',
    format: (value) => (value < 10 ? value.toFixed(2) : value.toFixed(0)),
  });
  charts['bytes-per-chat.svg'] = barChart({
    title: `Bytes on the wire per chat, headers included — ${model}, c=${level}`,
    categories: wired.map(label),
    series: [
      { name: 'down', values: wired.map((target) => index.get(target, model, level)?.bytesDownPerChat) },
      { name: 'up', values: wired.map((target) => index.get(target, model, level)?.bytesUpPerChat) },
    ],
    unit: 'bytes',
    format: (value) => `${(value / 1024).toFixed(1)} KiB`,
  });
  if (ramps.length > 0) {
    charts['max-concurrency.svg'] = barChart({
      title: 'Concurrent streams held (p99 gap within 10 ms of the model, no errors)',
      categories: ramps.map((ramp) => label(ramp.target)),
      series: [{ name: 'streams', values: ramps.map((ramp) => ramp.maxConcurrency) }],
      unit: 'concurrent streams',
      format: (value) => Math.round(value).toLocaleString('en-US'),
    });
  }
  return charts;
}
