/**
 * npm run eval: generates labelled cases, runs `authwatch report` on each, matches what it reports
 * to what was injected, prints the figures and writes eval/results.json. See eval/README.md.
 *
 *   npm run eval                                  default seed, default number of cases
 *   npm run eval -- --seed 7 --cases 100          another seed, fewer cases
 *   npm run eval -- --case 12 --write-logs DIR    replay one case and keep its logs in DIR/case-12/
 *   npm run eval -- --kind broken-deploy          only the cases of one kind (among the first --cases)
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import Table from 'cli-table3';
import { z } from 'zod';
import { caseHours, caseKind, CYCLE, DEFAULT_CASE_OPTIONS } from './cases';
import { judgeCase, REPORTED_KINDS, type ReportedKind } from './match';
import { CLI, ROOT, reportCommand, runProduct } from './product';
import { brief, summarize, type CaseResult, type Summary } from './score';
import type { GenerateRequest, GeneratedMeta } from './worker';

export const DEFAULT_SEED = 17;
export const DEFAULT_CASES = 340;

const KINDS = [...new Set(CYCLE)] as [string, ...string[]];

const OptionsSchema = z.object({
  seed: z.coerce.number().int().min(0).max(2 ** 32 - 1),
  cases: z.coerce.number().int().positive(),
  case: z.string().regex(/^\d+(,\d+)*$/, 'a case number or a comma-separated list').optional(),
  kind: z.enum(KINDS).optional(),
  writeLogs: z.string().min(1).optional(),
  jobs: z.coerce.number().int().min(1).max(16),
  maxRequests: z.coerce.number().int().min(1000),
  out: z.string().min(1).optional(),
});
type Options = z.infer<typeof OptionsSchema>;

function options(): Options {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string', default: String(DEFAULT_SEED) },
      cases: { type: 'string', default: String(DEFAULT_CASES) },
      case: { type: 'string' },
      kind: { type: 'string' },
      'write-logs': { type: 'string' },
      jobs: { type: 'string', default: '2' },
      'max-requests': { type: 'string', default: String(DEFAULT_CASE_OPTIONS.maxRequests) },
      out: { type: 'string' },
    },
    strict: true,
  });
  const r = OptionsSchema.safeParse({ ...values, writeLogs: values['write-logs'], maxRequests: values['max-requests'] });
  if (!r.success) {
    const i = r.error.issues[0];
    throw new Error(`--${String(i?.path[0] ?? 'options').replace(/[A-Z]/g, (m) => '-' + m.toLowerCase())}: ${i?.message ?? 'invalid'}`);
  }
  return r.data;
}

/** One worker thread per lane; each generates a case while the product runs on the previous one. */
class Lane {
  private readonly worker = new Worker(path.join(__dirname, 'worker.ts'), { execArgv: ['--require', require.resolve('tsx/cjs')] });

  generate(req: GenerateRequest): Promise<GeneratedMeta> {
    return new Promise((resolve, reject) => {
      const failed = (e: Error) => {
        this.worker.off('message', answered);
        reject(e);
      };
      const answered = (m: { ok: true; meta: GeneratedMeta } | { ok: false; error: string }) => {
        this.worker.off('error', failed);
        if (m.ok) resolve(m.meta);
        else reject(new Error(m.error));
      };
      this.worker.once('message', answered);
      this.worker.once('error', failed);
      this.worker.postMessage(req);
    });
  }

  close(): Promise<number> {
    return this.worker.terminate();
  }
}

function replayCommand(seed: number, index: number): string {
  return `npm run eval -- --seed ${seed} --case ${index} --write-logs /tmp/authwatch-eval`;
}

async function judge(meta: GeneratedMeta, opts: Options): Promise<CaseResult> {
  const files = meta.files.map((f) => f.path);
  const base = {
    index: meta.index, kind: meta.kind, hours: Math.round(caseHours(meta) * 1000) / 1000, lines: meta.files.reduce((s, f) => s + f.lines, 0), detail: meta.truth[0]?.detail ?? 'clean traffic',
    site: meta.site, files: meta.files.map((f) => f.name), formatOption: meta.formatOption, tags: meta.tags,
  };
  try {
    const run = await runProduct(files, meta.formatOption);
    const incidents = run.report.incidents;
    const j = judgeCase(meta.truth, incidents, meta.proxyPeer);
    const item = j.items[0];
    // Inhibited alerts are not shown to the operator; they are counted to tell "silenced" from "never found".
    const silenced = (run.report.inhibited ?? []).map((x) => ({ ...x, kind: 'inhibited', severity: '', count: 0, summary: `${x.rule} inhibited: ${x.reason ?? ''}` }));
    const inhibited = item ? (judgeCase(meta.truth, silenced, meta.proxyPeer).items[0]?.matched ?? []).map(brief) : [];
    return {
      ...base, variant: item?.truth.variant ?? null, expected: item?.truth.expected ?? null, reported: item?.reported ?? null, correct: item?.correct ?? null,
      pages: item?.matched.length ?? 0, matched: (item?.matched ?? []).map(brief), inhibited, falseAlerts: j.falseAlerts.map(brief), malformed: run.report.lines.malformed,
    };
  } catch (e) {
    const item = meta.truth[0];
    const error = e instanceof Error ? e.message : String(e);
    return {
      ...base, detail: `${base.detail} — PRODUCT FAILED: ${error}`, variant: item?.variant ?? null, expected: item?.expected ?? null, reported: item ? 'nothing' : null, correct: item ? item.expected === 'quiet' : null,
      pages: 0, matched: [], inhibited: [], falseAlerts: [], malformed: 0,
    };
  } finally {
    if (opts.writeLogs === undefined) rmSync(path.dirname(files[0] ?? '/nonexistent/x'), { recursive: true, force: true });
  }
}

