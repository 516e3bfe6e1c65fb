/**
 * aggregate → rules: event-time buckets closed by a watermark, 401s settled (answered or failed),
 * each rule's key table updated, every live key evaluated when a bucket closes, and the alert
 * lifecycle (pending → firing → resolved) turned into incidents.
 */
import type { LogEvent } from '../parse/event';
import { KeyTable, type KeyState, type Sample, type WindowFigures } from '../aggregate/table';
import { ChallengeSettler } from '../aggregate/settle';
import { SuccessMemory } from '../aggregate/successes';
import { AttemptJoin, JOIN_SLACK_MS } from '../aggregate/join';
import { isLocalAddress } from '../aggregate/cidr';
import { holds, isBaselineMetric, renderTemplate, REQUEST_METRICS, type CompiledRule } from './compile';
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

/**
 * `repeat`: the alert is still firing `repeat` (the rule's re-notify interval, event time) after it
 * was last announced: outputs that want reminders send it again, as Alertmanager re-sends firing alerts.
 */
export type AlertTransition = { status: 'firing' | 'resolved'; incident: Incident; repeat?: boolean };

interface AlertState {
  state: 'pending' | 'firing';
  since: number;
  firedAt: number;
  /** When the alert was last announced (fired or repeated), for the rule's `repeat`. */
  notifiedAt: number;
  lastTrue: number;
  lastCountedBucket: number;
  lastFail: number;
  count: number;
  /** The busiest window (most failures) and its metrics. */
  peak: WindowFigures;
  peakMetrics: Record<Metric, number>;
  /** Metrics when the alert fired: their baseline is the traffic before the incident. */
  firedMetrics: Record<Metric, number>;
  /** Sample lines with their event time: the incident quotes those inside its stated span. */
  samples: Array<{ time: number; text: string }>;
  /** The key's successes before the alert began (what a stale credential's history says). */
  successesBefore: number;
  lastSuccessBefore: number;
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

/** `203.0.113.4 (40), 203.0.113.9 (38) and 27 more`: the busiest values, and how many are not shown. */
function topList(top: Array<{ key: string; count: number }>, distinct: number): string {
  if (top.length === 0) return '-';
  const more = Math.max(0, distinct - top.length);
  return top.map((t) => `${t.key} (${t.count.toLocaleString('en-US')})`).join(', ') + (more > 0 ? ` and ${more.toLocaleString('en-US')} more` : '');
}

function sampleOf(s: Sample): { time: number; text: string } {
  return { time: s.time, text: `${s.file}:${s.line} ${latin1ToText(s.raw)}` };
}

const p2 = (n: number) => String(n).padStart(2, '0');

/** `08:44 UTC`, with the date when it is not the day of `ref`. */
function clock(ms: number, ref: number): string {
  const d = new Date(ms);
  const hm = `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())} UTC`;
  return d.toISOString().slice(0, 10) === new Date(ref).toISOString().slice(0, 10) ? hm : `${d.toISOString().slice(0, 10)} ${hm}`;
}

/** An incident's span: `12 min`, `1 h 5 min`, `40 s`. */
function humanDuration(ms: number): string {
  if (ms < 1000) return 'under a second';
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  const min = Math.round(s / 60);
  if (min < 120) return `${min} min`;
  return `${Math.floor(min / 60)} h ${min % 60} min`;
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

const BASELINE_METRICS: Metric[] = ['baseline_total', 'baseline_span', 'baseline_count', 'baseline_ratio', 'baseline_rate_per_min', 'increase', 'rate_factor'];

export interface EngineStats {
  events: number;
  late: number;
  settledEarly: number;
  answered401: number;
  failed401: number;
  evictions: number;
  /** Error-log authentication failures analysed. */
  authFailures: number;
  /**
   * Error-log credential failures (user not found, password mismatch, PAM) that no access-log 401
   * described, counted as failed attempts of their own: all of them when only the error log is read.
   */
  errorLogOnlyFailures: number;
  /** Baseline rules wait for history: when it began, when they could first fire, and what they held back meanwhile. */
  warmup: BaselineWarmup;
}

export interface BaselineWarmup {
  /** The first event: history starts here. */
  historyFrom: string | null;
  /** When the last baseline rule has its warm-up of history (null without baseline rules or events). */
  until: string | null;
  rules: Array<{ rule: string; warmup: string; until: string | null }>;
  /**
   * Keys whose conditions held, except the baseline ones, while their rule's baseline was still
   * warming up: not alerts (nothing to compare with yet), but worth a look. At most MAX_HELD_BACK.
   */
  heldBack: Array<{ rule: string; group: Record<string, string>; start: string; end: string; count: number }>;
}

const MAX_HELD_BACK = 50;

export class Engine {
  private readonly runtimes: RuleRuntime[];
  private readonly settler: ChallengeSettler;
  private readonly successes: SuccessMemory;
  private readonly join: AttemptJoin;
  private maxTime = -Infinity;
  private nextBucket: number | null = null;
  private closing = 0;
  private readonly incidents: Incident[] = [];
  /** Error-log failures waiting for their bucket to close before they are attached as evidence. */
  private pendingEvidence: AuthFailureEvent[] = [];
  private evidenceHead = 0;
  /** Rule and key of each stats.warmup.heldBack entry, in the same order. */
  private readonly heldBackKeys: string[] = [];
  readonly stats: EngineStats = {
    events: 0, late: 0, settledEarly: 0, answered401: 0, failed401: 0, evictions: 0, authFailures: 0, errorLogOnlyFailures: 0,
    warmup: { historyFrom: null, until: null, rules: [], heldBack: [] },
  };

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
    this.successes = new SuccessMemory(opts.clientMemory);
    this.join = new AttemptJoin(opts.settleMs + JOIN_SLACK_MS, opts.allowedLatenessMs);
    this.stats.warmup.rules = rules.filter((r) => r.usesBaseline).map((r) => ({ rule: r.id, warmup: humanWindow(r.warmupMs), until: null }));
  }

  /** History begins with the first event: baselines count from there, and warm up from there. */
  private startHistory(time: number): void {
    for (const { table } of this.runtimes) table.historyStart = time;
    const w = this.stats.warmup;
    w.historyFrom = new Date(time).toISOString();
    let last = -Infinity;
    for (const r of w.rules) {
      const rule = this.runtimes.find((rt) => rt.rule.id === r.rule)?.rule as CompiledRule;
      r.until = new Date(time + rule.warmupMs).toISOString();
      last = Math.max(last, time + rule.warmupMs);
    }
    w.until = Number.isFinite(last) ? new Date(last).toISOString() : null;
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
    // A credential failure is also an attempt: counted once with its access 401, or on its own.
    if (this.join.error(a)) this.join.releaseBefore(this.maxTime, this.releaseAlone);
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
    this.join.releaseBefore(eventTime, this.releaseAlone);
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
    if (this.nextBucket === null) {
      this.nextBucket = Math.floor((time - this.opts.allowedLatenessMs) / this.opts.bucketMs);
      this.startHistory(time);
    }
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
        this.successes.remember(e);
      }
      this.dispatch(e, bucket, false);
    }
    // A 401 needs only `settleMs` of following traffic to be settled; releasing it then (its bucket is
    // still open: the watermark lags by the lateness) keeps the held set small and short-lived.
    this.settler.releaseBefore(this.maxTime - this.opts.settleMs, this.release);
    if (this.join.held > 0) this.join.releaseBefore(this.maxTime, this.releaseAlone);
  }

  /** An error-log credential failure no access line described: a failed attempt of its own. */
  private readonly releaseAlone = (e: LogEvent): void => {
    this.stats.errorLogOnlyFailures++;
    this.dispatch(e, Math.max(Math.floor(e.time / this.opts.bucketMs), this.closing), false);
  };

  private readonly release = (e: LogEvent, answered: boolean): void => {
    if (answered) this.stats.answered401++;
    else this.stats.failed401++;
    this.onSettled?.(e, answered);
    this.join.access(e);
    // A 401 released after its own bucket closed (out-of-order input within the lateness) counts in the bucket closing now.
    const bucket = Math.max(Math.floor(e.time / this.opts.bucketMs), this.closing);
    this.dispatch(e, bucket, answered);
  };

  private dispatch(e: LogEvent, bucket: number, answered: boolean): void {
    let standing: number | undefined;
    for (const { rule, table } of this.runtimes) {
      if (!answered && rule.failureStatuses.has(e.status)) {
        if (!rule.accepts(e)) continue;
        standing ??= this.successes.standing(e, rule.baselineMs);
        table.addFailure(e, bucket, standing);
      } else {
        // The key lookup comes first: on failure-only tables most requests have no key and stop here.
        const st = table.requestState(e);
        if (st !== undefined && rule.accepts(e)) table.addRequest(st, e, bucket, isSuccess(e.status), answered);
      }
    }
  }

  private get idle(): boolean {
    return this.settler.held === 0 && this.join.held === 0 && this.evidenceHead === this.pendingEvidence.length && this.runtimes.every((r) => r.table.live.size === 0);
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
      metrics = computeMetrics(figures, rule);
      const sums = metrics;
      // While the baseline holds less history than the rule's warm-up, its conditions cannot be
      // judged: the others are, and a key meeting them is reported as held back, not alerted.
      const warm = !rule.usesBaseline || figures.baselineSpanMs >= rule.warmupMs;
      const judged = warm ? rule.sumConditions : rule.sumConditions.filter((c) => !isBaselineMetric(c.metric));
      matches = judged.every((c) => holds(c, sums[c.metric]));
      // Evidence needs the full figures too: when the alert starts or reaches a new peak.
      if (matches && (rule.needsDistinct || alert === null || figures.count > alert.peak.count)) {
        figures = table.figures(st, k, true);
        metrics = computeMetrics(figures, rule);
        const all = metrics;
        matches = rule.conditions.every((c) => (warm || !isBaselineMetric(c.metric)) && holds(c, all[c.metric]));
        if (!warm && rule.conditions.every((c) => isBaselineMetric(c.metric) || holds(c, all[c.metric]))) this.heldBack(rule, st, figures);
      }
    }
    if (matches && figures && metrics) {
      if (alert === null) {
        st.alert = {
          state: 'pending', since: figures.firstFail, firedAt: 0, notifiedAt: 0, lastTrue: now, lastCountedBucket: k, lastFail: figures.lastFail,
          count: figures.count, peak: figures, peakMetrics: metrics, firedMetrics: metrics, approximate: figures.approximate,
          samples: table.samplesIn(st, k - table.windowBuckets + 1, k, 5).filter((s) => s.time >= figures.firstFail).map(sampleOf),
          successesBefore: st.lastSuccess < figures.firstFail ? st.successes : 0,
          lastSuccessBefore: st.lastSuccess < figures.firstFail ? st.lastSuccess : -Infinity,
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
        a.firedAt = a.notifiedAt = now;
        this.onTransition?.({ status: 'firing', incident: this.incidentOf(rule, st, a, true) });
      } else this.repeatIfDue(rule, st, a, now);
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
    } else this.repeatIfDue(rule, st, alert, now);
  }

  private repeatIfDue(rule: CompiledRule, st: KeyState, a: AlertState, now: number): void {
    if (a.state !== 'firing' || this.onTransition === undefined || now - a.notifiedAt < rule.repeatMs) return;
    a.notifiedAt = now;
    this.onTransition({ status: 'firing', incident: this.incidentOf(rule, st, a, true), repeat: true });
  }

  private heldBack(rule: CompiledRule, st: KeyState, f: WindowFigures): void {
    const held = this.stats.warmup.heldBack;
    const fingerprint = `${rule.id}|${st.key}`;
    const same = held.find((h, i) => this.heldBackKeys[i] === fingerprint);
    if (same) {
      same.end = new Date(f.lastFail).toISOString();
      same.count = Math.max(same.count, f.count);
    } else if (held.length < MAX_HELD_BACK) {
      this.heldBackKeys.push(fingerprint);
      held.push({ rule: rule.id, group: { ...st.group }, start: new Date(f.firstFail).toISOString(), end: new Date(f.lastFail).toISOString(), count: f.count });
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
      for (const s of table.samplesIn(st, k, k, 5)) {
        if (alert.samples.length >= 5) break;
        if (s.time < alert.since || s.time > alert.lastFail) continue;
        const sample = sampleOf(s);
        if (!alert.samples.some((x) => x.text === sample.text)) alert.samples.push(sample);
      }
    }
  }

  /**
   * The key's history as it happened: "succeeded until 08:44 UTC (165 times since 06:00 UTC), failing
   * since 08:45 UTC" is the strongest evidence that a credential changed under a working client;
   * "never succeeded" is said only of history this engine saw.
   */
  private successHistory(a: AlertState): string {
    const from = this.stats.warmup.historyFrom === null ? a.since : Date.parse(this.stats.warmup.historyFrom);
    const failing = `failing since ${clock(a.since, a.since)}`;
    if (a.successesBefore === 0) return `no success since ${from < a.since ? `the log began at ${clock(from, a.since)}` : 'the first line read'}; ${failing}`;
    const times = a.successesBefore === 1 ? 'once' : `${a.successesBefore.toLocaleString('en-US')} times`;
    return `succeeded until ${clock(a.lastSuccessBefore, a.since)} (${times} since ${clock(from, a.since)}), ${failing}`;
  }

  /** The rule's checks whose peer condition holds for the incident's address (the group's, else the busiest). */
  private checksFor(rule: CompiledRule, st: KeyState, a: AlertState): string[] {
    const address = st.group.ip ?? st.group.subnet ?? a.peak.top.ip[0]?.key;
    const local = address !== undefined && isLocalAddress(address);
    return rule.checks.filter((c) => c.if === undefined || (c.if === 'private_address') === local).map((c) => c.text);
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
      duration: humanDuration(a.lastFail - a.since),
      window_count: a.peak.count,
      success_history: this.successHistory(a),
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
      top_ips: topList(a.peak.top.ip, a.peakMetrics.distinct_ips),
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
      checks: this.checksFor(rule, st, a).map((c) => renderTemplate(c, values)),
      samples: a.samples.filter((x) => x.time >= a.since && x.time <= a.lastFail).slice(0, 5).map((x) => x.text),
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
    this.join.releaseBefore(Infinity, this.releaseAlone);
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
