/**
 * aggregate → rules: event-time buckets closed by a watermark, 401s settled (answered or failed),
 * each rule's key table updated, every live key evaluated when a bucket closes, and the alert
 * lifecycle (pending → firing → resolved) turned into incidents.
 */
import type { LogEvent } from '../parse/event';
import { KeyTable, type KeyState, type WindowFigures } from '../aggregate/table';
import { ChallengeSettler } from '../aggregate/settle';
import { holds, renderTemplate, REQUEST_METRICS, type CompiledRule } from './compile';
import { BASELINE_RATE_FLOOR_PER_MIN, computeMetrics, roundMetrics } from './metrics';
import type { Incident } from './incident';
import type { Metric } from './schema';
import { latin1ToText } from '../parse/text';
import type { AuthFailureEvent, AuthReason } from '../parse/errorlog';
import { int } from '../present/numbers';

export interface EngineOptions {
  bucketMs: number;
  allowedLatenessMs: number;
  settleMs: number;
  /** Keys per rule table. */
  capacity: number;
  /** Addresses whose last success is remembered, for "previously ok" (failing clients that succeeded within the look-back). */
  clientMemory: number;
}

export const DEFAULT_ENGINE_OPTIONS: EngineOptions = { bucketMs: 10_000, allowedLatenessMs: 60_000, settleMs: 5_000, capacity: 20_000, clientMemory: 200_000 };

export type AlertTransition = { status: 'firing' | 'resolved'; incident: Incident };

interface AlertState {
  state: 'pending' | 'firing';
  since: number;
  firedAt: number;
  lastTrue: number;
  lastCountedBucket: number;
  lastFail: number;
  count: number;
  /** The busiest window (most failures) and its metrics. */
  peak: WindowFigures;
  peakMetrics: Record<Metric, number>;
  /** Metrics when the alert fired: their baseline is the traffic before the incident. */
  firedMetrics: Record<Metric, number>;
  samples: string[];
  approximate: boolean;
  /** Failures per minute, from timelineStart (a minute boundary). */
  timelineStart: number;
  timeline: number[];
}

const MINUTE = 60_000;
const MAX_TIMELINE_MINUTES = 240;

function addToTimeline(a: AlertState, time: number, n: number): void {
  if (n === 0) return;
  let i = Math.floor((time - a.timelineStart) / MINUTE);
  if (i < 0) return;
  while (a.timeline.length <= i) a.timeline.push(0);
  if (a.timeline.length > MAX_TIMELINE_MINUTES) {
    const drop = a.timeline.length - MAX_TIMELINE_MINUTES;
    a.timeline.splice(0, drop);
    a.timelineStart += drop * MINUTE;
    i -= drop;
  }
  a.timeline[i] = (a.timeline[i] ?? 0) + n;
}

interface RuleRuntime {
  rule: CompiledRule;
  table: KeyTable;
}

function isSuccess(status: number): boolean {
  return status >= 200 && status < 400;
}