function pctCell(n: number, of: number): string {
  return of ? `${n} (${Math.round((n / of) * 100)} %)` : '-';
}

function printSummary(s: Summary, seconds: number): void {
  const out = (line = '') => process.stdout.write(line + '\n');
  out(`\nauthwatch eval: seed ${s.seed}, ${s.cases} cases, ${s.lines.toLocaleString('en')} log lines, ${s.hours} h of simulated traffic, ${Math.round(seconds)} s`);
  const cols: ReportedKind[] = [...REPORTED_KINDS];
  const m = new Table({ head: ['true kind \\ reported', ...cols, 'right kind'], style: { head: [], border: [] } });
  for (const kind of Object.keys(s.matrix)) {
    const row = s.matrix[kind] as Record<ReportedKind, number>;
    const r = s.recall[kind];
    m.push([kind, ...cols.map((c) => String(row[c] || '')), r ? pctCell(r.correct, r.cases) : '-']);
  }
  for (const e of ['attack', 'misconfiguration', 'quiet'] as const) {
    const row = s.byExpected[e];
    const total = cols.reduce((t, c) => t + row[c], 0);
    const right = e === 'quiet' ? row.nothing : row[e];
    m.push([`all ${e === 'quiet' ? 'benign' : e}`, ...cols.map((c) => String(row[c] || '')), pctCell(right, total)]);
  }
  out(m.toString());
  const f = s.falseAlerts;
  const fa = new Table({ head: ['false alerts', 'count', 'simulated hours', 'per day', 'per week'], style: { head: [], border: [] } });
  fa.push(['all cases (background everywhere)', f.all.count, f.all.hours, f.all.perDay, f.all.perWeek]);
  fa.push(['clean cases only', f.clean.count, f.clean.hours, f.clean.perDay, f.clean.perWeek]);
  out(fa.toString());
  if (Object.keys(f.byRule).length) out(`false alerts by rule: ${Object.entries(f.byRule).sort((a, b) => b[1] - a[1]).map(([r, n]) => `${r} ${n}`).join(', ')}`);
  const misses = Object.entries(s.variants).filter(([k]) => (s.recall[k]?.rate ?? 1) < 1);
  if (misses.length) {
    out('right kind by variant, for the kinds with misjudgements:');
    for (const [k, v] of misses) out(`  ${k}: ${Object.entries(v).sort((a, b) => a[0].localeCompare(b[0])).map(([name, f]) => `${name} ${f.correct}/${f.cases}`).join(', ')}`);
  }
  const pages = Object.entries(s.pages).map(([k, p]) => `${k} ${p.mean} (max ${p.max})`).join(', ');
  if (pages) out(`incidents per injected incident found (mean, max): ${pages}`);
  if (s.malformedLines) out(`malformed lines: ${s.malformedLines} (the generator wrote lines the product could not read)`);
  const b = new Table({ head: ['setup', 'injected incidents right', 'false alerts per week'], style: { head: [], border: [] } });
  for (const [tag, values] of Object.entries(s.bySetup)) {
    for (const [value, x] of Object.entries(values).sort((p, q) => p[0].localeCompare(q[0]))) b.push([`${tag}: ${value}`, pctCell(x.correct, x.cases), `${x.perWeek} (${x.falseAlerts} in ${x.hours} h)`]);
  }
  out(b.toString());
  const c = new Table({ head: ['done criterion', 'target', 'measured', 'met'], style: { head: [], border: [] } });
  for (const x of s.criteria) c.push([x.name, x.target, x.value, x.met ? 'yes' : 'NO']);
  out(c.toString());
  if (s.worst.length) {
    out('worst cases (replay with the command; the logs land in /tmp/authwatch-eval/case-N/):');
    for (const w of s.worst.slice(0, 15)) {
      out(`  #${w.index} ${w.kind}: ${w.why}`);
      out(`     ${w.detail.slice(0, 220)}`);
      for (const r of w.reported.slice(0, 3)) out(`     reported ${r.kind} ${r.rule} ${JSON.stringify(r.group)}: ${r.summary.slice(0, 140)}`);
      out(`     ${w.replay}`);
    }
  }
}

