/** From judged cases to the figures: confusion matrix, recall per kind, quiet rate, false alerts per week, worst cases. */
import type { ReportedIncident } from './product';
import { REPORTED_KINDS, type ReportedKind } from './match';
import { ATTACK_KINDS, BENIGN_KINDS, MISCONFIGURATION_KINDS, type CaseKind, type Expected, type InjectedKind } from './truth';

export interface IncidentBrief {
  rule: string;
  kind: string;
  group: Record<string, string>;
  start: string;
  end: string;
  summary: string;
}

export function brief(i: ReportedIncident): IncidentBrief {
  return { rule: i.rule, kind: i.kind, group: i.group, start: i.start, end: i.end, summary: i.summary.slice(0, 300) };
}

export interface CaseResult {
  index: number;
  kind: CaseKind;
  /** The injected incident's variant, expected and reported kinds (none for clean traffic). */
  variant: string | null;
  expected: Expected | null;
  reported: ReportedKind | null;
  correct: boolean | null;
  /** Incidents the product reported for the injected one (one attacker should be one page). */
  pages: number;
  matched: IncidentBrief[];
  /** Inhibited alerts that named the injected actor (an attack silenced by a misconfiguration, say). */
  inhibited: IncidentBrief[];
  falseAlerts: IncidentBrief[];
  hours: number;
  lines: number;
  malformed: number;
  detail: string;
  site: string;
  files: string[];
  formatOption: string | null;
  tags: Record<string, string>;
}

export interface KindFigures {
  cases: number;
  correct: number;
  rate: number | null;
}

export interface Criterion {
  name: string;
  target: string;
  value: string;
  met: boolean;
}

export interface WorstCase {
  index: number;
  kind: CaseKind;
  why: string;
  detail: string;
  reported: IncidentBrief[];
  replay: string;
}

export interface Summary {
  seed: number;
  cases: number;
  lines: number;
  hours: number;
  /** Rows: true kind; columns: reported kind. */
  matrix: Record<string, Record<ReportedKind, number>>;
  byExpected: Record<Expected, Record<ReportedKind, number>>;
  recall: Record<string, KindFigures>;
  variants: Record<string, Record<string, KindFigures>>;
  benignQuiet: KindFigures;
  confusions: number;
  falseAlerts: {
    all: { count: number; hours: number; perDay: number; perWeek: number };
    clean: { count: number; hours: number; perDay: number; perWeek: number };
    byRule: Record<string, number>;
  };
  pages: Record<string, { mean: number; max: number }>;
  malformedLines: number;
  /** Per setup fact (proxy, format…): injected incidents judged right, false alerts per week. */
  bySetup: Record<string, Record<string, { cases: number; correct: number; rate: number | null; falseAlerts: number; hours: number; perWeek: number }>>;
  criteria: Criterion[];
  worst: WorstCase[];
}

const INCIDENT_KINDS: readonly InjectedKind[] = [...ATTACK_KINDS, ...MISCONFIGURATION_KINDS];
const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;

function figures(cases: number, correct: number): KindFigures {
  return { cases, correct, rate: cases ? round(correct / cases) : null };
}

function emptyRow(): Record<ReportedKind, number> {
  return Object.fromEntries(REPORTED_KINDS.map((k) => [k, 0])) as Record<ReportedKind, number>;
}

function rate(count: number, hours: number): { count: number; hours: number; perDay: number; perWeek: number } {
  return { count, hours: round(hours, 1), perDay: hours ? round((count / hours) * 24) : 0, perWeek: hours ? round((count / hours) * 168) : 0 };
}

/** How bad a misjudgement is, for ordering the worst cases: confusions first, then misses, then noise. */
function badness(c: CaseResult): number {
  if (c.kind === 'clean') return c.falseAlerts.length ? 1 + Math.min(c.falseAlerts.length, 9) / 10 : 0;
  if (c.correct) return c.pages > 3 ? 1 : c.falseAlerts.length ? 0.5 : 0;
  if (c.expected === 'quiet') return c.reported === 'anomaly' ? 2 : 3;
  if (c.reported === 'both' || (c.reported === 'attack' && c.expected === 'misconfiguration') || (c.reported === 'misconfiguration' && c.expected === 'attack')) return 4;
  return c.reported === 'nothing' ? 3 : 2;
}

function why(c: CaseResult): string {
  if (c.kind === 'clean') return `${c.falseAlerts.length} false alert(s) on clean traffic`;
  if (c.correct && c.pages > 3) return `right kind, but ${c.pages} incidents for one actor`;
  if (c.correct) return `right kind, ${c.falseAlerts.length} false alert(s) beside it`;
  if (c.expected === 'quiet') return `benign, reported ${c.reported}`;
  return `expected ${c.expected}, reported ${c.reported}${c.inhibited.length ? ` (${c.inhibited.length} matching alert(s) inhibited: ${[...new Set(c.inhibited.map((i) => i.rule))].join(', ')})` : ''}`;
}

