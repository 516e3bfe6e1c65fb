/** The terminal rendering of a report: aligned tables, colour only on a TTY (picocolors honours NO_COLOR). */
import Table from 'cli-table3';
import pc from 'picocolors';
import { intervalToDuration } from 'date-fns/intervalToDuration';
import type { ReportModel, TopEntry } from './model';
import { forTerminal, truncate } from './sanitize';
import { formatTime, int, pct, plural, sparkline } from './format';

export interface TextOptions {
  color: boolean;
  width: number;
  /** IANA zone for displayed times (default UTC). */
  timeZone?: string;
}

/** "6 h 12 min": the two largest units of the span, enough to read at a glance. */
export function humanSpan(fromIso: string | null, toIso: string | null): string {
  if (!fromIso || !toIso) return 'no traffic';
  const start = new Date(fromIso);
  const end = new Date(toIso);
  if (end.getTime() - start.getTime() < 1000) return 'under a second';
  const d = intervalToDuration({ start, end });
  const units: Array<[number | undefined, string]> = [[d.years, 'y'], [d.months, 'mo'], [d.days, 'd'], [d.hours, 'h'], [d.minutes, 'min'], [d.seconds, 's']];
  return units.filter(([v]) => v).slice(0, 2).map(([v, u]) => `${v} ${u}`).join(' ');
}

