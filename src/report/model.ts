/**
 * The one report object every rendering (text, JSON, later Markdown and HTML) is made from.
 * Its JSON shape is a contract: keys may be added, never removed or renamed.
 */
import type { LogEvent } from '../parse/event';
import type { MalformedLine, SourceStats } from '../ingest/read';
import type { Incident } from '../rules/incident';
import type { EngineStats } from '../rules/engine';
import type { AuthFailureEvent } from '../parse/errorlog';

export interface TopEntry {
  key: string;
  /** 401 responses for this key. */
  count: number;
  /** Of `count`, the 401s answered by a success of the same client on the same path within seconds (challenges, token refreshes): not failures. */
  answered: number;
  /** All requests of this key. */
  total: number;
}

export interface TimelinePoint {
  t: string;
  requests: number;
  unauthorized: number;
}

export interface InhibitedSummary {
  rule: string;
  group: Record<string, string>;
  start: string;
  end: string;
  /** Fingerprint of the incident that explains it. */
  by: string;
  reason: string | null;
}

export interface ReportModel {
  version: 1;
  /** Open ones first, then by severity, failures and start (`incidentOrder`). */
  incidents: Incident[];
  /** Incidents silenced because a firing source alert explains them (inhibition). */
  inhibited: InhibitedSummary[];
  analysis:
    | (EngineStats & {
        rules: string[];
        approximate: boolean;
        authFailuresDropped: number;
        errorLogUtcOffsetMinutes: number;
        /** Events dated far from the events around them, set aside before the model and the rules (see TimeOutlierFilter). */
        timeOutliers: { count: number; examples: Array<{ source: string; time: string }> };
      })
    | null;
  /** Error logs read alongside: authentication failures by the reason the server gave. */
  errorLog: { authFailures: number; byReason: Record<string, number>; passwordFiles: string[] };
  generatedAt: string;
  /** `lines` counts every physical line; `skipped` are blank lines and '#' comments. */
  /** `status`: ok, skipped (with `reason`: unreadable or not a recognised log) or partial (read up to a fault). */
  sources: Array<{ path: string; status: SourceStats['status']; reason: string | null; format: string; envelope: string | null; lines: number; parsed: number; errorLines: number; malformed: number; skipped: number }>;
  lines: {
    total: number; parsed: number; malformed: number; skipped: number;
    /** At most a few per reason: twenty lines failing the same way say no more than three. */
    examples: Array<{ source: string; reason: string; text: string }>;
    /** Malformed lines by reason, most frequent first (reasons past the first 50 distinct ones are counted under "other reasons"). */
    reasons: Array<{ reason: string; count: number }>;
  };
  range: { from: string | null; to: string | null };
  /** Requests analysed: parsed, and inside --since/--until when given (the 401 ratio's denominator). */
  requests: number;
  status: Record<string, number>;
  unauthorized: {
    count: number;
    ratio: number;
    top: { ip: TopEntry[]; path: TopEntry[]; client: TopEntry[]; user: TopEntry[] };
    /** True when a dimension had more keys than it keeps: a listed count may be low by up to the dropped keys' counts. */
    topApproximate: boolean;
    timelineStepSeconds: number;
    timeline: TimelinePoint[];
  };
}

export interface ReportOptions {
  topN: number;
  maxExamples: number;
  /** Aim for at most this many timeline points; the step grows in whole minutes/hours to fit. */
  maxTimelinePoints: number;
  /** Keys kept per top-list dimension; past it the lightest are dropped and the lists say so. */
  maxKeysPerDimension: number;
}

// 20,000 keys per dimension hold a top-10 by 401s with room to spare (a trim drops keys without 401s
// first, then the lightest): the same lists as 100,000 on the realistic bench day, while 1 M distinct
// addresses peak at ~250 MB RSS instead of ~325 MB (each kept key is an object the GC promotes).
export const DEFAULT_REPORT_OPTIONS: ReportOptions = { topN: 10, maxExamples: 20, maxTimelinePoints: 720, maxKeysPerDimension: 20_000 };

/** Malformed-line reasons are parser words, but a JSON log's can name attacker-chosen keys: their count is bounded. */
const MAX_MALFORMED_REASONS = 50;
const OTHER_REASONS = 'other reasons';
const EXAMPLES_PER_REASON = 3;

const TIMELINE_STEPS_S = [60, 300, 900, 3600, 3 * 3600, 6 * 3600, 86400, 7 * 86400];

