/**
 * One incident view: what an incident says, computed once and rendered alike by the terminal,
 * Markdown, HTML and email renderings. The view holds plain text taken from logs (attacker-chosen):
 * each renderer escapes every string for its medium; none is pre-escaped here.
 */
import type { Incident } from '../rules/incident';
import type { Kind, Metric, Severity } from '../rules/schema';
import { SEVERITY_RANK } from '../rules/compile';
import { figure, int } from './numbers';
import { formatRange, formatTime, humanSpan } from './time';
import { cutMiddle, splitSample } from './sample';

/** Where an incident stands: open at the end of a report's input, or an alert's firing/resolved. */
export type IncidentState = 'open' | 'resolved' | 'firing';

export interface TopList {
  /** "IPs", "paths", "clients", "users", "hosts". */
  label: string;
  entries: Array<{ key: string; count: number }>;
}

export interface IncidentView {
  /** Position in its list, from 1. */
  n: number;
  /** Anchor of the incident's card, for links from a summary: "incident-3". */
  anchor: string;
  kind: Kind;
  severity: Severity;
  title: string;
  /** What happened, in one sentence (the rule's summary with the incident's figures). */
  what: string;
  state: IncidentState;
  /** "open: still firing at end of input", "firing", "resolved". */
  stateText: string;
  rule: string;
  /** "ip=203.0.113.7", "path=/login, user=svc", or "site-wide". */
  group: string;
  start: string;
  end: string;
  /** The start in the chosen zone: "2026-11-21 15:30:10 UTC". */
  startText: string;
  /** Start → end in the chosen zone (and in UTC too when asked and the zone is not UTC). */
  when: string;
  /** "4 min 46 s". */
  duration: string;
  /** Why this kind: what the kind means, then each rule condition with the value that met it. */
  kindMeaning: string;
  conditions: string[];
  /** "240 failures in all; busiest window: count 240, distinct paths 1, …". */
  evidence: string;
  approximate: boolean;
  /** Failures per minute from `from` (formatted), or null when the incident has none recorded. */
  perMinute: { counts: number[]; from: string; peak: number } | null;
  /** Why, from the error log: "60 of 60 failures: password mismatch for user admin". */
  reasons: string[];
  /** IPs, paths, clients and users always (an empty list renders as "-"); hosts when known. */
  top: TopList[];
  likelyCause: string;
  checks: string[];
  /** Sample lines as the incident has them (`file:line text`), and split into the two. */
  samples: Array<{ line: string; source: string; text: string }>;
}

export interface ViewOptions {
  timeZone: string;
  /** Also give the time range in UTC when the zone is another (emails: readers compare with logs). */
  withUtc?: boolean;
}

export const KIND_MEANING: Record<Kind, string> = {
  attack: 'the failures look deliberate: someone is trying credentials or probing what is protected',
  misconfiguration: 'the failures look like our own doing: clients that should get in are refused',
  anomaly: 'the failure rate departs from what is usual here, without the marks of an attack or a known misconfiguration',
};

const STATE_TEXT: Record<IncidentState, string> = { open: 'open: still firing at end of input', firing: 'firing', resolved: 'resolved' };

/** The figures that say how far from normal this is; the rest are in the JSON outputs. */
const EVIDENCE: Metric[] = ['count', 'total', 'ratio', 'distinct_ips', 'distinct_paths', 'distinct_clients', 'distinct_users', 'rate_per_min', 'baseline_ratio', 'baseline_rate_per_min', 'rate_factor', 'previously_ok_share', 'auth_failures'];

const OP_SYMBOL = { gt: '>', gte: '≥', lt: '<', lte: '≤', eq: '=' } as const;

/** "distinct paths 1 ≤ 5": a rule condition with the value that met it. */
export function describeCondition(c: Incident['conditions'][number]): string {
  return `${metricName(c.metric)} ${figure(c.metric, c.value)} ${OP_SYMBOL[c.op]} ${figure(c.metric, c.threshold)}`;
}

function metricName(m: string): string {
  return m.replace(/[._]/g, ' ');
}

export function groupText(group: Record<string, string>): string {
  return Object.entries(group).map(([k, v]) => `${k}=${v}`).join(', ') || 'site-wide';
}

/**
 * The order an operator acts in: what is still going on first, then the most severe, then the
 * largest (failures), then the earliest. Used by every rendering and by the JSON report.
 */
