/**
 * What an alert email says: a subject with what and where, then for each alert its kind and why it
 * was classified so, the evidence and a per-minute timeline, top IPs / paths / clients, sample lines
 * with file:line, the likely cause and the checks. Plain text and HTML (inline CSS, no remote
 * resources). Every value from a log is attacker-chosen: escaped in HTML, and stripped of control
 * characters and capped wherever it reaches a header.
 */
import type { Alert } from '../daemon/outputs';
import type { GroupFlush } from './grouping';
import { SEVERITIES, type Metric } from '../rules/schema';
import { escapeHtml } from '../present/escape';
import { figure, int, plural } from '../present/numbers';
import { formatTime } from '../present/time';
import { describeCondition, firstFive, sparkline } from '../present/incident';
import { CONTROL, truncate } from '../report/sanitize';

export interface RenderOptions {
  subjectPrefix: string;
  timeZone: string;
  sampleLines: number;
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

export const MAX_SUBJECT = 200;

/** Control characters (CR/LF above all), bidi overrides and line separators never reach a header. */
export function headerSafe(s: string, max = MAX_SUBJECT): string {
  return truncate(s.replace(CONTROL, ' ').replace(/\s+/g, ' ').trim(), max);
}

/** Log values in text bodies: visible, on one line, bounded. */
function bodySafe(s: string, max = 300): string {
  return truncate(s.replace(CONTROL, (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`), max);
}

const KIND_WHY: Record<Alert['kind'], string> = {
  attack: 'the failures look deliberate: someone is trying credentials or probing what is protected',
  misconfiguration: 'the failures look like our own doing: clients that should get in are refused',
  anomaly: 'the failure rate departs from what is usual here, without the marks of an attack or a known misconfiguration',
};

const KIND_COLOUR: Record<Alert['kind'], string> = { attack: '#b91c1c', misconfiguration: '#b45309', anomaly: '#6d28d9' };

function groupText(a: Alert): string {
  return Object.entries(a.group).map(([k, v]) => `${k}=${v}`).join(', ') || 'site-wide';
}

function topSeverity(alerts: Alert[]): Alert['severity'] {
  return alerts.reduce<Alert['severity']>((s, a) => (SEVERITIES.indexOf(a.severity) > SEVERITIES.indexOf(s) ? a.severity : s), 'low');
}

function timeRange(a: Alert, tz: string): string {
  const utc = `${formatTime(a.start)} → ${formatTime(a.end)}`;
  return tz === 'UTC' ? utc : `${utc} (${tz}: ${formatTime(a.start, tz)} → ${formatTime(a.end, tz)})`;
}

/** The figures that say how far from normal this is; the rest are in the JSON outputs. */
const EVIDENCE: Metric[] = ['count', 'total', 'ratio', 'distinct_ips', 'distinct_paths', 'distinct_clients', 'distinct_users', 'rate_per_min', 'baseline_ratio', 'baseline_rate_per_min', 'rate_factor', 'previously_ok_share', 'auth_failures'];

function evidenceOf(a: Alert): Array<[string, string]> {
  return EVIDENCE.filter((m) => a.metrics[m] !== undefined).map((m) => [m.replace(/[._]/g, ' '), figure(m, a.metrics[m] as number)]);
}

function timelineText(a: Alert, tz: string): string {
  const t = a.timeline;
  if (t.counts.length === 0) return '';
  const counts = t.counts.slice(-60);
  const from = new Date(new Date(t.start).getTime() + (t.counts.length - counts.length) * t.stepMs).toISOString();
  return `${sparkline(counts)}  (${counts.length} min from ${formatTime(from, tz)}, peak ${int(Math.max(...counts))}/min)`;
}

function topLine(entries: Array<{ key: string; count: number }>): string {
  return firstFive(entries, (k) => bodySafe(k, 80));
}

function alertText(a: Alert, o: RenderOptions): string {
  const out: string[] = [];
  out.push(`[${a.status === 'firing' ? 'FIRING' : 'RESOLVED'}] ${a.severity.toUpperCase()} ${a.kind}: ${a.title}`);
  out.push(bodySafe(a.summary, 400));
  out.push('');
  out.push(`Group:        ${bodySafe(groupText(a), 200)}`);
  out.push(`When:         ${timeRange(a, o.timeZone)}`);
  out.push(`Why ${a.kind}: ${KIND_WHY[a.kind]}. Rule ${a.rule} matched: ${a.conditions.map(describeCondition).join('; ')}.`);
  out.push(`Evidence:     ${a.count} failures in all; busiest window: ${evidenceOf(a).map(([k, v]) => `${k} ${v}`).join(', ')}${a.approximate ? ' (approximate)' : ''}`);
  const tl = timelineText(a, o.timeZone);
  if (tl) out.push(`Per minute:   ${tl}`);
  for (const r of a.reasons.slice(0, 3)) out.push(`Error log:    ${bodySafe(r.text, 300)}`);
  out.push(`Top IPs:      ${topLine(a.top.ip)}`);
  out.push(`Top paths:    ${topLine(a.top.path)}`);
  out.push(`Top clients:  ${topLine(a.top.client)}`);
  if (a.top.user.length) out.push(`Top users:    ${topLine(a.top.user)}`);
  if (a.top.host?.length) out.push(`Hosts:        ${topLine(a.top.host)}`);
  out.push('');
  out.push(`Likely cause: ${bodySafe(a.likely_cause, 400)}`);
  out.push('Check:');
  for (const [i, c] of a.checks.entries()) out.push(`  ${i + 1}. ${bodySafe(c, 400)}`);
  const samples = a.samples.slice(0, o.sampleLines);
  if (samples.length) {
    out.push('Sample lines:');
    for (const s of samples) out.push(`  ${bodySafe(s, 500)}`);
  }
  return out.join('\n');
}

const CELL = 'padding:2px 8px 2px 0;vertical-align:top;';

function timelineHtml(a: Alert): string {
  const counts = a.timeline.counts.slice(-60);
  if (counts.length === 0) return '';
  const max = Math.max(...counts, 1);
  const bars = counts
    .map((c) => `<td style="vertical-align:bottom;padding:0 1px 0 0;"><div title="${c}" style="width:6px;height:${Math.max(c > 0 ? 2 : 0, Math.round((c / max) * 40))}px;background:#dc2626;"></div></td>`)
    .join('');
  return `<table role="presentation" cellspacing="0" cellpadding="0" style="height:42px;border-bottom:1px solid #999;"><tr>${bars}</tr></table><div style="color:#666;font-size:12px;">${escapeHtml(`${counts.length} min from ${formatTime(new Date(new Date(a.timeline.start).getTime() + (a.timeline.counts.length - counts.length) * a.timeline.stepMs).toISOString())}, peak ${int(max)}/min`)}</div>`;
}

function topHtml(title: string, entries: Array<{ key: string; count: number }>): string {
  if (entries.length === 0) return '';
  const rows = entries.slice(0, 5).map((e) => `<tr><td style="${CELL}font-family:monospace;">${escapeHtml(truncate(e.key, 120))}</td><td style="${CELL}text-align:right;">${int(e.count)}</td></tr>`).join('');
  return `<h4 style="margin:12px 0 4px;">${escapeHtml(title)}</h4><table style="border-collapse:collapse;font-size:13px;">${rows}</table>`;
}

function alertHtml(a: Alert, o: RenderOptions): string {
  const colour = a.status === 'resolved' ? '#15803d' : KIND_COLOUR[a.kind];
  const rows: Array<[string, string]> = [
    ['Group', escapeHtml(truncate(groupText(a), 200))],
    ['When', escapeHtml(timeRange(a, o.timeZone))],
    [`Why ${escapeHtml(a.kind)}`, `${escapeHtml(KIND_WHY[a.kind])}. Rule <code>${escapeHtml(a.rule)}</code> matched: ${a.conditions.map((c) => escapeHtml(describeCondition(c))).join('; ')}.`],
    ['Evidence', escapeHtml(`${a.count} failures in all; busiest window: ${evidenceOf(a).map(([k, v]) => `${k} ${v}`).join(', ')}${a.approximate ? ' (approximate)' : ''}`)],
    ...a.reasons.slice(0, 3).map((r): [string, string] => ['Error log', escapeHtml(r.text)]),
  ];
  const samples = a.samples.slice(0, o.sampleLines);
  return [
    `<div style="border-left:6px solid ${colour};padding:8px 12px;margin:16px 0;background:#fafafa;">`,
    `<div style="font-size:12px;font-weight:bold;color:${colour};text-transform:uppercase;">${a.status === 'firing' ? 'firing' : 'resolved'} · ${escapeHtml(a.severity)} · ${escapeHtml(a.kind)}</div>`,
    `<h3 style="margin:4px 0;">${escapeHtml(a.title)}</h3>`,
    `<p style="margin:4px 0 8px;">${escapeHtml(a.summary)}</p>`,
    `<table style="border-collapse:collapse;font-size:13px;">${rows.map(([k, v]) => `<tr><th style="${CELL}text-align:left;white-space:nowrap;">${k}</th><td style="${CELL}">${v}</td></tr>`).join('')}</table>`,
    `<h4 style="margin:12px 0 4px;">Failures per minute</h4>${timelineHtml(a)}`,
    topHtml('Top IPs', a.top.ip),
    topHtml('Top paths', a.top.path),
    topHtml('Top clients', a.top.client),
    topHtml('Top users', a.top.user),
    topHtml('Hosts', a.top.host ?? []),
    `<h4 style="margin:12px 0 4px;">Likely cause</h4><p style="margin:0;">${escapeHtml(a.likely_cause)}</p>`,
    `<h4 style="margin:12px 0 4px;">Check</h4><ol style="margin:0;padding-left:20px;">${a.checks.map((c) => `<li>${escapeHtml(c)}</li>`).join('')}</ol>`,
    samples.length ? `<h4 style="margin:12px 0 4px;">Sample lines</h4><pre style="font-size:12px;white-space:pre-wrap;word-break:break-all;background:#f0f0f0;padding:6px;">${samples.map((s) => escapeHtml(truncate(s, 2000))).join('\n')}</pre>` : '',
    '</div>',
  ].join('');
}

function page(title: string, intro: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#111;max-width:860px;">` +
    `<p style="margin:0 0 8px;">${intro}</p>${body}<p style="color:#777;font-size:12px;">Sent by authwatch. Times in UTC unless a zone is named.</p></body></html>`;
}

/** One group's email. */
export function renderGroup(f: GroupFlush, o: RenderOptions): RenderedEmail {
  const alerts = [...f.firing, ...f.resolved];
  const first = alerts[0] as Alert;
  const lead = f.firing[0] ?? first;
  let subject: string;
  if (alerts.length === 1) {
    subject = `${lead.status === 'firing' ? lead.severity.toUpperCase() : 'RESOLVED'} ${lead.kind}: ${lead.summary}`;
  } else {
    const status = f.firing.length > 0 ? topSeverity(f.firing).toUpperCase() : 'RESOLVED';
    const counts = [f.firing.length && `${f.firing.length} firing`, f.resolved.length && `${f.resolved.length} resolved`].filter(Boolean).join(', ');
    const groups = alerts.slice(0, 3).map(groupText).join('; ');
    subject = `${status} ${lead.kind}: ${lead.title}: ${counts} (${groups}${alerts.length > 3 ? '; …' : ''})`;
  }
  if (f.repeat) subject = `still firing: ${subject}`;
  subject = headerSafe(`${o.subjectPrefix} ${subject}`);
  const intro = f.repeat
    ? `Still firing (a reminder): ${plural(f.firing.length, 'alert')}.`
    : [f.firing.length && `${plural(f.firing.length, 'alert')} firing`, f.resolved.length && `${plural(f.resolved.length, 'alert')} resolved`].filter(Boolean).join(', ') + '.';
  const text = `${intro}\n\n${alerts.map((a) => alertText(a, o)).join('\n\n' + '-'.repeat(72) + '\n\n')}\n\n-- \nSent by authwatch. Times in UTC unless a zone is named.\n`;
  return { subject, text, html: page(subject, escapeHtml(intro), alerts.map((a) => alertHtml(a, o)).join('')) };
}

/** The rate limit was reached: every group still due, folded into one email. */
export function renderDigest(flushes: GroupFlush[], limitPerHour: number, o: RenderOptions): RenderedEmail {
  const firing = flushes.flatMap((f) => f.firing);
  const resolved = flushes.flatMap((f) => f.resolved);
  const subject = headerSafe(`${o.subjectPrefix} digest: ${[firing.length && `${firing.length} firing`, resolved.length && `${resolved.length} resolved`].filter(Boolean).join(', ')} (${limitPerHour} emails/h limit reached)`);
  const intro = `More alerts than the limit of ${limitPerHour} emails an hour: the rest are folded into this digest.`;
  const line = (a: Alert) => `[${a.status === 'firing' ? a.severity.toUpperCase() : 'RESOLVED'}] ${a.kind}: ${bodySafe(a.summary, 300)} — ${formatTime(a.start)} → ${formatTime(a.end)}`;
  const all = [...firing, ...resolved];
  const text = `${intro}\n\n${all.map(line).join('\n')}\n\nDetails of the first ones:\n\n${all.slice(0, 3).map((a) => alertText(a, o)).join('\n\n' + '-'.repeat(72) + '\n\n')}\n`;
  const html = page(subject, escapeHtml(intro), `<ul>${all.map((a) => `<li>${escapeHtml(line(a))}</li>`).join('')}</ul>${all.slice(0, 3).map((a) => alertHtml(a, o)).join('')}`);
  return { subject, text, html };
}

export function renderTest(o: RenderOptions, host: string): RenderedEmail {
  const subject = headerSafe(`${o.subjectPrefix} test message`);
  const text = `This is a test message from authwatch on ${host}, sent by \`authwatch email test\`.\nIf you read this, alerts will reach you.\n`;
  return { subject, text, html: page(subject, escapeHtml(text), '') };
}
