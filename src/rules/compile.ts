/** Turns a validated rule into what the engine runs: durations in ms, matchers, conditions, a checked template. */
import picomatch from 'picomatch';
import { cidrMatcher } from '../aggregate/cidr';
import type { LogEvent } from '../parse/event';
import type { AuthFailureEvent } from '../parse/errorlog';
import type { Dimension } from '../aggregate/keys';
import { METRICS, type Kind, type Metric, type PeerCondition, type Rule, type Severity } from './schema';
import { figure } from '../present/numbers';

export function durationMs(s: string): number {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(s);
  if (!m) throw new Error(`bad duration ${s}`);
  const n = Number(m[1]);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return n * unit;
}

export interface Condition {
  metric: Metric;
  op: 'gt' | 'gte' | 'lt' | 'lte' | 'eq';
  value: number;
}

export interface CompiledRule {
  id: string;
  title: string;
  kind: Kind;
  severity: Severity;
  groupBy: Dimension[];
  pathPrefixSegments: number;
  windowMs: number;
  baselineMs: number;
  /** History a baseline rule needs before it may fire. */
  warmupMs: number;
  forMs: number;
  resolveAfterMs: number;
  repeatMs: number;
  failureStatuses: ReadonlySet<number>;
  /** Request filter (everything in `where` but `status`). */
  accepts: (e: LogEvent) => boolean;
  /** The same filter for an error-log auth failure (no user agent: a client filter excludes it; no path: path filters don't). */
  acceptsAuthFailure: (a: AuthFailureEvent) => boolean;
  /** Whether the conditions read error-log reasons (reason.*, auth_failures). */
  usesReasons: boolean;
  conditions: Condition[];
  /** The conditions that read no distinct count: checked first, on the window's sums alone. */
  sumConditions: Condition[];
  /** Smallest window failure count that can satisfy the rule: keys below it are not evaluated. */
  minCount: number;
  usesBaseline: boolean;
  /**
   * Whether the rule's conditions or summary read request-based metrics (REQUEST_METRICS). When not,
   * its table creates a key only at the key's first failure: clients that never fail cost nothing.
   */
  tracksAllRequests: boolean;
  /** Whether the conditions read distinct counts: if not, they are computed only for an alert's evidence. */
  needsDistinct: boolean;
  summary: string;
  likelyCause: string;
  checks: Array<{ text: string; if?: PeerCondition }>;
}

export const SEVERITY_RANK: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3 };

const TEMPLATE_FIELD = /\{([a-z_.]+)\}/g;
export const TEMPLATE_NAMES = new Set<string>([...METRICS, 'window', 'duration', 'window_count', 'success_history', 'top_ips', 'top_path', 'top_ip', 'top_client', 'top_user', 'top_reason', 'password_file', 'peak_per_min', 'rule', 'title', 'group']);

function templateProblem(text: string, groupBy: Dimension[]): string | undefined {
  for (const m of text.matchAll(TEMPLATE_FIELD)) {
    const name = m[1] as string;
    if (name.startsWith('group.')) {
      if (!groupBy.includes(name.slice(6) as Dimension)) return `template field {${name}} is not in group_by (${groupBy.join(', ') || 'site-wide'})`;
    } else if (!TEMPLATE_NAMES.has(name)) return `unknown template field {${name}}; known: ${[...TEMPLATE_NAMES].join(', ')}, group.<dimension>`;
  }
  return undefined;
}

const MEMO_LIMIT = 4096;

/** Paths and user agents repeat: remember the last few thousand answers instead of re-running the glob regex. */
export function memoized(test: (s: string) => boolean): (s: string) => boolean {
  let memo = new Map<string, boolean>();
  return (s: string) => {
    let r = memo.get(s);
    if (r === undefined) {
      r = test(s);
      if (memo.size >= MEMO_LIMIT) memo = new Map();
      memo.set(s, r);
    }
    return r;
  };
}

function globs(patterns: string[] | undefined): ((s: string) => boolean) | undefined {
  if (!patterns || patterns.length === 0) return undefined;
  return memoized(picomatch(patterns, { nocase: true, dot: true, bash: false }));
}

/** Metrics read off the window's unions (distinct counts, top lists): computed only when the sums hold. */
const DISTINCT_METRICS: ReadonlySet<Metric> = new Set<Metric>(['distinct_ips', 'distinct_users', 'distinct_paths', 'distinct_clients', 'attempts_per_ip', 'top_ip_share', 'ratio_without_top']);

/** Metrics that need every request of a key, not only its failures. */
export const REQUEST_METRICS: ReadonlySet<Metric> = new Set<Metric>(['total', 'ratio', 'ratio_without_top', 'success', 'answered', 'had_success_before', 'baseline_total', 'baseline_ratio', 'increase']);


/** Status codes and classes (`4xx`) as the set of codes they name. */
function statusSet(statuses: ReadonlyArray<number | string>): ReadonlySet<number> {
  const set = new Set<number>();
  for (const s of statuses) {
    if (typeof s === 'number') set.add(s);
    else for (let code = Number(s[0]) * 100; code < Number(s[0]) * 100 + 100; code++) set.add(code);
  }
  return set;
}

/** Metrics read off the look-back before the window. */
export function isBaselineMetric(m: Metric): boolean {
  return m.startsWith('baseline_') || m === 'increase' || m === 'rate_factor';
}

