/** The terminal rendering of a report: aligned tables, colour only on a TTY (picocolors honours NO_COLOR). */
import Table from 'cli-table3';
import pc from 'picocolors';
import type { ReportModel, TopEntry } from './model';
import { forTerminal, truncate } from './sanitize';
import { int, pct } from '../present/numbers';
import { formatRange, formatTime } from '../present/time';
import { cutMiddle, fitSample } from '../present/sample';
import { firstFive, fold, perMinuteText, sparkline, viewIncident, type IncidentView } from '../present/incident';
import { headline, verdict } from './verdict';

export interface TextOptions {
  color: boolean;
  /** The terminal's width: sample and summary lines are fitted to it. Undefined when not a terminal: nothing is cut. */
  width?: number;
  /** IANA zone for displayed times (default UTC). */
  timeZone?: string;
}

/** Tables and sparklines are laid out for this width when the output is not a terminal. */
const LAYOUT_WIDTH = 100;
/** Sample lines past this are cut even off a terminal (the model keeps up to 1,000 characters of a line). */
const MAX_SAMPLE = 1000;

type Colors = ReturnType<typeof pc.createColors>;

const KIND_COLOR = { attack: 'red', misconfiguration: 'yellow', anomaly: 'magenta' } as const;

/** Whether any listed key had answered 401s: only then do the tables carry the column. */
function hasAnswered(entries: TopEntry[]): boolean {
  return entries.some((e) => e.answered > 0);
}

