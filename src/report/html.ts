/**
 * The report as one self-contained HTML file: no CDN, no remote font, uPlot inlined from
 * node_modules, aggregates only (a 10 M-line log gives the same small page). Every value from a log
 * is attacker-chosen: escaped for its context (text and attributes by escapeHtml, data for the chart
 * as JSON in a non-executed <script> with `<` escaped), no inline style attributes, and a
 * Content-Security-Policy that allows only the page's own scripts and styles, by hash.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ReportModel, TopEntry } from './model';
import { escapeHtml as esc } from '../present/escape';
import { int, pct } from '../present/numbers';
import { formatTime, humanSpan } from '../present/time';
import { firstFive, perMinuteParts, viewIncident, type IncidentView } from '../present/incident';
import { verdict } from './verdict';
import { truncate } from './sanitize';

export interface HtmlOptions {
  timeZone: string;
}

let uplotAssets: { js: string; css: string } | null = null;

function uplot(): { js: string; css: string } {
  uplotAssets ??= {
    js: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
    css: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
  };
  return uplotAssets;
}

/** JSON that can sit inside <script>: `<` never appears raw, so `</script>` or `<!--` in a log value cannot end or bend the block. */
export function scriptJson(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

const sha256 = (s: string) => `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`;

const CSS = `
:root{--attack:#c0262d;--misconfiguration:#c26a00;--anomaly:#6d3fc0;--ok:#1d7a3c;--muted:#667;--line:#dde;}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1b1b24;margin:0;background:#f6f6f9}
main{max-width:1180px;margin:0 auto;padding:20px 24px 60px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 10px}h3{font-size:15px;margin:0}
.verdict{font-size:18px;font-weight:600;margin:6px 0 12px}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:0}.facts dt{color:var(--muted)}.facts dd{margin:0}
.panel{background:#fff;border:1px solid var(--line);border-radius:8px;padding:14px 16px}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600;color:#334;white-space:nowrap}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
table.sortable th{cursor:pointer;user-select:none}table.sortable th[aria-sort=ascending]::after{content:" ▲"}table.sortable th[aria-sort=descending]::after{content:" ▼"}
.key{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;overflow-wrap:anywhere}td.key{min-width:14em}td.share{white-space:nowrap}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:16px}
.bar rect.bg{fill:#eceef4}.bar rect.fg{fill:#d0434a}.bar rect.all{fill:#8a94ad}
.card{background:#fff;border:1px solid var(--line);border-left:6px solid var(--muted);border-radius:8px;padding:12px 16px;margin:0 0 14px}
.card.attack{border-left-color:var(--attack)}.card.misconfiguration{border-left-color:var(--misconfiguration)}.card.anomaly{border-left-color:var(--anomaly)}
.badge{display:inline-block;font-size:11px;font-weight:700;text-transform:uppercase;letter-spacing:.04em;padding:1px 7px;border-radius:9px;color:#fff;background:var(--muted);margin-right:6px}
.badge.attack{background:var(--attack)}.badge.misconfiguration{background:var(--misconfiguration)}.badge.anomaly{background:var(--anomaly)}.badge.open{background:#223}
.meta{color:var(--muted);font-size:12.5px;margin:2px 0 8px}
.card dl{display:grid;grid-template-columns:max-content 1fr;gap:3px 12px;margin:8px 0}.card dt{color:var(--muted)}.card dd{margin:0}
.card ol{margin:4px 0 8px;padding-left:22px}
pre{background:#f1f2f6;border-radius:6px;padding:8px;font-size:12px;white-space:pre-wrap;word-break:break-all;margin:6px 0 0}
.spark rect{fill:#d0434a}.legend{color:var(--muted);font-size:12.5px}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin:0 4px 0 10px}.swatch.req{background:#8a94ad}.swatch.unauth{background:#d0434a}.swatch.inc{background:rgba(192,38,45,.18)}
#chart{min-height:300px}
`;

/** Sorts a table by the clicked column: numbers by data-v, text otherwise. No framework. */
const PAGE_SCRIPT = `
(function () {
  var data = JSON.parse(document.getElementById('report-data').textContent);
  document.querySelectorAll('table.sortable').forEach(function (table) {
    table.querySelectorAll('th').forEach(function (th, col) {
      th.addEventListener('click', function () {
        var desc = th.getAttribute('aria-sort') !== 'descending';
        table.querySelectorAll('th').forEach(function (h) { h.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', desc ? 'descending' : 'ascending');
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = a.cells[col], y = b.cells[col];
          var vx = x.hasAttribute('data-v') ? Number(x.getAttribute('data-v')) : x.textContent;
          var vy = y.hasAttribute('data-v') ? Number(y.getAttribute('data-v')) : y.textContent;
          var c = vx < vy ? -1 : vx > vy ? 1 : 0;
          return desc ? -c : c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
  var el = document.getElementById('chart');
  if (!el || data.t.length < 2 || typeof uPlot === 'undefined') return;
  var colours = { attack: 'rgba(192,38,45,0.16)', misconfiguration: 'rgba(194,106,0,0.18)', anomaly: 'rgba(109,63,192,0.16)' };
  var opts = {
    width: Math.max(320, el.clientWidth), height: 300,
    tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1000), data.tz); },
    scales: { x: { time: true } },
    series: [
      {},
      { label: 'requests', stroke: '#8a94ad', width: 1, scale: 'y' },
      { label: '401s', stroke: '#d0434a', width: 2, fill: 'rgba(208,67,74,0.12)', scale: 'y' }
    ],
    axes: [{}, { scale: 'y', size: 60 }],
    hooks: {
      drawClear: [function (u) {
        var ctx = u.ctx;
        data.incidents.forEach(function (i) {
          var x0 = u.valToPos(i.start, 'x', true), x1 = u.valToPos(Math.max(i.end, i.start + data.step), 'x', true);
          ctx.fillStyle = colours[i.kind] || 'rgba(0,0,0,0.1)';
          ctx.fillRect(x0, u.bbox.top, Math.max(2, x1 - x0), u.bbox.height);
        });
      }],
      draw: [function () { document.documentElement.setAttribute('data-chart-points', String(data.t.length)); }]
    }
  };
  var chart = new uPlot(opts, [data.t, data.requests, data.unauthorized], el);
  window.addEventListener('resize', function () { chart.setSize({ width: Math.max(320, el.clientWidth), height: 300 }); });
})();
`;

function bar(share: number, cls = 'fg'): string {
  const w = Math.round(Math.max(0, Math.min(1, share)) * 80);
  return `<svg class="bar" width="80" height="10" aria-hidden="true"><rect class="bg" width="80" height="10"/><rect class="${cls}" width="${w}" height="10"/></svg>`;
}

function topTable(title: string, entries: TopEntry[], unauthorized: number): string {
  if (entries.length === 0) return '';
  const rows = entries
    .map((e) => `<tr><td class="key">${esc(truncate(e.key, 300))}</td><td class="n" data-v="${e.count}">${int(e.count)}</td><td class="n" data-v="${e.total}">${int(e.total)}</td><td class="n" data-v="${e.count / Math.max(1, e.total)}">${pct(e.count / Math.max(1, e.total))}</td><td class="share" data-v="${e.count / Math.max(1, unauthorized)}">${bar(e.count / Math.max(1, unauthorized))} ${pct(e.count / Math.max(1, unauthorized))}</td></tr>`)
    .join('');
  return `<div class="panel"><h3>${esc(title)}</h3><table class="sortable"><thead><tr><th>${esc(title.replace(/^Top /, ''))}</th><th class="n">401s</th><th class="n">requests</th><th class="n">401 rate</th><th>share of all 401s</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

function sparkSvg(counts: number[]): string {
  if (counts.length === 0) return '';
  const max = Math.max(...counts, 1);
  const w = Math.max(3, Math.min(8, Math.floor(480 / counts.length)));
  const rects = counts.map((c, i) => (c > 0 ? `<rect x="${i * w}" y="${40 - Math.max(1, Math.round((c / max) * 40))}" width="${w - 1}" height="${Math.max(1, Math.round((c / max) * 40))}"><title>${c}</title></rect>` : '')).join('');
  return `<svg class="spark" width="${counts.length * w}" height="40" role="img" aria-label="failures per minute">${rects}</svg>`;
}

function card(v: IncidentView): string {
  return [
    `<article class="card ${v.kind}" id="${v.anchor}">`,
    `<div><span class="badge ${v.kind}">${esc(v.kind)}</span><span class="badge">${esc(v.severity)}</span><span class="badge ${v.state}">${esc(v.stateText)}</span></div>`,
    `<h3>${v.n}. ${esc(v.title)}</h3>`,
    `<p>${esc(v.what)}</p>`,
    `<div class="meta">${esc(`${v.when} (${v.duration})`)} · rule <code>${esc(v.rule)}</code> · ${esc(truncate(v.group, 200))}${v.approximate ? ' · figures approximate' : ''}</div>`,
    '<dl>',
    `<dt>Why ${esc(v.kind)}</dt><dd>${esc(`${v.kindMeaning}; ${v.conditions.join('; ')}`)}</dd>`,
    `<dt>Evidence</dt><dd>${esc(v.evidence)}</dd>`,
    ...v.reasons.slice(0, 3).map((r) => `<dt>Error log</dt><dd>${esc(r)}</dd>`),
    v.perMinute ? `<dt>Per minute</dt><dd>${sparkSvg(v.perMinute.counts)} <span class="legend">${esc(perMinuteParts(v.perMinute, 60)[1])}</span></dd>` : '',
    ...v.top.map((t) => `<dt>Top ${esc(t.label)}</dt><dd class="key">${esc(firstFive(t.entries))}</dd>`),
    `<dt>Likely cause</dt><dd>${esc(v.likelyCause)}</dd>`,
    '</dl>',
    `<strong>Check</strong><ol>${v.checks.map((c) => `<li>${esc(c)}</li>`).join('')}</ol>`,
    v.samples.length ? `<strong>Sample lines</strong><pre>${v.samples.map((s) => esc(truncate(s.source ? `${s.source} ${s.text}` : s.text, 2000))).join('\n')}</pre>` : '',
    '</article>',
  ].join('');
}

export function renderHtml(r: ReportModel, o: HtmlOptions): string {
  const tz = o.timeZone;
  const step = r.unauthorized.timelineStepSeconds;
  const data = {
    tz,
    step,
    t: r.unauthorized.timeline.map((p) => Date.parse(p.t) / 1000),
    requests: r.unauthorized.timeline.map((p) => p.requests),
    unauthorized: r.unauthorized.timeline.map((p) => p.unauthorized),
    incidents: r.incidents.map((i) => ({ start: Date.parse(i.start) / 1000, end: Date.parse(i.end) / 1000, kind: i.kind })),
  };
  const { js, css: uplotCss } = uplot();
  const scripts = [PAGE_SCRIPT];
  const csp = [`default-src 'none'`, `script-src ${[js, ...scripts].map(sha256).join(' ')}`, `style-src ${[uplotCss, CSS].map(sha256).join(' ')}`, `img-src data:`, `base-uri 'none'`, `form-action 'none'`].join('; ');
  const totalStatus = Object.values(r.status).reduce((a, b) => a + b, 0);
  const statusRows = Object.entries(r.status)
    .map(([code, n]) => `<tr><td data-v="${Number(code) || 0}">${esc(code)}</td><td class="n" data-v="${n}">${int(n)}</td><td data-v="${n / Math.max(1, totalStatus)}">${bar(n / Math.max(1, totalStatus), code === '401' ? 'fg' : 'all')} ${pct(n / Math.max(1, totalStatus))}</td></tr>`)
    .join('');
  const sources = r.sources
    .map((s) => `<tr><td class="key">${esc(s.path)}</td><td class="key">${esc(truncate(s.format, 80))}</td><td class="n" data-v="${s.lines}">${int(s.lines)}</td><td class="n" data-v="${s.parsed}">${int(s.parsed)}</td><td class="n" data-v="${s.malformed}">${int(s.malformed)}</td></tr>`)
    .join('');
  const malformed = r.lines.examples.map((m) => `<tr><td class="key">${esc(m.source)}</td><td>${esc(m.reason)}</td><td class="key">${esc(m.text)}</td></tr>`).join('');
  const body = [
    '<main>',
    '<header>',
    '<h1>authwatch report</h1>',
    `<p class="verdict">${esc(verdict(r))}</p>`,
    '<dl class="facts">',
    `<dt>Range</dt><dd>${r.range.from ? esc(`${formatTime(r.range.from, tz)} → ${formatTime(r.range.to ?? r.range.from, tz)} (${humanSpan(r.range.from, r.range.to)})`) : 'no traffic'}</dd>`,
    `<dt>Lines</dt><dd>${int(r.lines.total)} read, ${int(r.lines.parsed)} parsed, ${int(r.lines.malformed)} malformed${r.lines.skipped ? `, ${int(r.lines.skipped)} blank or comments` : ''}</dd>`,
    `<dt>401s</dt><dd>${int(r.unauthorized.count)} (${pct(r.unauthorized.ratio)} of requests)</dd>`,
    r.errorLog.authFailures > 0 ? `<dt>Error log</dt><dd>${int(r.errorLog.authFailures)} authentication failures: ${esc(Object.entries(r.errorLog.byReason).map(([k, n]) => `${k} ${n}`).join(', '))}</dd>` : '',
    `<dt>Generated</dt><dd>${esc(formatTime(r.generatedAt, tz))}</dd>`,
    '</dl>',
    `<h2>Sources</h2><div class="panel"><table class="sortable"><thead><tr><th>file</th><th>format</th><th class="n">lines</th><th class="n">parsed</th><th class="n">malformed</th></tr></thead><tbody>${sources}</tbody></table></div>`,
    '</header>',
    `<section><h2>401s over time</h2><div class="panel"><div id="chart"></div><p class="legend">${int(step / 60)} min per point, ${esc(tz)}<span class="swatch req"></span>requests<span class="swatch unauth"></span>401s<span class="swatch inc"></span>incidents</p></div></section>`,
    `<section><h2>Incidents</h2>${r.incidents.length ? r.incidents.map((i, n) => card(viewIncident(i, n + 1, { timeZone: tz }))).join('') : '<p>None.</p>'}${r.inhibited.length ? `<p class="legend">${r.inhibited.length} more alert(s) silenced because an incident above explains them.</p>` : ''}</section>`,
    `<section><h2>Status mix</h2><div class="panel"><table class="sortable"><thead><tr><th>status</th><th class="n">requests</th><th>share</th></tr></thead><tbody>${statusRows}</tbody></table></div></section>`,
    `<section><h2>Who gets the 401s</h2><div class="grid">${topTable('Top client IPs', r.unauthorized.top.ip, r.unauthorized.count)}${topTable('Top paths', r.unauthorized.top.path, r.unauthorized.count)}${topTable('Top clients (user agent)', r.unauthorized.top.client, r.unauthorized.count)}${topTable('Top users', r.unauthorized.top.user, r.unauthorized.count)}</div>${r.unauthorized.topApproximate ? '<p class="legend">Counts in the top lists are approximate (more distinct keys than kept).</p>' : ''}</section>`,
    r.lines.malformed > 0 ? `<section><h2>Malformed lines (${int(r.lines.malformed)}, showing ${r.lines.examples.length})</h2><div class="panel"><table><thead><tr><th>where</th><th>why</th><th>line</th></tr></thead><tbody>${malformed}</tbody></table></div></section>` : '',
    '</main>',
    `<script type="application/json" id="report-data">${scriptJson(data)}</script>`,
    `<script>${js}</script>`,
    ...scripts.map((s) => `<script>${s}</script>`),
  ].join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${esc(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${esc(`authwatch: ${verdict(r)}`)}</title>
<style>${uplotCss}</style>
<style>${CSS}</style>
</head><body>
${body}
</body></html>
`;
}