function humanWindow(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${Math.round(ms / 1000)} s`;
}

/**
 * The busiest window's figures against the baseline as it was when the alert fired: later windows'
 * baselines already contain the incident ("was 0 %" must mean before it began).
 */
function evidence(peak: Record<Metric, number>, fired: Record<Metric, number>): Record<Metric, number> {
  const m = { ...peak };
  m.baseline_total = fired.baseline_total;
  m.baseline_count = fired.baseline_count;
  m.baseline_ratio = fired.baseline_ratio;
  m.baseline_rate_per_min = fired.baseline_rate_per_min;
  m.increase = peak.ratio - fired.baseline_ratio;
  m.rate_factor = peak.rate_per_min / Math.max(fired.baseline_rate_per_min, BASELINE_RATE_FLOOR_PER_MIN);
  return m;
}

const REASON_LABEL: Record<AuthReason, string> = {
  user_not_found: 'user not found', password_mismatch: 'password mismatch', password_file_unreadable: 'password file unreadable',
  denied_by_rule: 'denied by an access rule', limit_req: 'rate-limited (limit_req)', digest_nonce: 'invalid digest nonce',
  digest_other: 'digest auth error', wrong_scheme: 'wrong authentication scheme', authz_denied: 'authenticated but not authorized',
  pam_failure: 'PAM authentication failure', tls_handshake: 'TLS handshake failure', tls_sni_mismatch: 'TLS SNI / Host mismatch', other: 'other auth error',
};

function topReason(f: WindowFigures): AuthReason | undefined {
  return (Object.entries(f.reasons) as Array<[AuthReason, number]>).sort((a, b) => b[1] - a[1])[0]?.[0];
}

/** The error log's "why", joined by group key and window: "1,180 of 1,204 failures: user not found (412 distinct users)". */
function reasonsOf(f: WindowFigures, m: Record<Metric, number>): Incident['reasons'] {
  const total = Math.max(f.count, f.authFailures);
  return (Object.entries(f.reasons) as Array<[AuthReason, number]>)
    .sort((a, b) => b[1] - a[1])
    .map(([reason, count]) => {
      let text = `${int(count)} of ${int(total)} failures: ${REASON_LABEL[reason]}`;
      if (reason === 'user_not_found' && m.distinct_users > 1) text += ` (${int(m.distinct_users)} distinct users)`;
      if (reason === 'password_mismatch' && f.top.user.length === 1) text += ` for user ${f.top.user[0]?.key}`;
      if (reason === 'password_file_unreadable' && f.details.length > 0) text += `: ${f.details.join(', ')}`;
      return { reason, count, text };
    });
}

const BASELINE_METRICS: Metric[] = ['baseline_total', 'baseline_count', 'baseline_ratio', 'baseline_rate_per_min', 'increase', 'rate_factor'];

export interface EngineStats {
  events: number;
  late: number;
  settledEarly: number;
  answered401: number;
  failed401: number;
  evictions: number;
  /** Error-log authentication failures analysed. */
  authFailures: number;
}

export class Engine {
  private readonly runtimes: RuleRuntime[];
  private readonly settler: ChallengeSettler;
  private readonly lastSuccess = new Map<string, { time: number }>();
  private maxTime = -Infinity;
  private nextBucket: number | null = null;
  private closing = 0;
  private readonly incidents: Incident[] = [];
  /** Error-log failures waiting for their bucket to close before they are attached as evidence. */
  private pendingEvidence: AuthFailureEvent[] = [];
  private evidenceHead = 0;
  readonly stats: EngineStats = { events: 0, late: 0, settledEarly: 0, answered401: 0, failed401: 0, evictions: 0, authFailures: 0 };

  constructor(
    rules: CompiledRule[],
    private readonly opts: EngineOptions = DEFAULT_ENGINE_OPTIONS,
    private readonly onTransition?: (t: AlertTransition) => void,
    /** Each 401 once settled: answered (a challenge or token refresh) or failed. The report's top lists mark answered ones. */
    private readonly onSettled?: (e: LogEvent, answered: boolean) => void,
  ) {
    this.runtimes = rules.map((rule) => ({
      rule,
      table: new KeyTable({ bucketMs: opts.bucketMs, windowMs: rule.windowMs, aheadMs: opts.allowedLatenessMs + opts.settleMs, baselineMs: rule.baselineMs, groupBy: rule.groupBy, pathPrefixSegments: rule.pathPrefixSegments, capacity: opts.capacity, trackBaseline: rule.usesBaseline, tracksAllRequests: rule.tracksAllRequests, countsAuthFailures: rule.usesReasons,
        promoteAt: rule.minCount >= 2 && !rule.tracksAllRequests ? 2 : 1 }),
    }));
    this.settler = new ChallengeSettler(opts.settleMs);
  }

  /** An error-log authentication failure, in event time like any access event. */
  addAuthFailure(a: AuthFailureEvent): void {
    const bucket = this.admit(a.time);
    if (bucket === null) return;
    this.stats.authFailures++;
    this.advance(this.maxTime - this.opts.allowedLatenessMs);
    // Rules that read reasons take the failure now (it may create their key). For the others it is
    // evidence for a key the access log creates, after its 401s are settled: attach it at bucket close.
    for (const { rule, table } of this.runtimes) if (rule.usesReasons && rule.acceptsAuthFailure(a)) table.addAuthFailure(a, bucket);
    this.pendingEvidence.push(a);
  }

  private attachEvidence(before: number): void {
    while (this.evidenceHead < this.pendingEvidence.length && (this.pendingEvidence[this.evidenceHead] as AuthFailureEvent).time < before) {
      const a = this.pendingEvidence[this.evidenceHead++] as AuthFailureEvent;
      const bucket = Math.floor(a.time / this.opts.bucketMs);
      for (const { rule, table } of this.runtimes) if (!rule.usesReasons && rule.acceptsAuthFailure(a)) table.addAuthFailure(a, bucket);
    }
    if (this.evidenceHead > 4096 && this.evidenceHead * 2 > this.pendingEvidence.length) {
      this.pendingEvidence = this.pendingEvidence.slice(this.evidenceHead);
      this.evidenceHead = 0;
    }
  }

  /**
   * For a live tail: when no event has arrived for a while, event time moves on with the wall clock,
   * so windows close, alerts fire or resolve, although the log is quiet. `eventTime` is the newest
   * event time plus the wall time since it arrived.
   */
  advanceIdle(eventTime: number): void {
    if (!Number.isFinite(this.maxTime) || eventTime <= this.maxTime) return;
    this.settler.releaseBefore(eventTime - this.opts.settleMs, this.release);
    this.advance(eventTime - this.opts.allowedLatenessMs);
  }

  /** Newest event time seen (−Infinity before the first). */
  get newestEventTime(): number {
    return this.maxTime;
  }

  /** Alerts currently firing (for metrics). */
  get firingCount(): number {
    let n = 0;
    for (const { table } of this.runtimes) for (const st of table.live) if ((st.alert as AlertState | null)?.state === 'firing') n++;
    return n;
  }

  /** Largest number of keys held by any rule table (for memory tests and metrics). */
  get maxTableSize(): number {
    return Math.max(0, ...this.runtimes.map((r) => r.table.keys.size));
  }

  /** An event's bucket, or null when it is older than the watermark (counted as late, not analysed). */
  private admit(time: number): number | null {
    const bucket = Math.floor(time / this.opts.bucketMs);
    // Late means older than the watermark: the first event already allows the lateness behind it.
    if (this.nextBucket === null) this.nextBucket = Math.floor((time - this.opts.allowedLatenessMs) / this.opts.bucketMs);
    if (bucket < this.nextBucket) {
      this.stats.late++;
      return null;
    }
    if (time > this.maxTime) this.maxTime = time;
    return bucket;
  }

  add(e: LogEvent): void {
    const bucket = this.admit(e.time);
    if (bucket === null) return;
    this.stats.events++;
    // Close what the new watermark closes before the event lands: an event far ahead of the closing
    // bucket would otherwise be written into ring slots of buckets that are still open.
    this.advance(this.maxTime - this.opts.allowedLatenessMs);
    if (e.status === 401) {
      this.settler.hold(e, this.release);
    } else {
      if (isSuccess(e.status)) {
        this.settler.success(e);
        this.rememberSuccess(e);
      }
      this.dispatch(e, bucket, false);
    }
    // A 401 needs only `settleMs` of following traffic to be settled; releasing it then (its bucket is
    // still open: the watermark lags by the lateness) keeps the held set small and short-lived.
    this.settler.releaseBefore(this.maxTime - this.opts.settleMs, this.release);
  }

  private rememberSuccess(e: LogEvent): void {
    // Keyed by address alone: a short key is cheap on the hot path (every success passes here).
    // The time lives in an object updated in place: a time is not a small integer, so each Map.set
    // of one would box a fresh number, one allocation per success.
    const known = this.lastSuccess.get(e.ip);
    if (known !== undefined) {
      known.time = e.time;
      return;
    }
    this.lastSuccess.set(e.ip, { time: e.time });
    // Oldest-inserted goes first when full: close enough to least-recently-successful, and a plain set is cheap.
    if (this.lastSuccess.size > this.opts.clientMemory) {
      const oldest = this.lastSuccess.keys().next();
      if (!oldest.done) this.lastSuccess.delete(oldest.value);
    }
  }

  private readonly release = (e: LogEvent, answered: boolean): void => {
    if (answered) this.stats.answered401++;
    else this.stats.failed401++;
    this.onSettled?.(e, answered);
    // A 401 released after its own bucket closed (out-of-order input within the lateness) counts in the bucket closing now.
    const bucket = Math.max(Math.floor(e.time / this.opts.bucketMs), this.closing);
    this.dispatch(e, bucket, answered);
  };

  private dispatch(e: LogEvent, bucket: number, answered: boolean): void {
    let previouslyOk: boolean | undefined;
    for (const { rule, table } of this.runtimes) {
      if (!answered && rule.failureStatuses.has(e.status)) {
        if (!rule.accepts(e)) continue;
        if (previouslyOk === undefined) {
          const t = this.lastSuccess.get(e.ip)?.time;
          previouslyOk = t !== undefined && t <= e.time && e.time - t <= rule.baselineMs;
        }
        table.addFailure(e, bucket, previouslyOk);
      } else {
        // The key lookup comes first: on failure-only tables most requests have no key and stop here.
        const st = table.requestState(e);
        if (st !== undefined && rule.accepts(e)) table.addRequest(st, e, bucket, isSuccess(e.status), answered);
      }
    }
  }

  private get idle(): boolean {
    return this.settler.held === 0 && this.evidenceHead === this.pendingEvidence.length && this.runtimes.every((r) => r.table.live.size === 0);
  }

  private advance(watermark: number): void {
    if (this.nextBucket === null) return;
    const lastClosable = Math.floor(watermark / this.opts.bucketMs) - 1;
    while (this.nextBucket <= lastClosable) {
      // Nothing held and nothing live: empty buckets need no evaluation (logs have gaps of days).
      if (this.idle) {
        this.nextBucket = lastClosable + 1;
        break;
      }
      this.closeBucket(this.nextBucket);
      this.nextBucket++;
    }
  }

  private closeBucket(k: number): void {
    this.closing = k;
    const end = (k + 1) * this.opts.bucketMs;
    this.settler.releaseBefore(end, this.release);
    this.attachEvidence(end);
    for (const rt of this.runtimes) {
      for (const st of rt.table.live) this.evaluate(rt, st, k, end);
      if (k % 360 === 0) rt.table.expireIdle(k);
    }
  }

  private evaluate({ rule, table }: RuleRuntime, st: KeyState, k: number, now: number): void {
    const alert = st.alert as AlertState | null;
    const n = table.windowCount(st, k);
    if (n === 0 && alert === null) {
      // Failures can sit in buckets ahead of the one closing (403/404 are counted on arrival):
      // the key leaves the live set only once its last failure is behind the window.
      if (st.lastFailBucket <= k) table.live.delete(st);
      return;
    }
    let figures: WindowFigures | undefined;
    let metrics: Record<Metric, number> | undefined;
    let matches = false;
    if (n >= rule.minCount) {
      // The window's sums first: the distinct counts and top lists (unions over every slot of the
      // window) only when the conditions on sums hold and the distinct ones can decide.
      figures = table.figures(st, k, false);
      metrics = computeMetrics(figures, rule, table.baselineSpanMs());
      const sums = metrics;
      matches = rule.sumConditions.every((c) => holds(c, sums[c.metric]));
      // Evidence needs the full figures too: when the alert starts or reaches a new peak.
      if (matches && (rule.needsDistinct || alert === null || figures.count > alert.peak.count)) {
        figures = table.figures(st, k, true);
        metrics = computeMetrics(figures, rule, table.baselineSpanMs());
        const all = metrics;
        matches = rule.conditions.every((c) => holds(c, all[c.metric]));
      }
    }
    if (matches && figures && metrics) {
      if (alert === null) {
        st.alert = {
          state: 'pending', since: figures.firstFail, firedAt: 0, lastTrue: now, lastCountedBucket: k, lastFail: figures.lastFail,
          count: figures.count, peak: figures, peakMetrics: metrics, firedMetrics: metrics, approximate: figures.approximate,
          samples: st.samples.map((s) => `${s.file}:${s.line} ${latin1ToText(s.raw)}`),
          timelineStart: Math.floor(((k - table.windowBuckets + 1) * this.opts.bucketMs) / MINUTE) * MINUTE, timeline: [],
        } satisfies AlertState;
        const created = st.alert as AlertState;
        for (let j = k - table.windowBuckets + 1; j <= k; j++) addToTimeline(created, j * this.opts.bucketMs, table.slotFailures(st, j));
      } else {
        this.countNewBucket(alert, table, st, k);
        alert.lastTrue = now;
        alert.approximate ||= figures.approximate;
        if (alert.state === 'pending') alert.firedMetrics = metrics;
        if (figures.count > alert.peak.count) {
          alert.peak = figures;
          alert.peakMetrics = metrics;
        }
      }
      const a = st.alert as AlertState;
      if (a.state === 'pending' && now - a.since >= rule.forMs) {
        a.state = 'firing';
        a.firedAt = now;
        this.onTransition?.({ status: 'firing', incident: this.incidentOf(rule, st, a, true) });
      }
      return;
    }
    if (alert === null) return;
    if (alert.state === 'pending') {
      st.alert = null;
      return;
    }
    this.countNewBucket(alert, table, st, k);
    if (now - alert.lastTrue >= rule.resolveAfterMs) {
      const incident = this.incidentOf(rule, st, alert, false);
      this.incidents.push(incident);
      st.alert = null;
      this.onTransition?.({ status: 'resolved', incident });
    }
  }

  private countNewBucket(alert: AlertState, table: KeyTable, st: KeyState, k: number): void {
    if (k <= alert.lastCountedBucket) return;
    const added = table.slotFailures(st, k);
    alert.count += added;
    alert.lastCountedBucket = k;
    addToTimeline(alert, k * this.opts.bucketMs, added);
    if (added > 0) {
      const slotLast = st.slotAt(k);
      if (slotLast && slotLast.lastFail > alert.lastFail) alert.lastFail = slotLast.lastFail;
      for (const s of st.samples) {
        if (alert.samples.length >= 5) break;
        const text = `${s.file}:${s.line} ${latin1ToText(s.raw)}`;
        if (!alert.samples.includes(text)) alert.samples.push(text);
      }
    }
  }

  private incidentOf(rule: CompiledRule, st: KeyState, a: AlertState, open: boolean): Incident {
    const metrics: Partial<Record<Metric, number>> = roundMetrics(evidence(a.peakMetrics, a.firedMetrics));
    // Figures a rule's table does not keep are left out rather than reported as zeros.
    if (!rule.usesBaseline) for (const m of BASELINE_METRICS) delete metrics[m];
    if (!rule.tracksAllRequests) for (const m of REQUEST_METRICS) delete metrics[m];
    // Without an error log there are no reasons to report.
    if (a.peak.authFailures === 0 && !rule.usesReasons) for (const m of Object.keys(metrics) as Metric[]) if (m === 'auth_failures' || m.startsWith('reason.')) delete metrics[m];
    const values: Record<string, string | number> = {
      ...metrics,
      count: a.count,
      window: humanWindow(rule.windowMs),
      rule: rule.id,
      title: rule.title,
      group: Object.entries(st.group).map(([k, v]) => `${k}=${v}`).join(', ') || 'site-wide',
      top_path: a.peak.top.path[0]?.key ?? '-',
      top_ip: a.peak.top.ip[0]?.key ?? '-',
      top_client: a.peak.top.client[0]?.key ?? '-',
      top_user: a.peak.top.user[0]?.key ?? '-',
      top_reason: topReason(a.peak) ?? '-',
      // The busiest minute so far: a window's average hides a burst (25 tries in one second is not 5 a minute).
      peak_per_min: Math.max(0, ...a.timeline),
      password_file: a.peak.details[0] ?? '(not named)',
    };
    for (const [k, v] of Object.entries(st.group)) values[`group.${k}`] = v;
    return {
      rule: rule.id,
      title: rule.title,
      kind: rule.kind,
      severity: rule.severity,
      group: { ...st.group },
      fingerprint: `${rule.id}|${st.key.replace(/\u0000/g, '|')}`,
      start: new Date(a.since).toISOString(),
      end: new Date(a.lastFail).toISOString(),
      firedAt: new Date(a.firedAt).toISOString(),
      count: a.count,
      metrics,
      top: a.peak.top,
      summary: renderTemplate(rule.summary, values),
      likely_cause: renderTemplate(rule.likelyCause, values),
      checks: rule.checks.map((c) => renderTemplate(c, values)),
      samples: a.samples.slice(0, 5),
      reasons: reasonsOf(a.peak, a.peakMetrics),
      conditions: rule.conditions.map((c) => ({ metric: c.metric, op: c.op, threshold: c.value, value: metrics[c.metric] ?? a.peakMetrics[c.metric] })),
      timeline: { start: new Date(a.timelineStart).toISOString(), stepMs: MINUTE, counts: [...a.timeline] },
      approximate: a.approximate,
      open,
    };
  }

  /** Keys evicted from the rule tables so far (their figures are approximate from then on). */
  get evictions(): number {
    return this.runtimes.reduce((n, r) => n + r.table.evictions, 0);
  }

  /** End of input: settle what is held, close every bucket, and report alerts still firing as open incidents. */
  finish(): Incident[] {
    this.settler.releaseAll(this.release);
    if (this.nextBucket !== null && Number.isFinite(this.maxTime)) {
      const last = Math.floor(this.maxTime / this.opts.bucketMs);
      while (this.nextBucket <= last) this.closeBucket(this.nextBucket++);
    }
    for (const { rule, table } of this.runtimes) {
      this.stats.evictions += table.evictions;
      for (const st of table.keys.values()) {
        const a = st.alert as AlertState | null;
        if (a?.state === 'firing') this.incidents.push(this.incidentOf(rule, st, a, true));
        st.alert = null;
      }
    }
    this.stats.settledEarly = this.settler.forcedReleases;
    return this.incidents;
  }
}
