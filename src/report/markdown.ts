/**
 * The report in Markdown, to paste into a ticket: the verdict, incidents, sources, status mix and top
 * lists as tables. Log values are escaped so they stay text: no table break (`|`), no emphasis, link
 * or inline HTML; sample lines go in fences longer than any backtick run they hold.
 */
import type { ReportModel, TopEntry } from './model';
import type { Incident } from '../rules/incident';
import { int, pct } from '../present/numbers';
import { formatTime, humanSpan } from '../present/time';
import { describeCondition, firstFive, sparkline } from '../present/incident';
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
  return `### ${title}\n\n${table([title.replace(/^Top /, ''), '401s', 'requests', '401 rate'], entries.map((e) => [mdText(truncate(e.key, 120)), int(e.count), int(e.total), pct(e.count / Math.max(1, e.total))]), [false, true, true, true])}\n`;
}

function incident(i: Incident, n: number, tz: string): string {
  const group = Object.entries(i.group).map(([k, v]) => `${k}=${v}`).join(', ') || 'site-wide';
  const out = [
    `### ${n}. ${i.severity.toUpperCase()} ${i.kind}: ${mdText(i.title)}${i.open ? ' (still firing at end of input)' : ''}`,
    '',
    mdParagraph(i.summary),
    '',
    `- **When:** ${formatTime(i.start, tz)} → ${formatTime(i.end, tz)}`,
    `- **Rule:** \`${i.rule}\` · **Group:** ${mdText(truncate(group, 200))}${i.approximate ? ' · figures approximate' : ''}`,
    `- **Why ${i.kind}:** ${mdText(i.conditions.map(describeCondition).join('; '))}`,
    `- **Per minute:** \`${sparkline(i.timeline.counts.slice(-60)).replace(/ /g, '·')}\` (peak ${int(Math.max(0, ...i.timeline.counts))}/min)`,
    ...i.reasons.slice(0, 3).map((r) => `- **Error log:** ${mdText(r.text)}`),
    `- **Top IPs:** ${mdText(firstFive(i.top.ip))}`,
    ...(i.top.host?.length ? [`- **Hosts:** ${mdText(firstFive(i.top.host, (k) => k))}`] : []),
    `- **Likely cause:** ${mdText(i.likely_cause)}`,
    '',
    '**Checks**',
    '',
    ...i.checks.map((c) => `- [ ] ${mdText(c)}`),
  ];
  if (i.samples.length) out.push('', '**Sample lines**', '', fence(i.samples.map((s) => truncate(s, 1000))));
  return out.join('\n') + '\n';
}

export function renderMarkdown(r: ReportModel, o: MarkdownOptions): string {
  const tz = o.timeZone;
  const out: string[] = [];
  out.push('# authwatch report', '');
  out.push(`**${verdict(r)}**${headline(r) ? ` — ${headline(r)}` : ''}`, '');
  if (r.range.from) out.push(`Range: ${formatTime(r.range.from, tz)} → ${formatTime(r.range.to ?? r.range.from, tz)} (${humanSpan(r.range.from, r.range.to)})`, '');
  out.push('## Incidents', '');
  if (r.incidents.length === 0) out.push('None.', '');
  for (const [n, i] of r.incidents.entries()) out.push(incident(i, n + 1, tz));
  if (r.inhibited.length) out.push(`${r.inhibited.length} more alert(s) silenced because an incident above explains them.`, '');
  out.push('## Sources', '');
  out.push(table(['file', 'format', 'lines', 'parsed', 'malformed'], r.sources.map((s) => [mdText(s.path), mdText(truncate(s.format, 60)), int(s.lines), int(s.parsed), int(s.malformed)]), [false, false, true, true, true]), '');
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