interface KeyCounts {
  count: number;
  answered: number;
  total: number;
}

/** Dimensions of the top lists. */
type Dimension = 'ip' | 'path' | 'client' | 'user';

/** HTTP statuses are counted in an array; anything else (a custom JSON log's) in a map. */
const STATUS_ARRAY_SIZE = 600;

export class ReportBuilder {
  private readonly statusCounts = new Float64Array(STATUS_ARRAY_SIZE);
  private readonly otherStatus = new Map<number, number>();
  private readonly keys: Record<Dimension, Map<string, KeyCounts>> = { ip: new Map(), path: new Map(), client: new Map(), user: new Map() };
  private readonly perMinute = new Map<number, { requests: number; unauthorized: number }>();
  private readonly examples: MalformedLine[] = [];
  private malformedCount = 0;
  private readonly malformedReasons = new Map<string, number>();
  private parsed = 0;
  private unauthorized = 0;
  private from = Infinity;
  private to = -Infinity;
  private trimmed = false;
  /** Consecutive lines share their minute: a one-entry cache skips the map. */
  private lastMinute = NaN;
  private lastMinuteCounts: { requests: number; unauthorized: number } | undefined = undefined;

  constructor(private readonly options: ReportOptions = DEFAULT_REPORT_OPTIONS) {}

  add(e: LogEvent): void {
    this.parsed++;
    if (e.time < this.from) this.from = e.time;
    if (e.time > this.to) this.to = e.time;
    const status = e.status;
    if (status >= 0 && status < STATUS_ARRAY_SIZE && status === (status | 0)) this.statusCounts[status] = (this.statusCounts[status] as number) + 1;
    else this.otherStatus.set(status, (this.otherStatus.get(status) ?? 0) + 1);
    const is401 = status === 401;
    if (is401) this.unauthorized++;
    // Written out per dimension rather than looped over a table of getters: this runs for every line.
    this.count('ip', e.ip, is401);
    this.count('path', e.path || e.request || '-', is401);
    this.count('client', e.userAgent || '-', is401);
    this.count('user', e.remoteUser, is401);
    const minute = Math.floor(e.time / 60000);
    let m = minute === this.lastMinute ? this.lastMinuteCounts : this.perMinute.get(minute);
    if (m === undefined) {
      m = { requests: 0, unauthorized: 0 };
      this.perMinute.set(minute, m);
    }
    this.lastMinute = minute;
    this.lastMinuteCounts = m;
    m.requests++;
    if (is401) m.unauthorized++;
  }

  private count(dim: Dimension, key: string, is401: boolean): void {
    if (key === '') return;
    const map = this.keys[dim];
    const c = map.get(key);
    if (c) {
      c.total++;
      if (is401) c.count++;
    } else {
      map.set(key, { count: is401 ? 1 : 0, answered: 0, total: 1 });
      if (map.size > this.options.maxKeysPerDimension) this.trim(map);
    }
  }

  /** Keeps memory flat under a flood of unique keys: keys without 401s go first, then the lightest half. */
  private trim(map: Map<string, KeyCounts>): void {
    this.trimmed = true;
    const target = Math.floor(this.options.maxKeysPerDimension / 2);
    for (const [k, c] of map) if (c.count === 0 && map.size > target) map.delete(k);
    if (map.size <= target) return;
    const ranked = [...map].sort((a, b) => a[1].count - b[1].count || a[1].total - b[1].total);
    for (let i = 0; map.size > target; i++) map.delete((ranked[i] as [string, KeyCounts])[0]);
  }

  /**
   * A 401 settled as answered (the engine's settler decides, seconds after the 401): its keys' counts
   * say so. A key trimmed meanwhile is not brought back.
   */
  settled(e: LogEvent, answered: boolean): void {
    if (!answered) return;
    this.markAnswered('ip', e.ip);
    this.markAnswered('path', e.path || e.request || '-');
    this.markAnswered('client', e.userAgent || '-');
    this.markAnswered('user', e.remoteUser);
  }

  private markAnswered(dim: Dimension, key: string): void {
    const c = key === '' ? undefined : this.keys[dim].get(key);
    if (c !== undefined) c.answered++;
  }

  private readonly reasons = new Map<string, number>();
  private readonly passwordFiles = new Set<string>();
  private authFailures = 0;

  addAuthFailure(a: AuthFailureEvent): void {
    this.authFailures++;
    this.reasons.set(a.reason, (this.reasons.get(a.reason) ?? 0) + 1);
    if (a.reason === 'password_file_unreadable' && a.detail !== '' && this.passwordFiles.size < 20) this.passwordFiles.add(a.detail);
  }