export function summarize(seed: number, results: CaseResult[], replay: (index: number) => string, worstCount = 40): Summary {
  const matrix: Record<string, Record<ReportedKind, number>> = {};
  const byExpected = { attack: emptyRow(), misconfiguration: emptyRow(), quiet: emptyRow() } as Record<Expected, Record<ReportedKind, number>>;
  const recall: Record<string, KindFigures> = {};
  const variants: Record<string, Record<string, KindFigures>> = {};
  const pages: Record<string, { mean: number; max: number }> = {};
  const byRule: Record<string, number> = {};
  let confusions = 0;
  let allFalse = 0;
  let cleanFalse = 0;
  let hours = 0;
  let cleanHours = 0;
  for (const c of results) {
    hours += c.hours;
    allFalse += c.falseAlerts.length;
    for (const f of c.falseAlerts) byRule[f.rule] = (byRule[f.rule] ?? 0) + 1;
    if (c.kind === 'clean') {
      cleanHours += c.hours;
      cleanFalse += c.falseAlerts.length;
      continue;
    }
    const reported = c.reported as ReportedKind;
    const expected = c.expected as Expected;
    (matrix[c.kind] ??= emptyRow())[reported]++;
    byExpected[expected][reported]++;
    if (expected !== 'quiet' && (reported === 'both' || (reported !== expected && (reported === 'attack' || reported === 'misconfiguration')))) confusions++;
    const kf = (recall[c.kind] ??= { cases: 0, correct: 0, rate: null });
    kf.cases++;
    if (c.correct) kf.correct++;
    const vf = ((variants[c.kind] ??= {})[c.variant ?? '-'] ??= { cases: 0, correct: 0, rate: null });
    vf.cases++;
    if (c.correct) vf.correct++;
  }
  for (const [k, f] of Object.entries(recall)) recall[k] = figures(f.cases, f.correct);
  for (const v of Object.values(variants)) for (const [k, f] of Object.entries(v)) v[k] = figures(f.cases, f.correct);
  for (const kind of INCIDENT_KINDS) {
    const own = results.filter((c) => c.kind === kind && c.reported !== 'nothing');
    if (own.length) pages[kind] = { mean: round(own.reduce((s, c) => s + c.pages, 0) / own.length, 2), max: Math.max(...own.map((c) => c.pages)) };
  }
  const bySetup: Summary['bySetup'] = {};
  for (const c of results) {
    for (const [tag, value] of Object.entries(c.tags)) {
      const b = ((bySetup[tag] ??= {})[value] ??= { cases: 0, correct: 0, rate: null, falseAlerts: 0, hours: 0, perWeek: 0 });
      b.hours += c.hours;
      b.falseAlerts += c.falseAlerts.length;
      if (c.correct === null) continue;
      b.cases++;
      if (c.correct) b.correct++;
    }
  }
  for (const values of Object.values(bySetup)) {
    for (const b of Object.values(values)) {
      b.rate = b.cases ? round(b.correct / b.cases) : null;
      b.perWeek = b.hours ? round((b.falseAlerts / b.hours) * 168) : 0;
      b.hours = round(b.hours, 1);
    }
  }
  const benign = results.filter((c) => (BENIGN_KINDS as readonly string[]).includes(c.kind));
  const benignQuiet = figures(benign.length, benign.filter((c) => c.correct).length);
  const all = rate(allFalse, hours);
  const clean = rate(cleanFalse, cleanHours);
  const criteria: Criterion[] = [
    ...INCIDENT_KINDS.filter((k) => recall[k]).map((k) => {
      const f = recall[k] as KindFigures;
      return { name: `${k}: found with the right kind`, target: '>= 95 %', value: `${f.correct}/${f.cases} (${Math.round((f.rate ?? 0) * 100)} %)`, met: (f.rate ?? 0) >= 0.95 };
    }),
    { name: 'attack <-> misconfiguration confusions', target: '0', value: String(confusions), met: confusions === 0 },
    { name: 'benign cases quiet', target: '>= 99 %', value: `${benignQuiet.correct}/${benignQuiet.cases} (${Math.round((benignQuiet.rate ?? 0) * 1000) / 10} %)`, met: (benignQuiet.rate ?? 0) >= 0.99 },
    { name: 'false alerts per simulated week of background', target: '<= 1', value: `${all.perWeek} (${all.count} in ${all.hours} h)`, met: all.perWeek <= 1 },
  ];
  const worst = results
    .map((c) => ({ c, b: badness(c) }))
    .filter((x) => x.b > 0)
    .sort((a, b) => b.b - a.b || a.c.index - b.c.index)
    .slice(0, worstCount)
    .map(({ c }) => ({ index: c.index, kind: c.kind, why: why(c), detail: c.detail, reported: c.kind === 'clean' ? c.falseAlerts : [...c.matched, ...c.falseAlerts], replay: replay(c.index) }));
  return {
    seed, cases: results.length, lines: results.reduce((s, c) => s + c.lines, 0), hours: round(hours, 1), matrix, byExpected, recall, variants, benignQuiet, confusions,
    falseAlerts: { all, clean, byRule }, pages, malformedLines: results.reduce((s, c) => s + c.malformed, 0), bySetup, criteria, worst,
  };
}
