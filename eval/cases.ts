/**
 * One generated case: a site, its background traffic, at most one injected incident, the log files
 * the server would have written, and the label. Case `index` of a run seeded `seed` is always the
 * same, whatever else the run generates.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SCENARIOS, labelled, type Window } from './incidents';
import { CaseLog, needsFormatOption, renderCase } from './logs';
import { Rand, caseSeed } from './rand';
import { background, drawSite } from './site';
import { ATTACK_KINDS, BENIGN_KINDS, MISCONFIGURATION_KINDS, type CaseKind, type TruthItem } from './truth';

const MIN = 60_000;
const HOUR = 3_600_000;

/**
 * Kinds in the order cases cycle through them (34 long): every incident and benign kind twice, clean
 * traffic six times, so that 340 cases hold 20 of each kind and 60 of clean traffic.
 */
export const CYCLE: readonly CaseKind[] = [
  ...ATTACK_KINDS, ...MISCONFIGURATION_KINDS, ...BENIGN_KINDS, 'clean', 'clean', 'clean',
  ...ATTACK_KINDS, ...MISCONFIGURATION_KINDS, ...BENIGN_KINDS, 'clean', 'clean', 'clean',
];

export function caseKind(index: number): CaseKind {
  return CYCLE[index % CYCLE.length] as CaseKind;
}

export interface CaseOptions {
  /** Bound on the requests of one case: the rate and the span are drawn so that rate x span stays under it. */
  maxRequests: number;
}

export const DEFAULT_CASE_OPTIONS: CaseOptions = { maxRequests: 100_000 };

export interface CaseFile {
  name: string;
  /** Newline-terminated lines. */
  text: string;
  lines: number;
}

export interface GeneratedCase {
  seed: number;
  index: number;
  kind: CaseKind;
  files: CaseFile[];
  /** `--format` to pass, for a log format auto-detection cannot read. */
  formatOption: string | null;
  truth: TruthItem[];
  start: number;
  end: number;
  /** Mean request rate the site was drawn with (req/s). */
  rate: number;
  requests: number;
  /** The address every request seems to come from when a proxy's address is logged, else null. */
  proxyPeer: string | null;
  site: string;
  /** Setup facts for the breakdowns (server, format, proxy, logs given, rate band). */
  tags: Record<string, string>;
}

function rateBand(rate: number): string {
  return rate < 10 ? '1-10 req/s' : rate < 100 ? '10-100 req/s' : '100-2000 req/s';
}

/**
 * Spans and rates. Clean traffic: mostly (80 %) sites at modest rates, 1-30 req/s, for 6-24 h, and
 * some at 30-2,000 req/s; each span is shortened to stay under the request bound (a 2,000 req/s site
 * gives under a minute, a 2 req/s one a whole day). Incident cases: the scenario's history + incident +
 * aftermath, at a rate up to what the bound allows for that span; busy ones at 100-2,000 req/s.
 */
function spanAndRate(r: Rand, kind: CaseKind, minutes: number, busy: boolean, opts: CaseOptions): { spanMs: number; rate: number } {
  if (kind === 'clean') {
    const rate = r.chance(0.8) ? r.logUniform(1, 30) : r.logUniform(30, 2000);
    const wanted = r.logUniform(6, 24) * HOUR;
    return { spanMs: Math.max(MIN, Math.min(wanted, (opts.maxRequests / rate) * 1000)), rate };
  }
  const spanMs = minutes * MIN;
  // A busy site (one incident case in ten): 100-2,000 req/s, allowed three times the bound.
  const busyMax = Math.min(2000, (3 * opts.maxRequests) / (spanMs / 1000));
  if (busy && busyMax > 100) return { spanMs, rate: r.logUniform(100, busyMax) };
  const maxRate = Math.max(1.001, Math.min(2000, opts.maxRequests / (spanMs / 1000)));
  return { spanMs, rate: r.logUniform(1, maxRate) };
}