  addMalformed(m: MalformedLine): void {
    this.malformedCount++;
    const known = this.malformedReasons.get(m.reason);
    const reason = known !== undefined || this.malformedReasons.size < MAX_MALFORMED_REASONS ? m.reason : OTHER_REASONS;
    const seen = this.malformedReasons.get(reason) ?? 0;
    this.malformedReasons.set(reason, seen + 1);
    if (this.examples.length < this.options.maxExamples && seen < EXAMPLES_PER_REASON) this.examples.push(m);
  }

  private top(dim: Dimension): TopEntry[] {
    const entries: TopEntry[] = [];
    for (const [key, c] of this.keys[dim]) if (c.count > 0) entries.push({ key, count: c.count, answered: c.answered, total: c.total });
    entries.sort((a, b) => b.count - a.count || b.total - a.total || (a.key < b.key ? -1 : 1));
    return entries.slice(0, this.options.topN);
  }

  private timeline(): { step: number; points: TimelinePoint[] } {
    if (this.parsed === 0) return { step: 60, points: [] };
    const spanMinutes = Math.floor(this.to / 60000) - Math.floor(this.from / 60000) + 1;
    // Past the largest step, whole weeks: the number of points stays bounded whatever the span.
    const week = TIMELINE_STEPS_S[TIMELINE_STEPS_S.length - 1] as number;
    const step = TIMELINE_STEPS_S.find((s) => (spanMinutes * 60) / s <= this.options.maxTimelinePoints) ?? week * Math.ceil((spanMinutes * 60) / this.options.maxTimelinePoints / week);
    const stepMs = step * 1000;
    const start = Math.floor(this.from / stepMs) * stepMs;
    const n = Math.floor((this.to - start) / stepMs) + 1;
    const points: TimelinePoint[] = [];
    for (let i = 0; i < n; i++) points.push({ t: new Date(start + i * stepMs).toISOString(), requests: 0, unauthorized: 0 });
    for (const [minute, c] of this.perMinute) {
      const p = points[Math.floor((minute * 60000 - start) / stepMs)] as TimelinePoint;
      p.requests += c.requests;
      p.unauthorized += c.unauthorized;
    }
    return { step, points };
  }

  finish(sources: SourceStats[]): ReportModel {
    const status: Record<string, number> = {};
    const counted = new Map(this.otherStatus);
    this.statusCounts.forEach((n, code) => {
      if (n > 0) counted.set(code, n);
    });
    for (const [code, n] of [...counted].sort((a, b) => a[0] - b[0])) status[String(code)] = n;
    const timeline = this.timeline();
    const total = sources.reduce((s, x) => s + x.lines, 0);
    const skipped = sources.reduce((s, x) => s + x.skipped, 0);
    return {
      version: 1,
      incidents: [],
      inhibited: [],
      analysis: null,
      errorLog: { authFailures: this.authFailures, byReason: Object.fromEntries([...this.reasons].sort((a, b) => b[1] - a[1])), passwordFiles: [...this.passwordFiles] },
      generatedAt: new Date().toISOString(),
      sources: sources.map((s) => ({ path: s.path, status: s.status, reason: s.reason, format: s.format, envelope: s.envelope, lines: s.lines, parsed: s.parsed, errorLines: s.errorLines, malformed: s.malformed, skipped: s.skipped })),
      lines: {
        total,
        parsed: sources.reduce((n, x) => n + x.parsed, 0),
        malformed: this.malformedCount,
        skipped,
        examples: this.examples.map((m) => ({ source: `${m.file}:${m.line}`, reason: m.detail === undefined ? m.reason : `${m.reason} ${m.detail}`, text: m.text })),
        reasons: [...this.malformedReasons].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count),
      },
      range: this.parsed === 0 ? { from: null, to: null } : { from: new Date(this.from).toISOString(), to: new Date(this.to).toISOString() },
      requests: this.parsed,
      status,
      unauthorized: {
        count: this.unauthorized,
        ratio: this.parsed === 0 ? 0 : this.unauthorized / this.parsed,
        top: { ip: this.top('ip'), path: this.top('path'), client: this.top('client'), user: this.top('user') },
        topApproximate: this.trimmed,
        timelineStepSeconds: timeline.step,
        timeline: timeline.points,
      },
    };
  }
}
