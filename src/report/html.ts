/**
 * The report as one self-contained HTML file: no CDN, no remote font, uPlot and the page's own CSS
 * and script inlined (assets.ts), aggregates only (a 10 M-line log gives the same small page). It
 * leads with the verdict and the incidents (a summary linking to each card, then the cards), then
 * the 401 chart, status mix, top tables and sources; it fits a 360 px phone without sideways scroll.
 * Every value from a log is attacker-chosen: escaped for its context (text and attributes by
 * escapeHtml, data for the chart as JSON in a non-executed <script> with `<` escaped), no inline
 * style attributes, and a Content-Security-Policy that allows only the page's own scripts and
 * styles, by hash.
 */
import { createHash } from 'node:crypto';
import type { ReportModel, TopEntry } from './model';
import type { Kind } from '../rules/schema';
import { escapeHtml as esc } from '../present/escape';
import { int, pct } from '../present/numbers';
import { formatRange, formatTime, humanSpan } from '../present/time';
import { firstFive, perMinuteParts, viewIncident, type IncidentView } from '../present/incident';
import { cutMiddle } from '../present/sample';
import { headline, verdict } from './verdict';
import { pageAssets } from './assets';

export interface HtmlOptions {
  timeZone: string;
}

/** JSON that can sit inside <script>: `<` never appears raw, so `</script>` or `<!--` in a log value cannot end or bend the block. */
export function scriptJson(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

const sha256 = (s: string) => `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`;

/** Characters of a key kept in a table cell; what a cell clips, its title holds (up to this). */
const MAX_KEY = 300;

function bar(share: number, cls = 'fg'): string {
  const w = Math.round(Math.max(0, Math.min(1, share)) * 80);
  return `<svg class="bar" width="80" height="10" aria-hidden="true"><rect class="bg" width="80" height="10"/><rect class="${cls}" width="${w}" height="10"/></svg>`;
}

interface Column {
  label: string;
  /** th/td classes: 'n' numeric, 'wide' gives way on a phone, 'share', 'status', 'where' fix a width. */
  cls?: string;
  /** The column the rows are sorted by when the page opens. */
  sorted?: 'descending' | 'ascending';
}

/** A table whose headers are buttons (keyboard and mouse sort it; the page script keeps `aria-sort` true). */
function sortableTable(caption: string, columns: Column[], rows: string[]): string {
  const head = columns
    .map((c) => `<th scope="col"${c.cls ? ` class="${c.cls}"` : ''}${c.sorted ? ` aria-sort="${c.sorted}"` : ''}><button type="button">${esc(c.label)}</button></th>`)
    .join('');
  return `<table class="sortable"><caption>${esc(caption)}</caption><thead><tr>${head}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** A cell showing a log value: paths wrap, user agents and the like stay on one line with the whole value in the title. */
function keyCell(key: string, clip: boolean, cls = ''): string {
  const shown = cutMiddle(key, MAX_KEY);
  return clip ? `<td class="key clip${cls}" title="${esc(shown)}">${esc(shown)}</td>` : `<td class="key${cls}">${esc(shown)}</td>`;
}

function topTable(title: string, entries: TopEntry[], unauthorized: number, clip: boolean): string {
  if (entries.length === 0) return '';
  const answered = entries.some((e) => e.answered > 0);
  const columns: Column[] = [
    { label: title.replace(/^Top /, '') },
    { label: '401s', cls: 'n', sorted: 'descending' },
    ...(answered ? [{ label: 'answered', cls: 'n' }] : []),
    { label: 'requests', cls: 'n wide' },
    { label: '401 rate', cls: 'n' },
    { label: 'share of 401s', cls: 'share wide' },
  ];
  const rows = entries.map((e) => {
    const share = e.count / Math.max(1, unauthorized);
    return `<tr>${keyCell(e.key, clip)}<td class="n" data-v="${e.count}">${int(e.count)}</td>${answered ? `<td class="n" data-v="${e.answered}">${e.answered > 0 ? int(e.answered) : ''}</td>` : ''}<td class="n wide" data-v="${e.total}">${int(e.total)}</td><td class="n" data-v="${e.count / Math.max(1, e.total)}">${pct(e.count / Math.max(1, e.total))}</td><td class="share wide" data-v="${share}">${bar(share)} ${pct(share)}</td></tr>`;
  });
  return `<div class="panel">${sortableTable(title, columns, rows)}</div>`;
}

function topNotes(r: ReportModel): string {
  const t = r.unauthorized.top;
  const notes = [
    [t.ip, t.path, t.client, t.user].some((entries) => entries.some((e) => e.answered > 0)) ? 'answered: 401s followed within seconds by a success of the same client on the same path (a Basic-auth challenge, a token refresh): not failures.' : '',
    r.unauthorized.topApproximate ? 'Counts in the top lists are approximate (more distinct keys than kept).' : '',
  ].filter(Boolean);
  return notes.map((n) => `<p class="note">${esc(n)}</p>`).join('');
}

function sparkSvg(counts: number[]): string {
  if (counts.length === 0) return '';
  const max = Math.max(...counts, 1);
  const w = Math.max(3, Math.min(8, Math.floor(480 / counts.length)));
  const width = counts.length * w;
  const rects = counts.map((c, i) => (c > 0 ? `<rect x="${i * w}" y="${40 - Math.max(1, Math.round((c / max) * 40))}" width="${w - 1}" height="${Math.max(1, Math.round((c / max) * 40))}"><title>${c}</title></rect>` : '')).join('');
  // Scales down to a narrow screen (viewBox, no fixed aspect), never wider than its drawn minutes.
  return `<svg class="spark" width="${width}" height="40" viewBox="0 0 ${width} 40" preserveAspectRatio="none" role="img" aria-label="failures per minute">${rects}</svg>`;
}

function badges(v: IncidentView): string {
  return `<span class="badge ${v.kind}">${esc(v.kind)}</span><span class="badge">${esc(v.severity)}</span><span class="badge ${v.state}">${esc(v.state)}</span>`;
}

/** Right under the verdict: each incident in one line, linked to its card. */
function summary(views: IncidentView[]): string {
  if (views.length === 0) return '';
  const items = views.map((v) => {
    const when = v.state === 'resolved' ? `${v.startText} · ${v.duration}` : `since ${v.startText} · ${v.duration}, ${v.stateText}`;
    return `<li class="${v.kind}"><a href="#${v.anchor}">${badges(v)}<span class="what">${v.n}. ${esc(v.what)}</span><span class="when">${esc(when)}</span></a></li>`;
  });
  return `<nav aria-label="Incidents"><ol class="summary">${items.join('')}</ol></nav>`;
}

function card(v: IncidentView): string {
  return [
    `<article class="card ${v.kind}" id="${v.anchor}">`,
    `<div>${badges(v)}</div>`,
    `<h3>${v.n}. ${esc(v.title)}</h3>`,
    `<p>${esc(v.what)}</p>`,
    `<div class="meta">${esc(`${v.when} (${v.duration}), ${v.stateText}`)} · rule <code>${esc(v.rule)}</code> · ${esc(cutMiddle(v.group, 200))}${v.approximate ? ' · figures approximate' : ''}</div>`,
    '<dl>',
    `<dt>Why ${esc(v.kind)}</dt><dd>${esc(`${v.kindMeaning}; ${v.conditions.join('; ')}`)}</dd>`,
    `<dt>Evidence</dt><dd>${esc(v.evidence)}</dd>`,
    ...v.reasons.slice(0, 3).map((r) => `<dt>Error log</dt><dd>${esc(r)}</dd>`),
    v.perMinute ? `<dt>Per minute</dt><dd>${sparkSvg(v.perMinute.counts)}<span class="note">${esc(perMinuteParts(v.perMinute, 60)[1])}</span></dd>` : '',
    ...v.top.map((t) => `<dt>Top ${esc(t.label)}</dt><dd class="key">${esc(firstFive(t.entries))}</dd>`),
    `<dt>Likely cause</dt><dd>${esc(v.likelyCause)}</dd>`,
    '</dl>',
    `<strong>Check</strong><ol>${v.checks.map((c) => `<li>${esc(c)}</li>`).join('')}</ol>`,
    v.samples.length ? `<strong>Sample lines</strong><pre>${v.samples.map((s) => esc(cutMiddle(s.line, 2000))).join('\n')}</pre>` : '',
    '</article>',
  ].join('');
}

/** The chart's one legend: the two series, each incident kind's band with its incidents' numbers, and the values under the cursor. */
function chartLegend(views: IncidentView[], tz: string, stepSeconds: number): string {
  const kinds = new Map<Kind, number[]>();
  for (const v of views) kinds.set(v.kind, [...(kinds.get(v.kind) ?? []), v.n]);
  const bands = [...kinds].map(([kind, ns]) => `<li><span class="swatch ${kind}"></span>${esc(kind)} (${ns.length === 1 ? 'incident' : 'incidents'} ${ns.join(', ')})</li>`);
  const step = stepSeconds >= 3600 ? `${stepSeconds / 3600} h` : `${stepSeconds / 60} min`;
  return `<ul class="legend" aria-label="Legend"><li><span class="swatch requests"></span>requests</li><li><span class="swatch unauthorized"></span>401s</li>${bands.join('')}<li>${esc(`${step} per point, times in ${tz}`)}</li><li class="readout" id="chart-readout" aria-live="polite"></li></ul>`;
}

function sourcesTable(r: ReportModel): string {
  const columns: Column[] = [{ label: 'file' }, { label: 'format', cls: 'wide' }, { label: 'lines', cls: 'n wide' }, { label: 'parsed', cls: 'n' }, { label: 'malformed', cls: 'n' }, { label: 'status', cls: 'status' }];
  const rows = r.sources.map((s) => {
    const status = s.status === 'ok' ? 'ok' : `${s.status}${s.reason ? `: ${s.reason}` : ''}`;
    return `<tr>${keyCell(s.path, false)}${keyCell(s.format, true, ' wide')}<td class="n wide" data-v="${s.lines}">${int(s.lines)}</td><td class="n" data-v="${s.parsed}">${int(s.parsed)}</td><td class="n" data-v="${s.malformed}">${int(s.malformed)}</td><td class="clip" title="${esc(cutMiddle(status, MAX_KEY))}">${esc(cutMiddle(status, MAX_KEY))}</td></tr>`;
  });
  return `<div class="panel">${sortableTable('Inputs read', columns, rows)}</div>`;
}

export function renderHtml(r: ReportModel, o: HtmlOptions): string {
  const tz = o.timeZone;
  const step = r.unauthorized.timelineStepSeconds;
  const views = r.incidents.map((i, n) => viewIncident(i, n + 1, { timeZone: tz }));
  const data = {
    tz,
    step,
    t: r.unauthorized.timeline.map((p) => Date.parse(p.t) / 1000),
    requests: r.unauthorized.timeline.map((p) => p.requests),
    unauthorized: r.unauthorized.timeline.map((p) => p.unauthorized),
    incidents: views.map((v) => ({ n: v.n, kind: v.kind, start: Date.parse(v.start) / 1000, end: Date.parse(v.end) / 1000 })),
  };
  const assets = pageAssets();
  const csp = [`default-src 'none'`, `script-src ${assets.js.map(sha256).join(' ')}`, `style-src ${assets.css.map(sha256).join(' ')}`, `img-src data:`, `base-uri 'none'`, `form-action 'none'`].join('; ');
  const totalStatus = Object.values(r.status).reduce((a, b) => a + b, 0);
  const statusRows = Object.entries(r.status).map(
    ([code, n]) => `<tr><td data-v="${Number(code) || 0}">${esc(code)}</td><td class="n" data-v="${n}">${int(n)}</td><td class="share" data-v="${n / Math.max(1, totalStatus)}">${bar(n / Math.max(1, totalStatus), code === '401' ? 'fg' : 'all')} ${pct(n / Math.max(1, totalStatus))}</td></tr>`,
  );
  const malformed = r.lines.examples.map((m) => `<tr>${keyCell(m.source, false)}<td>${esc(m.reason)}</td>${keyCell(m.text, true)}</tr>`).join('');
  const figures = headline(r);
  const top = r.unauthorized.top;
  const body = [
    '<main>',
    '<header>',
    '<h1>authwatch report</h1>',
    `<p class="verdict">${esc(verdict(r))}</p>`,
    figures ? `<p class="headline">${esc(figures)}</p>` : '',
    summary(views),
    '<dl class="facts">',
    `<dt>Range</dt><dd>${r.range.from ? esc(`${formatRange(r.range.from, r.range.to ?? r.range.from, tz)} (${humanSpan(r.range.from, r.range.to)})`) : 'no traffic'}</dd>`,
    `<dt>Lines</dt><dd>${int(r.lines.total)} read, ${int(r.lines.parsed)} parsed, ${int(r.lines.malformed)} malformed${r.lines.skipped ? `, ${int(r.lines.skipped)} blank or comments` : ''}</dd>`,
    r.errorLog.authFailures > 0 ? `<dt>Error log</dt><dd>${int(r.errorLog.authFailures)} authentication failures: ${esc(Object.entries(r.errorLog.byReason).map(([k, n]) => `${k} ${int(n)}`).join(', '))}</dd>` : '',
    `<dt>Generated</dt><dd>${esc(formatTime(r.generatedAt, tz))}</dd>`,
    '</dl>',
    '</header>',
    `<section id="incidents"><h2>Incidents</h2>${views.length ? views.map(card).join('') : '<p>None.</p>'}${r.inhibited.length ? `<p class="note">${r.inhibited.length} more alert(s) silenced because an incident above explains them.</p>` : ''}</section>`,
    `<section><h2>401s over time</h2><div class="panel"><div id="chart"></div>${chartLegend(views, tz, step)}</div></section>`,
    Object.keys(r.status).length ? `<section><h2>Status mix</h2><div class="panel">${sortableTable('Requests by status', [{ label: 'status', sorted: 'ascending' }, { label: 'requests', cls: 'n' }, { label: 'share', cls: 'share' }], statusRows)}</div></section>` : '',
    `<section><h2>Who gets the 401s</h2><div class="grid">${topTable('Top client IPs', top.ip, r.unauthorized.count, false)}${topTable('Top paths', top.path, r.unauthorized.count, false)}${topTable('Top clients (user agent)', top.client, r.unauthorized.count, true)}${topTable('Top users', top.user, r.unauthorized.count, true)}</div>${topNotes(r)}</section>`,
    `<section><h2>Sources</h2>${sourcesTable(r)}</section>`,
    r.lines.malformed > 0 ? `<section><h2>Malformed lines (${int(r.lines.malformed)}, showing ${r.lines.examples.length})</h2><div class="panel"><table><thead><tr><th scope="col" class="where">where</th><th scope="col">why</th><th scope="col">line</th></tr></thead><tbody>${malformed}</tbody></table></div></section>` : '',
    '</main>',
    `<script type="application/json" id="report-data">${scriptJson(data)}</script>`,
    ...assets.js.map((s) => `<script>${s}</script>`),
  ].join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${esc(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${esc(`authwatch: ${verdict(r)}`)}</title>
${assets.css.map((c) => `<style>${c}</style>`).join('\n')}
</head><body>
${body}
</body></html>
`;
}