export function generateCase(seed: number, index: number, opts: CaseOptions = DEFAULT_CASE_OPTIONS): GeneratedCase {
  const kind = caseKind(index);
  const r = new Rand(caseSeed(seed, index));
  const plan = SCENARIOS[kind].plan(r.fork('plan'));
  // Busy sites get 5-10 min of history and at most 5 min after the incident: at 100-2,000 req/s that
  // is plenty of traffic, and longer would not fit the bound.
  const busy = kind !== 'clean' && r.fork('busy').chance(0.1);
  if (busy) {
    const b = r.fork('busy-span');
    if (plan.preMin > 0) plan.preMin = Math.min(plan.preMin, b.float(5, 10));
    plan.postMin = Math.min(plan.postMin, 5);
  }
  const { spanMs, rate } = spanAndRate(r.fork('span'), kind, plan.preMin + plan.durMin + plan.postMin, busy, opts);
  // Any day of the year, any hour: the day/night cycle and the log's start fall anywhere.
  const start = Date.UTC(2025, 0, 1) + Math.floor(r.fork('start').float(0, 670 * 24 * HOUR) / 1000) * 1000;
  const end = start + Math.ceil(spanMs / 1000) * 1000;
  const site = drawSite(r.fork('site'), rate, plan.needs);
  const w: Window = { start: start + plan.preMin * MIN, end: Math.min(end, start + (plan.preMin + plan.durMin) * MIN) };
  // What a scenario may add to the site's traffic: the bound's headroom, and at least a quarter of the bound.
  const bound = opts.maxRequests / (spanMs / 1000);
  plan.prepare?.(site, r.fork('prepare'), w, Math.max(bound / 4, bound - rate));
  const log = new CaseLog(start, end);
  background(site, log, r.fork('background'));
  const item = plan.inject(site, log, r.fork('inject'), w);
  const truth = item && kind !== 'clean' ? [labelled(kind, item)] : [];
  const rendered = renderCase(log, site.setup);
  const files: CaseFile[] = [];
  if (!plan.errorOnly) files.push({ name: 'access.log', ...rendered.access });
  if (site.errorLog && rendered.error.lines > 0) files.push({ name: 'error.log', ...rendered.error });
  const s = site.setup;
  return {
    seed, index, kind, files, formatOption: plan.errorOnly ? null : needsFormatOption(s.format), truth, start, end, rate, requests: log.hits.length,
    proxyPeer: s.proxy === 'xff' || s.proxy === 'peer' ? s.proxyPeer : null,
    tags: {
      server: s.server, format: s.format, proxy: s.proxy, rate: rateBand(rate),
      logs: plan.errorOnly ? 'error log only' : files.length > 1 ? 'access + error' : 'access only',
    },
    site: `${s.host}: ${s.server} ${s.format}, proxy ${s.proxy}, ${rate.toFixed(1)} req/s drawn, ${site.login ? `login ${site.login.path}` : 'no login'}, ` +
      `${site.basic.length ? `basic ${site.basic.map((a) => a.prefix).join(' ')}` : 'no basic'}, ${site.api ? `api ${site.api.prefix}` : 'no api'}${site.wordpress ? ', wordpress' : ''}, ` +
      `login failures ${Math.round(site.failShare * 100)} %, error log ${files.some((f) => f.name === 'error.log') ? 'yes' : 'no'}${plan.errorOnly ? ' (only)' : ''}, UTC${s.offsetMin >= 0 ? '+' : ''}${s.offsetMin / 60}`,
  };
}

/** Writes the case's log files into `dir`; returns their paths. */
export function writeCase(c: GeneratedCase, dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  return c.files.map((f) => {
    const file = path.join(dir, f.name);
    writeFileSync(file, f.text);
    return file;
  });
}

/** Hours of traffic a case covers. */
export function caseHours(c: Pick<GeneratedCase, 'start' | 'end'>): number {
  return (c.end - c.start) / HOUR;
}
