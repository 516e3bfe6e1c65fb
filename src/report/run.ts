/** Runs a report over inputs: ingest → parse → (report model, aggregate → rules) → one report. */
import type { Readable } from 'node:stream';
import { assertSomethingRead, readInput, type ReadHandlers, type SourceStats } from '../ingest/read';
import { peekInput, type Peek } from '../ingest/peek';
import type { AuthFailureEvent } from '../parse/errorlog';
import { ReportBuilder, DEFAULT_REPORT_OPTIONS, type ReportModel, type ReportOptions } from './model';
import { Engine, DEFAULT_ENGINE_OPTIONS, type EngineOptions } from '../rules/engine';
import { applyInhibition } from '../rules/inhibit';
import { incidentOrder } from '../present/incident';
import type { RuleSet } from '../rules/load';
import { DAY_MS, TimeOutlierFilter } from '../pipeline/time-outliers';
import { sourceOf, type LogEvent } from '../parse/event';

/** Events looked at after each one to judge whether its time is an outlier (see TimeOutlierFilter). */
const OUTLIER_LOOKAHEAD = 64;
/** Time outliers quoted in the report (all are counted). */
const OUTLIER_EXAMPLES = 5;

export interface RunReportOptions {
  format: string;
  rules: RuleSet;
  since?: number;
  until?: number;
  /** Offset (minutes east of UTC) of error-log times; default: the access logs' own offset, else UTC. */
  errorLogUtcOffsetMinutes?: number;
  maxLineBytes?: number;
  stdin?: Readable;
  report?: Partial<ReportOptions>;
  engine?: Partial<EngineOptions>;
  onFormat?(path: string, format: string, detected: boolean): void;
  /** An input skipped (unreadable, unknown format) or read only in part; the report goes on without it. */
  onProblem?: ReadHandlers['problem'];
  /** File bytes and lines read since the last call (for a progress meter). */
  onProgress?(bytes: number, lines: number): void;
}

/** Error-log auth failures kept in memory while the access logs are read (a bound, reported when hit). */
export const MAX_BUFFERED_AUTH_FAILURES = 2_000_000;

/**
 * Event-time windows need traffic in time order. Error logs are read first and their auth failures
 * merged into the access stream by time; access logs are read oldest first (by their first event:
 * a rotated `access.log.1` before `access.log`, whatever order they were named in). The report
 * still lists sources in the order given.
 */
export async function runReport(files: string[], opts: RunReportOptions): Promise<ReportModel> {
  const builder = new ReportBuilder({ ...DEFAULT_REPORT_OPTIONS, ...opts.report });
  const engineOptions = { ...DEFAULT_ENGINE_OPTIONS, ...opts.engine };
  const engine = new Engine(opts.rules.rules, engineOptions, undefined, (e, answered) => builder.settled(e, answered));
  // A line dated far from its neighbours is set aside before the report model and the rules see it.
  const outliers = { count: 0, examples: [] as Array<{ source: string; time: string }> };
  const timeFilter = <T extends { time: number; file: string; line: number }>(pass: (e: T) => void) =>
    new TimeOutlierFilter<T>({ lookahead: OUTLIER_LOOKAHEAD, aheadMs: engineOptions.allowedLatenessMs, behindMs: DAY_MS }, pass, (e) => {
      outliers.count++;
      if (outliers.examples.length < OUTLIER_EXAMPLES) outliers.examples.push({ source: sourceOf(e), time: Number.isFinite(e.time) && Math.abs(e.time) <= 8.64e15 ? new Date(e.time).toISOString() : String(e.time) });
    });
  const since = opts.since ?? -Infinity;
  const until = opts.until ?? Infinity;
  const inRange = (t: number) => t >= since && t < until;
  const stats = new Map<string, SourceStats>();
  const peeks = await Promise.all(files.map((f) => peekInput(f, opts.format).catch((): Peek => ({ kind: 'unknown', firstTime: null, utcOffsetMinutes: null }))));
  // Error logs have no zone: read them in the access logs' offset unless told otherwise.
  const offset = opts.errorLogUtcOffsetMinutes ?? peeks.find((p) => p.utcOffsetMinutes !== null)?.utcOffsetMinutes ?? 0;
  const read = (file: string, handlers: Omit<ReadHandlers, 'malformed' | 'format' | 'problem'>) =>
    readInput(file, { format: opts.format, maxLineBytes: opts.maxLineBytes, stdin: opts.stdin, errorLogUtcOffsetMinutes: offset, onProgress: opts.onProgress }, {
      ...handlers,
      malformed: (m) => builder.addMalformed(m),
      format: opts.onFormat,
      problem: opts.onProblem,
    });

  const failures: AuthFailureEvent[] = [];
  let dropped = 0;
  const buffer = (a: AuthFailureEvent) => {
    if (failures.length < MAX_BUFFERED_AUTH_FAILURES) failures.push(a);
    else dropped++;
  };
  const order = files.map((f, i) => ({ f, i, p: peeks[i] as Peek }));
  for (const { f } of order.filter((x) => x.p.kind === 'error')) {
    const filter = timeFilter(buffer);
    stats.set(
      f,
      await read(f, {
        event: () => undefined,
        authFailure: (a) => {
          if (inRange(a.time)) filter.push(a);
        },
      }),
    );
    filter.end();
  }
  failures.sort((a, b) => a.time - b.time);
  let next = 0;
  const feedUntil = (t: number) => {
    while (next < failures.length && (failures[next] as AuthFailureEvent).time <= t) {
      const a = failures[next++] as AuthFailureEvent;
      builder.addAuthFailure(a);
      engine.addAuthFailure(a);
    }
  };
  const accessInputs = order.filter((x) => x.p.kind !== 'error').sort((a, b) => (a.p.firstTime ?? Infinity) - (b.p.firstTime ?? Infinity) || a.i - b.i);
  // One filter over all access inputs: the engine sees them as one stream.
  const accessFilter = timeFilter<LogEvent>((e) => {
    feedUntil(e.time);
    builder.add(e);
    engine.add(e);
  });
  // stdin can turn out to be an error log: its failures go straight in.
  const directFailures = timeFilter<AuthFailureEvent>((a) => {
    builder.addAuthFailure(a);
    engine.addAuthFailure(a);
  });
  for (const { f } of accessInputs) {
    stats.set(
      f,
      await read(f, {
        event: (e) => {
          if (inRange(e.time)) accessFilter.push(e);
        },
        authFailure: (a) => {
          if (inRange(a.time)) directFailures.push(a);
        },
      }),
    );
  }
  accessFilter.end();
  directFailures.end();
  assertSomethingRead([...stats.values()]);
  feedUntil(Infinity);
  const found = engine.finish();
  const { kept, inhibited } = applyInhibition(found, opts.rules.inhibit);
  kept.sort(incidentOrder);
  const report = builder.finish(files.map((f) => stats.get(f) as SourceStats));
  report.incidents = kept;
  report.inhibited = inhibited.map((x) => ({ rule: x.incident.rule, group: x.incident.group, start: x.incident.start, end: x.incident.end, by: x.by, reason: x.reason ?? null }));
  report.analysis = { ...engine.stats, timeOutliers: outliers, authFailuresDropped: dropped, errorLogUtcOffsetMinutes: offset, rules: opts.rules.rules.map((r) => r.id), approximate: kept.some((i) => i.approximate) };
  return report;
}
