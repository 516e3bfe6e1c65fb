/**
 * One incident view: the terminal, Markdown, HTML and email renderings of an incident carry the same
 * fields with the same wording (kind, severity, what, when, open/resolved, conditions, evidence,
 * error-log reasons, top IPs / paths / clients / users, samples with file:line, likely cause, checks),
 * and a percentage reads the same in a summary and in the evidence.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { runReport } from '../../src/report/run';
import { renderText } from '../../src/report/text';
import { renderMarkdown } from '../../src/report/markdown';
import { renderHtml } from '../../src/report/html';
import { renderGroup } from '../../src/notify/render';
import { firstFive, viewIncident, type IncidentView } from '../../src/present/incident';
import { loadRules, type RuleSet } from '../../src/rules/load';
import type { ReportModel } from '../../src/report/model';
import { Traffic, apiClients, apiTraffic, background, render, type SynthRequest } from '../../src/synth/traffic';
import { ROOT, tempDir } from '../support/paths';

let rules: RuleSet;
beforeAll(async () => {
  rules = await loadRules(path.join(ROOT, 'rules'));
});

/** Every field of a view, as the words a reader sees. */
function fields(v: IncidentView): Record<string, string> {
  const f: Record<string, string> = {
    kind: v.kind,
    title: v.title,
    what: v.what,
    when: v.when,
    duration: v.duration,
    state: v.stateText,
    kindMeaning: v.kindMeaning,
    evidence: v.evidence,
    likelyCause: v.likelyCause,
  };
  v.conditions.forEach((c, k) => (f[`condition ${k}`] = c));
  v.reasons.slice(0, 3).forEach((r, k) => (f[`reason ${k}`] = r));
  for (const t of v.top) f[`top ${t.label}`] = firstFive(t.entries);
  v.checks.forEach((c, k) => (f[`check ${k}`] = c));
  v.samples.forEach((s, k) => (f[`sample ${k}`] = `${s.source} ${s.text.slice(0, 60)}`));
  return f;
}

const ENTITIES: Record<string, string> = { '&lt;': '<', '&gt;': '>', '&amp;': '&', '&quot;': '"', '&#39;': "'" };
const htmlText = (h: string) => h.replace(/<[^>]*>/g, '').replace(/&(?:lt|gt|amp|quot|#39);/g, (e) => ENTITIES[e] as string);
const mdPlain = (m: string) => m.replace(/\\([\\`*_[\]|~#+\-=.)])/g, '$1').replace(/&(?:lt|gt|amp);/g, (e) => ENTITIES[e] as string);

function renderings(report: ReportModel): Record<string, string> {
  const firing = report.incidents.map((i) => ({ ...i, status: (i.open ? 'firing' : 'resolved') as 'firing' | 'resolved' }));
  return {
    text: renderText(report, { color: false, timeZone: 'UTC' }),
    markdown: mdPlain(renderMarkdown(report, { timeZone: 'UTC' })),
    html: htmlText(renderHtml(report, { timeZone: 'UTC' })),
    // One email per incident: an email renders its alert as number 1.
    email: firing.map((a) => renderGroup({ key: 'k', labels: {}, firing: [a], resolved: [], repeat: false, threadId: null }, { subjectPrefix: '[authwatch]', timeZone: 'UTC', sampleLines: 5 }).text).join('\n'),
  };
}

function expectSameFields(report: ReportModel): void {
  expect(report.incidents.length).toBeGreaterThan(0);
  const out = renderings(report);
  for (const [n, i] of report.incidents.entries()) {
    const v = viewIncident(i, n + 1, { timeZone: 'UTC' });
    for (const [where, text] of Object.entries(out)) {
      // An email says firing, not "open: still firing at end of input".
      const expected = { ...fields(v), ...(where === 'email' ? { state: i.open ? 'firing' : 'resolved' } : {}) };
      const missing = Object.entries(expected).filter(([, value]) => !text.includes(value));
      expect({ where, incident: n + 1, missing }).toEqual({ where, incident: n + 1, missing: [] });
    }
  }
}

test('the samples: every incident has the same fields in text, Markdown, HTML and email', async () => {
  expectSameFields(await runReport([path.join(ROOT, 'samples')].flatMap((d) => ['apache-access.log', 'nginx-access.log'].map((f) => path.join(d, f))), { format: 'auto', rules }));
});

test('with an error log: the reasons appear in every rendering, and shares read as one percentage format', async () => {
  const T0 = Date.UTC(2026, 9, 5, 6, 0, 0);
  const t = new Traffic(3);
  background(t, T0, T0 + 3 * 3_600_000, 12);
  apiTraffic(t, apiClients(t, 30), T0, T0 + 3 * 3_600_000, 0.25);
  const s = T0 + 2 * 3_600_000;
  for (let k = 0; k < 60; k++) t.add({ time: s + k * 3000, ip: '203.0.113.50', user: 'admin', method: 'GET', target: '/admin/', status: 401, userAgent: 'hydra' });
  const p2 = (x: number) => String(x).padStart(2, '0');
  const when = (ms: number) => {
    const d = new Date(ms);
    return `${d.getUTCFullYear()}/${p2(d.getUTCMonth() + 1)}/${p2(d.getUTCDate())} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`;
  };
  const all = t.sorted();
  const dir = tempDir();
  const access = path.join(dir, 'access.log');
  const error = path.join(dir, 'error.log');
  writeFileSync(access, all.map((r) => render(r, 'combined', 0)).join('\n') + '\n');
  const failures = all.flatMap((r: SynthRequest, n) => (r.status === 401 && r.ip === '203.0.113.50' ? [`${when(r.time)} [error] 2865#0: *${n} user "admin": password mismatch, client: ${r.ip}, server: shop, request: "${r.method} ${r.target} HTTP/1.1", host: "shop.example.com"`] : []));
  writeFileSync(error, failures.join('\n') + '\n');
  const report = await runReport([access, error], { format: 'auto', rules });
  expect(report.incidents[0]?.reasons[0]?.text).toMatch(/password mismatch for user admin$/);
  expectSameFields(report);
  // No "95 %" beside "95.0%": every percentage in every rendering has one decimal and no space.
  for (const text of Object.values(renderings(report))) expect(text).not.toMatch(/\d %/);
});