/** The smallest `count` a window can have and still satisfy the conditions on count. */
function minCountOf(conditions: Condition[]): number {
  let min = 1;
  for (const c of conditions) {
    if (c.metric !== 'count') continue;
    if (c.op === 'gte' || c.op === 'eq') min = Math.max(min, Math.ceil(c.value));
    if (c.op === 'gt') min = Math.max(min, Math.floor(c.value) + 1);
  }
  return min;
}

export function compileRule(rule: Rule): CompiledRule | string {
  const groupBy = rule.group_by ?? [];
  const checks = rule.checks.map((c) => (typeof c === 'string' ? { text: c } : c));
  const templates: Array<[string, string]> = [
    ['summary', rule.summary],
    ['likely_cause', rule.likely_cause],
    ...checks.map((c, i): [string, string] => [typeof rule.checks[i] === 'string' ? `checks[${i}]` : `checks[${i}].text`, c.text]),
  ];
  for (const [field, text] of templates) {
    const p = templateProblem(text, groupBy);
    if (p) return `${field}: ${p}`;
  }
  const where = rule.where ?? {};
  const path = globs(where.path);
  const pathNot = globs(where.path_not);
  const client = globs(where.client);
  const clientNot = globs(where.client_not);
  const methods = where.method ? new Set(where.method) : undefined;
  const cidrs = where.exclude_cidrs ?? [];
  const matcher = cidrMatcher(cidrs);
  if (typeof matcher !== 'function') return `where.exclude_cidrs: "${matcher.invalid}" is not a valid CIDR`;
  const excluded = cidrs.length > 0 ? matcher : undefined;
  const accepts = (e: LogEvent): boolean =>
    (methods === undefined || methods.has(e.method)) &&
    (path === undefined || path(e.path)) &&
    (pathNot === undefined || !pathNot(e.path)) &&
    (client === undefined || client(e.userAgent)) &&
    (clientNot === undefined || !clientNot(e.userAgent)) &&
    (excluded === undefined || !excluded(e.ip));

  const acceptsAuthFailure = (a: AuthFailureEvent): boolean =>
    client === undefined &&
    (methods === undefined || a.request === '' || methods.has(a.request.slice(0, a.request.indexOf(' ')))) &&
    (path === undefined || a.path === '' || path(a.path)) &&
    (pathNot === undefined || a.path === '' || !pathNot(a.path)) &&
    (excluded === undefined || !excluded(a.ip));

  const conditions: Condition[] = [];
  for (const [metric, cmp] of Object.entries(rule.when) as Array<[Metric, number | Record<string, number | undefined>]>) {
    if (typeof cmp === 'number') conditions.push({ metric, op: 'gte', value: cmp });
    else for (const [op, value] of Object.entries(cmp)) if (value !== undefined) conditions.push({ metric, op: op as Condition['op'], value });
  }
  const windowMs = durationMs(rule.window);
  if (windowMs < 10_000) return `window: at least 10s (one bucket)`;
  const baselineMs = durationMs(rule.baseline ?? '1h');
  const warmupMs = durationMs(rule.baseline_warmup ?? '30m');
  if (warmupMs > baselineMs) return `baseline_warmup: ${rule.baseline_warmup ?? '30m'} is longer than the look-back (baseline: ${rule.baseline ?? '1h'}): the rule could never fire`;
  return {
    id: rule.id,
    title: rule.title,
    kind: rule.kind,
    severity: rule.severity,
    groupBy,
    pathPrefixSegments: rule.path_prefix_segments ?? 2,
    windowMs,
    baselineMs,
    warmupMs,
    forMs: durationMs(rule.for ?? '0s'),
    resolveAfterMs: durationMs(rule.resolve_after ?? '5m'),
    repeatMs: durationMs(rule.repeat ?? '4h'),
    failureStatuses: statusSet(where.status ?? [401]),
    accepts,
    conditions,
    sumConditions: conditions.filter((c) => !DISTINCT_METRICS.has(c.metric)),
    minCount: minCountOf(conditions),
    usesBaseline: conditions.some((c) => isBaselineMetric(c.metric)),
    acceptsAuthFailure,
    usesReasons: conditions.some((c) => c.metric === 'auth_failures' || c.metric.startsWith('reason.')),
    needsDistinct: conditions.some((c) => DISTINCT_METRICS.has(c.metric)),
    tracksAllRequests:
      conditions.some((c) => REQUEST_METRICS.has(c.metric)) || [...rule.summary.matchAll(TEMPLATE_FIELD)].some((m) => REQUEST_METRICS.has(m[1] as Metric)),
    summary: rule.summary,
    likelyCause: rule.likely_cause,
    checks,
  };
}

export function holds(c: Condition, v: number): boolean {
  switch (c.op) {
    case 'gt': return v > c.value;
    case 'gte': return v >= c.value;
    case 'lt': return v < c.value;
    case 'lte': return v <= c.value;
    case 'eq': return v === c.value;
  }
}


/** Fills {name} placeholders with values; a value is text, never evaluated. */
export function renderTemplate(text: string, values: Record<string, string | number>): string {
  return text.replace(TEMPLATE_FIELD, (whole, name: string) => {
    // Own fields only: "{constructor}" is not a way into the object's prototype.
    const v = Object.hasOwn(values, name) ? values[name] : undefined;
    if (v === undefined) return whole;
    return typeof v === 'number' ? figure(name, v) : v;
  });
}
