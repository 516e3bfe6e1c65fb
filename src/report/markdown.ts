/**
 * The report in Markdown, to paste into a ticket: the verdict, incidents, sources, status mix and top
 * lists as tables. Log values are escaped so they stay text: no table break (`|`), no emphasis, link
 * or inline HTML; sample lines go in fences longer than any backtick run they hold.
 */
import type { ReportModel, TopEntry } from './model';
import { int, pct } from '../present/numbers';
import { formatTime, humanSpan } from '../present/time';
import { firstFive, perMinuteParts, sparkline, viewIncident, type IncidentView } from '../present/incident';
import { cutMiddle } from '../present/sample';
import { headline, verdict } from './verdict';
import { CONTROL, truncate } from './sanitize';

export interface MarkdownOptions {
  timeZone: string;
}

/** Inline text from a log: emphasis, code, link, table and strike characters backslash-escaped, HTML as entities. */
export function mdText(s: string): string {
  return s
    .replace(CONTROL, ' ')
    .replace(/([\\`*_[\]|~])/g, '\\$1')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

/** Text that starts a paragraph: also no heading, list, quote or rule from its first characters. */
export function mdParagraph(s: string): string {
  return mdText(s).replace(/^(\s*)([#+\-=]|\d+[.)])/, '$1\\$2');
}

function fence(lines: string[]): string {
  const body = lines.map((l) => l.replace(CONTROL, ' ')).join('\n');
  const longest = Math.max(2, ...[...body.matchAll(/`+/g)].map((m) => m[0].length));
  const f = '`'.repeat(longest + 1);
  return `${f}text\n${body}\n${f}`;
}

function table(head: string[], rows: string[][], numeric: boolean[]): string {
  const sep = head.map((_, i) => (numeric[i] ? '---:' : '---'));
  return [head, sep, ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

function topTable(title: string, entries: TopEntry[]): string {
  if (entries.length === 0) return '';
  const answered = entries.some((e) => e.answered > 0);
  const head = [title.replace(/^Top /, ''), '401s', ...(answered ? ['answered'] : []), 'requests', '401 rate'];
  const rows = entries.map((e) => [mdText(cutMiddle(e.key, 120)), int(e.count), ...(answered ? [e.answered > 0 ? int(e.answered) : ''] : []), int(e.total), pct(e.count / Math.max(1, e.total))]);
  return `### ${title}\n\n${table(head, rows, head.map((_, k) => k > 0))}\n`;
}

/** The incident view as a ticket section: heading, what, a list of the view's fields, checks, samples. */
function incident(v: IncidentView): string {
  const state = v.state === 'resolved' ? 'resolved' : `**${v.stateText}**`;
  const out = [
    `### ${v.n}. ${v.severity.toUpperCase()} ${v.kind}: ${mdText(v.title)}`,
    '',
    mdParagraph(v.what),
    '',
    `- **When:** ${v.when} (${v.duration}) · ${state}`,
    `- **Rule:** \`${v.rule}\` · **Group:** ${mdText(truncate(v.group, 200))}${v.approximate ? ' · figures approximate' : ''}`,
    `- **Why ${v.kind}:** ${v.kindMeaning}; ${mdText(v.conditions.join('; '))}`,
    `- **Evidence:** ${mdText(v.evidence)}`,
    ...(v.perMinute ? [`- **Per minute:** ${mdPerMinute(v.perMinute)}`] : []),
    ...v.reasons.slice(0, 3).map((r) => `- **Error log:** ${mdText(r)}`),
    ...v.top.map((t) => `- **Top ${t.label}:** ${mdText(firstFive(t.entries))}`),
    `- **Likely cause:** ${mdText(v.likelyCause)}`,
    '',
    '**Checks**',
    '',
    ...v.checks.map((c) => `- [ ] ${mdText(c)}`),
  ];
  if (v.samples.length) out.push('', '**Sample lines**', '', fence(v.samples.map((s) => truncate(s.line, 1000))));
  return out.join('\n') + '\n';
}

/** The sparkline in code (zero minutes as dots, so the width shows), the words after it as text. */
function mdPerMinute(p: NonNullable<IncidentView['perMinute']>): string {
  const [spark, rest] = perMinuteParts(p, 60);
  return `\`${spark.replace(/ /g, '·')}\` ${rest}`;
}

export function renderMarkdown(r: ReportModel, o: MarkdownOptions): string {
  const tz = o.timeZone;
  const out: string[] = [];
  out.push('# authwatch report', '');
  out.push(`**${verdict(r)}**${headline(r) ? ` — ${headline(r)}` : ''}`, '');
  if (r.range.from) out.push(`Range: ${formatTime(r.range.from, tz)} → ${formatTime(r.range.to ?? r.range.from, tz)} (${humanSpan(r.range.from, r.range.to)})`, '');
  out.push('## Incidents', '');
  if (r.incidents.length === 0) out.push('None.', '');
  for (const [n, i] of r.incidents.entries()) out.push(incident(viewIncident(i, n + 1, { timeZone: tz })));
  if (r.inhibited.length) out.push(`${r.inhibited.length} more alert(s) silenced because an incident above explains them.`, '');
  out.push('## Sources', '');
  const status = (s: ReportModel['sources'][number]) => (s.status === 'ok' ? 'ok' : mdText(`${s.status}${s.reason ? `: ${truncate(s.reason, 200)}` : ''}`));
  out.push(table(['file', 'format', 'lines', 'parsed', 'malformed', 'status'], r.sources.map((s) => [mdText(s.path), mdText(truncate(s.format, 60)), int(s.lines), int(s.parsed), int(s.malformed), status(s)]), [false, false, true, true, true, false]), '');
  out.push('## Status mix', '');
  const total = Object.values(r.status).reduce((a, b) => a + b, 0);
  out.push(table(['status', 'requests', 'share'], Object.entries(r.status).map(([c, n]) => [c, int(n), pct(n / Math.max(1, total))]), [false, true, true]), '');
  const tl = r.unauthorized.timeline;
  if (tl.length > 1) {
    const per = Math.ceil(tl.length / 80);
    const cols: number[] = [];
    for (let i = 0; i < tl.length; i += per) cols.push(tl.slice(i, i + per).reduce((s, p) => s + p.unauthorized, 0));
    out.push('## 401s over time', '', `\`${sparkline(cols).replace(/ /g, '·')}\``, '', `${(per * r.unauthorized.timelineStepSeconds) / 60} min per column, from ${formatTime(tl[0]?.t ?? '', tz)} to ${formatTime(tl[tl.length - 1]?.t ?? '', tz)}`, '');
  }
  out.push('## Who gets the 401s', '');
  for (const [title, entries] of [
    ['Top client IPs', r.unauthorized.top.ip],
    ['Top paths', r.unauthorized.top.path],
    ['Top clients (user agent)', r.unauthorized.top.client],
    ['Top users', r.unauthorized.top.user],
  ] as const) {
    const t = topTable(title, entries);
    if (t) out.push(t);
  }
  if (r.errorLog.authFailures > 0) out.push('## Error log', '', `${int(r.errorLog.authFailures)} authentication failures: ${Object.entries(r.errorLog.byReason).map(([k, n]) => `${k} ${int(n)}`).join(', ')}`, '');
  if (r.lines.malformed > 0) {
    out.push(`## Malformed lines (${int(r.lines.malformed)}, showing ${r.lines.examples.length})`, '');
    out.push(table(['where', 'why', 'line'], r.lines.examples.map((m) => [mdText(m.source), mdText(m.reason), mdText(truncate(m.text, 200))]), [false, false, false]), '');
  }
  return out.join('\n');
}