function topTable(title: string, entries: TopEntry[], width: number, c: Colors, color: boolean): string {
  if (entries.length === 0) return '';
  const answered = hasAnswered(entries);
  const keyWidth = Math.max(20, Math.min(80, width - (answered ? 52 : 40)));
  const table = new Table({
    head: [title, '401s', ...(answered ? ['answered'] : []), 'requests', '401 share'],
    style: { head: color ? ['bold'] : [], border: color ? ['grey'] : [] },
    colAligns: ['left', 'right', ...(answered ? ['right' as const] : []), 'right', 'right'],
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  for (const e of entries) {
    table.push([forTerminal(cutMiddle(e.key, keyWidth)), c.red(int(e.count)), ...(answered ? [e.answered > 0 ? c.green(int(e.answered)) : ''] : []), int(e.total), pct(e.count / e.total)]);
  }
  return table.toString();
}

function incidentHeader(v: IncidentView, c: Colors): string {
  const state = v.state === 'resolved' ? '' : c.inverse(v.state.toUpperCase()) + ' ';
  return `${c.bold(`${v.n}.`)} ${state}${c.bold(`${v.severity.toUpperCase()} ${c[KIND_COLOR[v.kind]](v.kind)}`)}: ${c.bold(forTerminal(v.title))}`;
}

function renderIncident(v: IncidentView, o: TextOptions, c: Colors): string[] {
  const width = o.width ?? LAYOUT_WIDTH;
  const out: string[] = [];
  out.push(incidentHeader(v, c));
  out.push(`   ${forTerminal(v.what)}`);
  out.push(c.dim(`   ${v.when} (${v.duration}) · ${v.stateText} · rule ${v.rule} · ${forTerminal(truncate(v.group, 200))}${v.approximate ? ' · figures approximate' : ''}`));
  out.push(`   why ${v.kind}: ${v.kindMeaning}; ${forTerminal(v.conditions.join('; '))}`);
  out.push(`   evidence: ${v.evidence}`);
  if (v.perMinute) out.push(`   per minute: ${perMinuteText(v.perMinute, Math.max(10, Math.min(60, width - 60)))}`);
  for (const r of v.reasons.slice(0, 3)) out.push(`   error log: ${forTerminal(r)}`);
  for (const t of v.top) out.push(`   top ${t.label}: ${forTerminal(firstFive(t.entries))}`);
  out.push(`   likely cause: ${forTerminal(v.likelyCause)}`);
  for (const check of v.checks) out.push(`   ☐ ${forTerminal(check)}`);
  const max = o.width === undefined ? MAX_SAMPLE : Math.max(40, o.width - 5);
  // Escaped before fitting: a control character shown as \x1B takes four columns.
  for (const s of v.samples) out.push(c.dim(`     ${fitSample(forTerminal(s.line), max)}`));
  out.push('');
  return out;
}

function firstLine(r: ReportModel, c: Colors): string {
  const figures = headline(r);
  return c.bold(`authwatch: ${verdict(r)}`) + (figures ? ` — ${figures}` : '');
}

function silenced(r: ReportModel): string {
  return `${r.inhibited.length} more alert(s) silenced because an incident above explains them.`;
}

/**
 * `--summary`: the verdict, then one line per incident (state, severity, kind, start, duration, what),
 * in columns; on a terminal each line is fitted to its width by cutting the middle of what happened.
 */
export function renderSummary(r: ReportModel, o: TextOptions): string {
  const c = pc.createColors(o.color);
  const views = r.incidents.map((i, n) => viewIncident(i, n + 1, { timeZone: o.timeZone ?? 'UTC' }));
  const cols = views.map((v) => [`${v.n}.`, v.state, v.severity, v.kind, v.startText, v.duration]);
  const widths = cols.reduce<number[]>((w, row) => row.map((cell, k) => Math.max(w[k] ?? 0, cell.length)), []);
  const out = [firstLine(r, c)];
  for (const [k, v] of views.entries()) {
    const row = (cols[k] as string[]).map((cell, j) => cell.padEnd(widths[j] as number)).join('  ');
    const what = forTerminal(v.what);
    const line = `  ${row}  ${o.width === undefined ? what : cutMiddle(what, Math.max(20, o.width - row.length - 4))}`;
    const colour = v.state === 'resolved' ? c.dim : c[KIND_COLOR[v.kind]];
    out.push(colour(line));
  }
  if (r.inhibited.length > 0) out.push(c.dim(silenced(r)));
  return out.join('\n');
}

export function renderText(r: ReportModel, o: TextOptions): string {
  const c = pc.createColors(o.color);
  const width = o.width ?? LAYOUT_WIDTH;
  const tz = o.timeZone ?? 'UTC';
  const out: string[] = [firstLine(r, c), ''];
  for (const [n, i] of r.incidents.entries()) out.push(...renderIncident(viewIncident(i, n + 1, { timeZone: tz }), o, c));
  if (r.inhibited.length > 0) out.push(c.dim(silenced(r)), '');
  out.push(c.bold('Sources'));
  for (const s of r.sources) {
    const bad = s.malformed > 0 ? c.yellow(`, ${int(s.malformed)} malformed`) : '';
    const status = s.status === 'ok' ? '' : c.yellow(`, ${s.status}${s.reason ? `: ${forTerminal(truncate(s.reason, 200))}` : ''}`);
    out.push(`  ${forTerminal(s.path)}  ${c.dim(forTerminal(truncate(s.format, 60)))}  ${int(s.lines)} lines, ${int(s.parsed)} parsed${bad}${status}`);
  }
  if (r.range.from) out.push(`  range ${formatRange(r.range.from, r.range.to ?? r.range.from, tz)}`);
  out.push('');
  if (Object.keys(r.status).length > 0) {
    out.push(c.bold('Status mix'));
    out.push('  ' + Object.entries(r.status).map(([code, n]) => (code === '401' ? c.red(`${code}: ${int(n)}`) : `${code}: ${int(n)}`)).join('   '));
    out.push('');
  }
  const tl = r.unauthorized.timeline;
  if (tl.length > 1) {
    const { sums, per } = fold(tl.map((p) => p.unauthorized), Math.max(10, Math.min(width - 12, 100)));
    out.push(c.bold(`401s over time`) + c.dim(` (${(per * r.unauthorized.timelineStepSeconds) / 60} min per column)`));
    out.push('  ' + c.red(sparkline(sums)));
    out.push(`  ${c.dim(formatTime(tl[0]?.t ?? '', tz))}${' '.repeat(Math.max(1, sums.length - 46))}${c.dim(formatTime(tl[tl.length - 1]?.t ?? '', tz))}`);
    out.push('');
  }
  const tops = [
    ['Client IP', r.unauthorized.top.ip],
    ['Path', r.unauthorized.top.path],
    ['Client (user agent)', r.unauthorized.top.client],
    ['User', r.unauthorized.top.user],
  ] as const;
  for (const [title, entries] of tops) {
    const t = topTable(title, entries, width, c, o.color);
    if (t) out.push(c.bold(`Top ${title.toLowerCase()} by 401`), t, '');
  }
  if (tops.some(([, entries]) => hasAnswered(entries))) {
    out.push(c.dim('answered: 401s followed within seconds by a success of the same client on the same path (a Basic-auth challenge, a token refresh): not failures.'), '');
  }
  if (r.errorLog.authFailures > 0) {
    out.push(c.bold(`Error log: ${int(r.errorLog.authFailures)} authentication failures`) + '  ' + Object.entries(r.errorLog.byReason).map(([k, n]) => `${k}: ${int(n)}`).join('   '));
    if (r.errorLog.passwordFiles.length > 0) out.push(c.yellow(`  password file(s) the server could not read: ${r.errorLog.passwordFiles.map(forTerminal).join(', ')}`));
    out.push('');
  }
  if (r.lines.malformed > 0) {
    out.push(c.yellow(c.bold(`Malformed lines: ${int(r.lines.malformed)}`)) + c.dim(` (showing ${r.lines.examples.length})`));
    // Lines not shown are counted by reason, so twenty lines failing alike read as one count.
    if (r.lines.malformed > r.lines.examples.length) for (const { reason, count } of r.lines.reasons.slice(0, 10)) out.push(`  ${int(count)} × ${forTerminal(reason)}`);
    for (const m of r.lines.examples) out.push(`  ${forTerminal(m.source)}  ${forTerminal(m.reason)}`, c.dim(`    ${forTerminal(truncate(m.text, Math.max(40, width - 6)))}`));
    out.push('');
  }
  return out.join('\n');
}
