/** Runs a report over inputs: ingest → parse → report model. */
import type { Readable } from 'node:stream';
import { readInput, type SourceStats } from '../ingest/read';
import { ReportBuilder, DEFAULT_REPORT_OPTIONS, type ReportModel, type ReportOptions } from './model';

export interface RunReportOptions {
  format: string;
  maxLineBytes?: number;
  stdin?: Readable;
  report?: Partial<ReportOptions>;
  onFormat?(path: string, format: string, detected: boolean): void;
}

export async function runReport(files: string[], opts: RunReportOptions): Promise<ReportModel> {
  const builder = new ReportBuilder({ ...DEFAULT_REPORT_OPTIONS, ...opts.report });
  const sources: SourceStats[] = [];
  for (const file of files) {
    sources.push(
      await readInput(file, { format: opts.format, maxLineBytes: opts.maxLineBytes, stdin: opts.stdin }, {
        event: (e) => builder.add(e),
        malformed: (m) => builder.addMalformed(m),
        format: opts.onFormat,
      }),
    );
  }
  return builder.finish(sources);
}