export function incidentOrder(a: Incident, b: Incident): number {
  return Number(b.open) - Number(a.open) || SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || b.count - a.count || a.start.localeCompare(b.start) || a.fingerprint.localeCompare(b.fingerprint);
}

export function viewIncident(i: Incident & { status?: 'firing' | 'resolved' }, n: number, o: ViewOptions): IncidentView {
  const state: IncidentState = i.status ?? (i.open ? 'open' : 'resolved');
  let when = formatRange(i.start, i.end, o.timeZone);
  if (o.withUtc && o.timeZone !== 'UTC') when = `${formatRange(i.start, i.end)} (${o.timeZone}: ${when})`;
  const busiest = EVIDENCE.filter((m) => i.metrics[m] !== undefined).map((m) => `${metricName(m)} ${figure(m, i.metrics[m] as number)}`);
  const t = i.timeline;
  const top: TopList[] = [
    { label: 'IPs', entries: i.top.ip },
    { label: 'paths', entries: i.top.path },
    { label: 'clients', entries: i.top.client },
    { label: 'users', entries: i.top.user },
  ];
  if (i.top.host?.length) top.push({ label: 'hosts', entries: i.top.host });
  return {
    n,
    anchor: `incident-${n}`,
    kind: i.kind,
    severity: i.severity,
    title: i.title,
    what: i.summary,
    state,
    stateText: STATE_TEXT[state],
    rule: i.rule,
    group: groupText(i.group),
    start: i.start,
    end: i.end,
    startText: formatTime(i.start, o.timeZone),
    when,
    duration: humanSpan(i.start, i.end),
    kindMeaning: KIND_MEANING[i.kind],
    conditions: i.conditions.map(describeCondition),
    evidence: `${int(i.count)} failures in all${busiest.length ? `; busiest window: ${busiest.join(', ')}` : ''}${i.approximate ? ' (approximate)' : ''}`,
    approximate: i.approximate,
    perMinute: t.counts.length === 0 ? null : { counts: t.counts, from: formatTime(t.start, o.timeZone), peak: Math.max(...t.counts) },
    reasons: i.reasons.map((r) => r.text),
    top,
    likelyCause: i.likely_cause,
    checks: i.checks,
    samples: i.samples.map((line) => ({ line, ...splitSample(line) })),
  };
}

/** Characters of a key shown in an incident's top lists (a user agent is cut in its middle, so its version stays). */
const TOP_KEY = 80;

/** "203.0.113.7 (240), 198.51.100.9 (12)": the first five of a top list, each key shown through `show`; "-" when empty. */
export function firstFive(entries: Array<{ key: string; count: number }>, show: (key: string) => string = (k) => cutMiddle(k, TOP_KEY)): string {
  return entries.slice(0, 5).map((e) => `${show(e.key)} (${int(e.count)})`).join(', ') || '-';
}

/** "▁▂▅█": values as block glyphs, scaled to the largest; zero as a space. */
export function sparkline(values: number[]): string {
  const ticks = '▁▂▃▄▅▆▇█';
  const max = Math.max(...values, 1);
  return values.map((v) => (v === 0 ? ' ' : ticks[Math.min(7, Math.floor((v / max) * 7.999))])).join('');
}

/** A per-minute series folded into at most `columns` sums (for a one-line sparkline); `per` minutes a column. */
export function fold(counts: number[], columns: number): { sums: number[]; per: number } {
  const per = Math.max(1, Math.ceil(counts.length / columns));
  const sums: number[] = [];
  for (let k = 0; k < counts.length; k += per) sums.push(counts.slice(k, k + per).reduce((s, v) => s + v, 0));
  return { sums, per };
}

/** The sparkline and the words after it: ["▁▂█", "(24 min from 2026-11-20 09:05:00 UTC, peak 50/min)"], folded past `columns`. */
export function perMinuteParts(p: NonNullable<IncidentView['perMinute']>, columns: number): [string, string] {
  const { sums, per } = fold(p.counts, columns);
  return [sparkline(sums), `(${int(p.counts.length)} min from ${p.from}${per > 1 ? `, ${per} min a column` : ''}, peak ${int(p.peak)}/min)`];
}

export function perMinuteText(p: NonNullable<IncidentView['perMinute']>, columns: number): string {
  return perMinuteParts(p, columns).join(' ');
}