function topTable(title: string, entries: TopEntry[], opts: TextOptions, c: ReturnType<typeof pc.createColors>): string {
  if (entries.length === 0) return '';
  const keyWidth = Math.max(20, Math.min(80, opts.width - 40));
  const table = new Table({
    head: [title, '401s', 'requests', '401 share'],
    style: { head: opts.color ? ['bold'] : [], border: opts.color ? ['grey'] : [] },
    colAligns: ['left', 'right', 'right', 'right'],
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  for (const e of entries) table.push([forTerminal(truncate(e.key, keyWidth)), c.red(int(e.count)), int(e.total), pct(e.count / e.total)]);
  return table.toString();
}

/** "2 attacks, 1 misconfiguration in 6 h 12 min of traffic": the line an operator reads first. */
export function verdict(r: ReportModel): string {
  // Say why there is nothing rather than "no incidents in no traffic".
  if (r.lines.parsed === 0) return 'No requests read';
  if (r.requests === 0) return 'No requests in the time range';
  const span = humanSpan(r.range.from, r.range.to);
  const by = (kind: string) => r.incidents.filter((i) => i.kind === kind).length;
  const parts = [
    by('attack') && plural(by('attack'), 'attack'),
    by('misconfiguration') && plural(by('misconfiguration'), 'misconfiguration'),
    by('anomaly') && (by('anomaly') === 1 ? '1 anomaly' : `${by('anomaly')} anomalies`), // irregular plural
  ].filter(Boolean);
  return parts.length === 0 ? `No incidents in ${span} of traffic` : `${parts.join(', ')} in ${span} of traffic`;
}

const KIND_COLOR = { attack: 'red', misconfiguration: 'yellow', anomaly: 'magenta' } as const;

function renderIncidents(r: ReportModel, opts: TextOptions, c: ReturnType<typeof pc.createColors>): string[] {
  const out: string[] = [];
  for (const [n, i] of r.incidents.entries()) {
    const colour = c[KIND_COLOR[i.kind]];
    out.push(`${c.bold(`${n + 1}. ${i.severity.toUpperCase()} ${colour(i.kind)}`)}: ${c.bold(forTerminal(i.title))}${i.open ? c.dim(' (still firing at end of input)') : ''}`);
    out.push(`   ${forTerminal(i.summary)}`);
    out.push(c.dim(`   ${formatTime(i.start, opts.timeZone)} → ${formatTime(i.end, opts.timeZone)} · rule ${i.rule} · ${Object.entries(i.group).map(([k, v]) => `${k}=${forTerminal(truncate(v, 60))}`).join(' ') || 'site-wide'}${i.approximate ? ' · figures approximate' : ''}`));
    for (const r of i.reasons.slice(0, 3)) out.push(`   why (error log): ${forTerminal(r.text)}`);
    out.push(`   likely cause: ${forTerminal(i.likely_cause)}`);
    for (const check of i.checks) out.push(`   ☐ ${forTerminal(check)}`);
    for (const sample of i.samples.slice(0, 3)) out.push(c.dim(`     ${forTerminal(truncate(sample, Math.max(40, opts.width - 6)))}`));
    out.push('');
  }
  if (r.inhibited.length > 0) out.push(c.dim(`${r.inhibited.length} more alert(s) silenced because an incident above explains them.`), '');
  return out;
}

export function renderText(r: ReportModel, opts: TextOptions): string {
  const c = pc.createColors(opts.color);
  const out: string[] = [];
  out.push(c.bold(`authwatch: ${verdict(r)}`) + ` — ${int(r.unauthorized.count)} × 401 in ${int(r.requests)} requests (${pct(r.unauthorized.ratio)})`);
  out.push('');
  out.push(...renderIncidents(r, opts, c));
  out.push(c.bold('Sources'));
  for (const s of r.sources) {
    const bad = s.malformed > 0 ? c.yellow(`, ${int(s.malformed)} malformed`) : '';
    out.push(`  ${forTerminal(s.path)}  ${c.dim(forTerminal(truncate(s.format, 60)))}  ${int(s.lines)} lines, ${int(s.parsed)} parsed${bad}`);
  }
  if (r.range.from) out.push(`  range ${formatTime(r.range.from, opts.timeZone)} → ${formatTime(r.range.to ?? r.range.from, opts.timeZone)}`);
  out.push('');
  out.push(c.bold('Status mix'));
  out.push('  ' + Object.entries(r.status).map(([code, n]) => (code === '401' ? c.red(`${code}: ${int(n)}`) : `${code}: ${int(n)}`)).join('   '));
  out.push('');
  const tl = r.unauthorized.timeline;
  if (tl.length > 1) {
    const cols = Math.max(10, Math.min(opts.width - 12, 100));
    const per = Math.ceil(tl.length / cols);
    const buckets: number[] = [];
    for (let i = 0; i < tl.length; i += per) buckets.push(tl.slice(i, i + per).reduce((s, p) => s + p.unauthorized, 0));
    out.push(c.bold(`401s over time`) + c.dim(` (${per * r.unauthorized.timelineStepSeconds / 60} min per column)`));
    out.push('  ' + c.red(sparkline(buckets)));
    out.push(`  ${c.dim(formatTime(tl[0]?.t ?? '', opts.timeZone))}${' '.repeat(Math.max(1, buckets.length - 46))}${c.dim(formatTime(tl[tl.length - 1]?.t ?? '', opts.timeZone))}`);
    out.push('');
  }
  for (const [title, entries] of [
    ['Client IP', r.unauthorized.top.ip],
    ['Path', r.unauthorized.top.path],
    ['Client (user agent)', r.unauthorized.top.client],
    ['User', r.unauthorized.top.user],
  ] as const) {
    const t = topTable(title, entries, opts, c);
    if (t) out.push(c.bold(`Top ${title.toLowerCase()} by 401`), t, '');
  }
  if (r.errorLog.authFailures > 0) {
    out.push(c.bold(`Error log: ${int(r.errorLog.authFailures)} authentication failures`) + '  ' + Object.entries(r.errorLog.byReason).map(([k, n]) => `${k}: ${int(n)}`).join('   '));
    if (r.errorLog.passwordFiles.length > 0) out.push(c.yellow(`  password file(s) the server could not read: ${r.errorLog.passwordFiles.map(forTerminal).join(', ')}`));
    out.push('');
  }
  if (r.lines.malformed > 0) {
    out.push(c.yellow(c.bold(`Malformed lines: ${int(r.lines.malformed)}`)) + c.dim(` (showing ${r.lines.examples.length})`));
    for (const m of r.lines.examples) out.push(`  ${forTerminal(m.source)}  ${m.reason}`, c.dim(`    ${forTerminal(truncate(m.text, Math.max(40, opts.width - 6)))}`));
    out.push('');
  }
  return out.join('\n');
}