function printCase(c: CaseResult, meta: GeneratedMeta, kept: boolean): void {
  const out = (line = '') => process.stdout.write(line + '\n');
  out(`case ${c.index} (${c.kind}${c.variant ? `, ${c.variant}` : ''}): ${c.expected ? `expected ${c.expected}, reported ${c.reported} — ${c.correct ? 'right' : 'WRONG'}` : 'clean traffic'}`);
  out(`  injected: ${c.detail}`);
  for (const t of meta.truth) out(`  window: ${new Date(t.start).toISOString()} .. ${new Date(t.end).toISOString()}`);
  out(`  site: ${c.site}`);
  out(`  ${c.lines} lines, ${c.hours} h, ${meta.requests} requests from ${new Date(meta.start).toISOString()}`);
  for (const r of c.matched) out(`  matched: ${r.kind} ${r.rule} ${JSON.stringify(r.group)} ${r.start}..${r.end}: ${r.summary}`);
  for (const r of c.inhibited) out(`  inhibited: ${r.rule} ${JSON.stringify(r.group)} ${r.start}..${r.end}: ${r.summary}`);
  for (const r of c.falseAlerts) out(`  false alert: ${r.kind} ${r.rule} ${JSON.stringify(r.group)} ${r.start}..${r.end}: ${r.summary}`);
  if (kept) out(`  report: ${reportCommand(meta.files.map((f) => f.path), meta.formatOption)}`);
  else out(`  logs not kept: add --write-logs DIR to read them with authwatch report`);
}

async function main(): Promise<void> {
  const opts = options();
  if (!existsSync(CLI)) throw new Error(`${path.relative(ROOT, CLI)} is missing: run npm run build first (npm run eval does)`);
  const indices = opts.case !== undefined ? opts.case.split(',').map(Number) : Array.from({ length: opts.cases }, (_, i) => i).filter((i) => opts.kind === undefined || caseKind(i) === opts.kind);
  const root = opts.writeLogs ?? mkdtempSync(path.join(os.tmpdir(), 'authwatch-eval-'));
  const started = Date.now();
  const results: CaseResult[] = [];
  const metas = new Map<number, GeneratedMeta>();
  let nextAt = 0;
  const lanes = Array.from({ length: Math.min(opts.jobs, indices.length) }, () => new Lane());
  const progress = (r: CaseResult) => {
    if (process.stderr.isTTY) process.stderr.write(`\r${results.length}/${indices.length} cases, ${Math.round((Date.now() - started) / 1000)} s  `);
    else if (results.length % 25 === 0 || results.length === indices.length) process.stderr.write(`${results.length}/${indices.length} cases, ${Math.round((Date.now() - started) / 1000)} s (last: #${r.index} ${r.kind})\n`);
  };
  try {
    await Promise.all(lanes.map(async (lane) => {
      let previous: Promise<void> = Promise.resolve();
      for (;;) {
        const index = indices[nextAt++];
        if (index === undefined) break;
        const meta = await lane.generate({ seed: opts.seed, index, dir: path.join(root, `case-${index}`), options: { maxRequests: opts.maxRequests } });
        await previous;
        previous = judge(meta, opts).then((r) => {
          results.push(r);
          if (opts.case !== undefined) metas.set(index, meta);
          progress(r);
        });
      }
      await previous;
    }));
  } finally {
    await Promise.all(lanes.map((l) => l.close()));
    if (opts.writeLogs === undefined) rmSync(root, { recursive: true, force: true });
  }
  if (process.stderr.isTTY) process.stderr.write('\n');
  results.sort((a, b) => a.index - b.index);
  const seconds = (Date.now() - started) / 1000;
  if (opts.case !== undefined) {
    for (const r of results) printCase(r, metas.get(r.index) as GeneratedMeta, opts.writeLogs !== undefined);
    return;
  }
  const summary = summarize(opts.seed, results, (i) => replayCommand(opts.seed, i));
  printSummary(summary, seconds);
  const full = opts.kind === undefined && opts.cases === DEFAULT_CASES && opts.maxRequests === DEFAULT_CASE_OPTIONS.maxRequests;
  const out = opts.out ?? (full && opts.seed === DEFAULT_SEED ? path.join(ROOT, 'eval', 'results.json') : undefined);
  if (out) {
    const cpus = os.cpus();
    writeFileSync(out, JSON.stringify({
      run: { seed: opts.seed, cases: opts.cases, kind: opts.kind ?? null, maxRequests: opts.maxRequests, jobs: opts.jobs, seconds: Math.round(seconds), node: process.version, cpu: `${cpus.length} x ${cpus[0]?.model ?? '?'}`, date: new Date().toISOString().slice(0, 10) },
      summary,
      cases: results.map((r) => ({ index: r.index, kind: r.kind, variant: r.variant, tags: r.tags, reported: r.reported, correct: r.correct, pages: r.pages, falseAlerts: r.falseAlerts.map((f) => f.rule), lines: r.lines, hours: r.hours })),
    }, null, 1) + '\n');
    process.stdout.write(`wrote ${path.relative(process.cwd(), out)}\n`);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`eval: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(2);
});
