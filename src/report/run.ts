/** Runs a report over inputs: ingest → parse → (report model, aggregate → rules) → one report. */
import type { Readable } from 'node:stream';
import { readInput, type SourceStats } from '../ingest/read';
import { firstEventTime } from '../ingest/peek';
import { ReportBuilder, DEFAULT_REPORT_OPTIONS, type ReportModel, type ReportOptions } from './model';
import { Engine, DEFAULT_ENGINE_OPTIONS, type EngineOptions } from '../rules/engine';
import { applyInhibition } from '../rules/inhibit';
import { SEVERITY_RANK } from '../rules/compile';
import type { RuleSet } from '../rules/load';

export interface RunReportOptions {
  format: string;
  rules: RuleSet;
  since?: number;
  until?: number;
  maxLineBytes?: number;
  stdin?: Readable;
  report?: Partial<ReportOptions>;
  engine?: Partial<EngineOptions>;
  onFormat?(path: string, format: string, detected: boolean): void;
}

/**
 * Event-time windows need traffic in time order, so inputs are read oldest first (by their first
 * event: a rotated `access.log.1` before `access.log` whatever order they were named in); the
 * report still lists them in the order given.
 */
async function timeOrder(files: string[], format: string): Promise<string[]> {
  if (files.length < 2) return files;
  const firsts = await Promise.all(files.map(async (f) => ({ f, t: await firstEventTime(f, format).catch(() => null) })));
  return firsts
    .map((x, i) => ({ ...x, i }))
    .sort((a, b) => (a.t ?? Infinity) - (b.t ?? Infinity) || a.i - b.i)
    .map((x) => x.f);
}

export async function runReport(files: string[], opts: RunReportOptions): Promise<ReportModel> {
  const builder = new ReportBuilder({ ...DEFAULT_REPORT_OPTIONS, ...opts.report });
  const engine = new Engine(opts.rules.rules, { ...DEFAULT_ENGINE_OPTIONS, ...opts.engine });
  const since = opts.since ?? -Infinity;
  const until = opts.until ?? Infinity;
  const stats = new Map<string, SourceStats>();
  for (const file of await timeOrder(files, opts.format)) {
    stats.set(
      file,
      await readInput(file, { format: opts.format, maxLineBytes: opts.maxLineBytes, stdin: opts.stdin }, {
        event: (e) => {
          if (e.time < since || e.time >= until) return;
          builder.add(e);
          engine.add(e);
        },
        malformed: (m) => builder.addMalformed(m),
        format: opts.onFormat,
      }),
    );
  }
  const found = engine.finish();
  const { kept, inhibited } = applyInhibition(found, opts.rules.inhibit);
  kept.sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || a.start.localeCompare(b.start) || a.fingerprint.localeCompare(b.fingerprint));
  const report = builder.finish(files.map((f) => stats.get(f) as SourceStats));
  report.incidents = kept;
  report.inhibited = inhibited.map((x) => ({ rule: x.incident.rule, group: x.incident.group, start: x.incident.start, end: x.incident.end, by: x.by, reason: x.reason ?? null }));
  report.analysis = { ...engine.stats, rules: opts.rules.rules.map((r) => r.id), approximate: kept.some((i) => i.approximate) };
  return report;
}
