/** Small formatting helpers shared by every rendering (terminal, email, Markdown, HTML). */
import type { Metric } from '../rules/schema';

export function int(n: number): string {
  return n.toLocaleString('en-US');
}

export function pct(n: number): string {
  return (n * 100).toFixed(n > 0 && n < 0.001 ? 3 : 1) + '%';
}

export function plural(n: number, word: string, many = `${word}s`): string {
  return n === 1 ? `1 ${word}` : `${int(n)} ${many}`;
}

export function sparkline(values: number[]): string {
  const ticks = '▁▂▃▄▅▆▇█';
  const max = Math.max(...values, 1);
  return values.map((v) => (v === 0 ? ' ' : ticks[Math.min(7, Math.floor((v / max) * 7.999))])).join('');
}

/** "203.0.113.7 (240), 198.51.100.9 (12)": the first five of a top list, each key shown through `show`. */
export function firstFive(entries: Array<{ key: string; count: number }>, show: (key: string) => string, count: (n: number) => string = String): string {
  return entries.slice(0, 5).map((e) => `${show(e.key)} (${count(e.count)})`).join(', ');
}

/** For HTML text and double-quoted attribute values alike. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;'));
}

const OP_SYMBOL = { gt: '>', gte: '≥', lt: '<', lte: '≤', eq: '=' } as const;

/** "distinct paths 1 ≤ 5": a rule condition with the value that met it. */
export function describeCondition(c: { metric: Metric; op: keyof typeof OP_SYMBOL; threshold: number; value: number }): string {
  return `${c.metric.replace(/[._]/g, ' ')} ${formatMetric(c.metric, c.value)} ${OP_SYMBOL[c.op]} ${formatMetric(c.metric, c.threshold)}`;
}

export function formatMetric(metric: Metric, v: number): string {
  if (metric.endsWith('ratio') || metric.endsWith('share')) return pct(v);
  return Number.isInteger(v) ? int(v) : String(Math.round(v * 100) / 100);
}

/** "2026-03-14 10:00:05 UTC", or in a zone: "2026-03-14 11:00:05 CET". */
export function formatTime(iso: string, timeZone = 'UTC'): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'short',
  }).formatToParts(d);
  const get = (t: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === t)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}:${get('second')} ${get('timeZoneName')}`;
}
