/**
 * What an alert email says: a subject with what and where, then for each alert its kind and why it
 * was classified so, the evidence and a per-minute timeline, top IPs / paths / clients, sample lines
 * with file:line, the likely cause and the checks. Plain text and HTML (inline CSS, no remote
 * resources). Every value from a log is attacker-chosen: escaped in HTML, and stripped of control
 * characters and capped wherever it reaches a header.
 */
import type { Alert } from '../daemon/outputs';
import type { GroupFlush } from './grouping';
import { SEVERITIES } from '../rules/schema';
import { escapeHtml } from '../present/escape';
import { int, plural } from '../present/numbers';
import { formatRange } from '../present/time';
import { cutMiddle } from '../present/sample';
import { firstFive, fold, groupText, perMinuteParts, perMinuteText, viewIncident, type IncidentView } from '../present/incident';
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

const KIND_COLOUR: Record<Alert['kind'], string> = { attack: '#b91c1c', misconfiguration: '#b45309', anomaly: '#6d28d9' };

function topSeverity(alerts: Alert[]): Alert['severity'] {
  return alerts.reduce<Alert['severity']>((s, a) => (SEVERITIES.indexOf(a.severity) > SEVERITIES.indexOf(s) ? a.severity : s), 'low');
}

function viewOf(a: Alert, o: RenderOptions): IncidentView {
  return viewIncident(a, 1, { timeZone: o.timeZone, withUtc: true });
}

/** "Top IPs:      203.0.113.7 (240)": labels padded to one column. */
function label(name: string): string {
  return `${name}:`.padEnd(14);
}

function alertText(a: Alert, o: RenderOptions): string {
  const v = viewOf(a, o);
  const out: string[] = [];
  out.push(`[${v.state.toUpperCase()}] ${v.severity.toUpperCase()} ${v.kind}: ${bodySafe(v.title, 200)}`);
  out.push(bodySafe(v.what, 400));
  out.push('');
  out.push(`${label('Group')}${bodySafe(v.group, 200)}`);
  out.push(`${label('When')}${v.when} (${v.duration}), ${v.stateText}`);
  out.push(`Why ${v.kind}: ${v.kindMeaning}. Rule ${v.rule} matched: ${v.conditions.join('; ')}.`);
  out.push(`${label('Evidence')}${v.evidence}`);
  if (v.perMinute) out.push(`${label('Per minute')}${perMinuteText(v.perMinute, 60)}`);
  for (const r of v.reasons.slice(0, 3)) out.push(`${label('Error log')}${bodySafe(r, 300)}`);
  for (const t of v.top) out.push(`${label(`Top ${t.label}`)}${firstFive(t.entries, (k) => bodySafe(cutMiddle(k, 80)))}`);
  out.push('');
  out.push(`Likely cause: ${bodySafe(v.likelyCause, 400)}`);
  out.push('Check:');
  for (const [i, c] of v.checks.entries()) out.push(`  ${i + 1}. ${bodySafe(c, 400)}`);
  const samples = v.samples.slice(0, o.sampleLines);
  if (samples.length) {
    out.push('Sample lines:');
    for (const s of samples) out.push(`  ${bodySafe(s.line, 500)}`);
  }
  return out.join('\n');
}

const CELL = 'padding:2px 8px 2px 0;vertical-align:top;';

function timelineHtml(p: NonNullable<IncidentView['perMinute']>): string {
  const { sums } = fold(p.counts, 60);
  const max = Math.max(...sums, 1);
  const bars = sums
    .map((c) => `<td style="vertical-align:bottom;padding:0 1px 0 0;"><div title="${c}" style="width:6px;height:${Math.max(c > 0 ? 2 : 0, Math.round((c / max) * 40))}px;background:#dc2626;"></div></td>`)
    .join('');
  return `<table role="presentation" cellspacing="0" cellpadding="0" style="height:42px;border-bottom:1px solid #999;"><tr>${bars}</tr></table><div style="color:#666;font-size:12px;">${escapeHtml(perMinuteParts(p, 60)[1])}</div>`;
}

function topHtml(title: string, entries: Array<{ key: string; count: number }>): string {
  const rows = entries.length === 0
    ? `<tr><td style="${CELL}">-</td></tr>`
    : entries.slice(0, 5).map((e) => `<tr><td style="${CELL}font-family:monospace;">${escapeHtml(truncate(e.key, 120))}</td><td style="${CELL}text-align:right;">${int(e.count)}</td></tr>`).join('');
  return `<h4 style="margin:12px 0 4px;">${escapeHtml(title)}</h4><table style="border-collapse:collapse;font-size:13px;">${rows}</table>`;
}

function alertHtml(a: Alert, o: RenderOptions): string {
  const v = viewOf(a, o);
  const colour = v.state === 'resolved' ? '#15803d' : KIND_COLOUR[v.kind];
  const rows: Array<[string, string]> = [
    ['Group', escapeHtml(truncate(v.group, 200))],
    ['When', escapeHtml(`${v.when} (${v.duration}), ${v.stateText}`)],
    [`Why ${escapeHtml(v.kind)}`, `${escapeHtml(v.kindMeaning)}. Rule <code>${escapeHtml(v.rule)}</code> matched: ${escapeHtml(v.conditions.join('; '))}.`],
    ['Evidence', escapeHtml(v.evidence)],
    ...v.reasons.slice(0, 3).map((r): [string, string] => ['Error log', escapeHtml(r)]),
  ];
  const samples = v.samples.slice(0, o.sampleLines);
  return [
    `<div style="border-left:6px solid ${colour};padding:8px 12px;margin:16px 0;background:#fafafa;">`,
    `<div style="font-size:12px;font-weight:bold;color:${colour};text-transform:uppercase;">${v.state} · ${escapeHtml(v.severity)} · ${escapeHtml(v.kind)}</div>`,
    `<h3 style="margin:4px 0;">${escapeHtml(v.title)}</h3>`,
    `<p style="margin:4px 0 8px;">${escapeHtml(v.what)}</p>`,
    `<table style="border-collapse:collapse;font-size:13px;">${rows.map(([k, val]) => `<tr><th style="${CELL}text-align:left;white-space:nowrap;">${k}</th><td style="${CELL}">${val}</td></tr>`).join('')}</table>`,
    v.perMinute ? `<h4 style="margin:12px 0 4px;">Failures per minute</h4>${timelineHtml(v.perMinute)}` : '',
    ...v.top.map((t) => topHtml(`Top ${t.label}`, t.entries)),
    `<h4 style="margin:12px 0 4px;">Likely cause</h4><p style="margin:0;">${escapeHtml(v.likelyCause)}</p>`,
    `<h4 style="margin:12px 0 4px;">Check</h4><ol style="margin:0;padding-left:20px;">${v.checks.map((c) => `<li>${escapeHtml(c)}</li>`).join('')}</ol>`,
    samples.length ? `<h4 style="margin:12px 0 4px;">Sample lines</h4><pre style="font-size:12px;white-space:pre-wrap;word-break:break-all;background:#f0f0f0;padding:6px;">${samples.map((s) => escapeHtml(truncate(s.line, 2000))).join('\n')}</pre>` : '',
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
    const groups = alerts.slice(0, 3).map((a) => groupText(a.group)).join('; ');
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
  const line = (a: Alert) => `[${a.status === 'firing' ? a.severity.toUpperCase() : 'RESOLVED'}] ${a.kind}: ${bodySafe(a.summary, 300)} — ${formatRange(a.start, a.end)}`;
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
