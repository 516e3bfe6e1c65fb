/** `authwatch report`: reads the inputs, runs the rules, renders the report and says how it went in the exit code. */
import { promises as fs } from 'node:fs';
import { z } from 'zod';
import { EXIT, UsageError, type ExitCode } from '../../errors';
import { expandInputs } from '../../ingest/expand';
import { FormatSpecSchema } from '../../decode/formats';
import { TimeZoneSchema } from '../../config/schema';
import { loadRules } from '../../rules/load';
import { DEFAULT_ENGINE_OPTIONS } from '../../rules/engine';
import { SEVERITY_RANK } from '../../rules/compile';
import { SEVERITIES } from '../../rules/severity';
import { runReport } from '../../report/run';
import type { ReportModel } from '../../report/model';
import { printableJson } from '../../report/sanitize';
import { plural } from '../../present/numbers';
import { ProgressMeter } from '../progress';
import { TimeOptionSchema, resolveTime } from '../time-option';
import { positiveInt, validated } from '../options';
import { OUTPUT_KINDS } from '../program';
import { OutFile } from '../out-file';
import { say, sayInputProblem, stdout } from '../output';

const ReportOptionsSchema = z.object({
  format: FormatSpecSchema,
  output: z.enum(OUTPUT_KINDS),
  tz: TimeZoneSchema,
  out: z.string().min(1).optional(),
  failOn: z.enum(SEVERITIES).optional(),
  top: positiveInt.max(1000),
  maxLineBytes: positiveInt,
  rules: z.string().min(1),
  keyCapacity: positiveInt.min(100),
  since: TimeOptionSchema.optional(),
  until: TimeOptionSchema.optional(),
  summary: z.boolean().optional(),
});
type ReportOptions = z.infer<typeof ReportOptionsSchema>;

/** Renderers are loaded for the output asked for only (the HTML one inlines a chart library). */
async function render(report: ReportModel, opts: ReportOptions): Promise<string> {
  switch (opts.output) {
    case 'json':
      return printableJson(report, 2) + '\n';
    case 'html':
      return (await import('../../report/html')).renderHtml(report, { timeZone: opts.tz });
    case 'md':
      return (await import('../../report/markdown')).renderMarkdown(report, { timeZone: opts.tz });
    case 'text': {
      const { renderSummary, renderText } = await import('../../report/text');
      const terminal = opts.out === undefined && process.stdout.isTTY === true;
      const textOptions = { color: terminal && !('NO_COLOR' in process.env), width: terminal ? process.stdout.columns : undefined, timeZone: opts.tz };
      return (opts.summary ? renderSummary(report, textOptions) : renderText(report, textOptions)) + '\n';
    }
  }
}

/** 3 when lines were read and none parsed, 1 when an incident is at or above --fail-on, else 0. */
export function reportExitCode(report: ReportModel, failOn: ReportOptions['failOn']): ExitCode {
  if (report.lines.parsed === 0 && report.lines.malformed > 0) return EXIT.nothingParsed;
  if (failOn !== undefined && report.incidents.some((i) => SEVERITY_RANK[i.severity] <= SEVERITY_RANK[failOn])) return EXIT.failed;
  return EXIT.ok;
}

export async function reportCommand(inputs: string[], raw: unknown): Promise<ExitCode> {
  const opts = validated(ReportOptionsSchema, raw);
  if (opts.summary && opts.output !== 'text') throw new UsageError(`--summary: only with --output text (got --output ${opts.output})`);
  if (opts.output === 'html' && opts.out === undefined && process.stdout.isTTY) throw new UsageError('--output html: give -o FILE (a web page is not for the terminal)');
  // Before any input is read: an unwritable -o is said now, not after minutes of reading.
  const outFile = opts.out === undefined ? undefined : await OutFile.open(opts.out);
  try {
    const files = await expandInputs(inputs);
    const rules = await loadRules(opts.rules);
    const sizes = await Promise.all(files.map((f) => (f === '-' ? null : fs.stat(f).then((st) => st.size, () => null))));
    const progress = new ProgressMeter(sizes.includes(null) ? null : sizes.reduce<number>((a, b) => a + (b ?? 0), 0));
    const report = await runReport(files, {
      format: opts.format,
      rules,
      engine: { capacity: opts.keyCapacity },
      since: opts.since === undefined ? undefined : resolveTime(opts.since),
      until: opts.until === undefined ? undefined : resolveTime(opts.until),
      maxLineBytes: opts.maxLineBytes,
      report: { topN: opts.top },
      onFormat: (path, format, detected) => {
        if (!detected) return;
        progress.clear();
        say(`${path}: detected format ${format}`);
      },
      onProblem: (path, status, reason) => {
        progress.clear();
        sayInputProblem(path, status, reason);
      },
      onProgress: (bytes, lines) => progress.add(bytes, lines),
    });
    progress.clear();
    const text = await render(report, opts);
    if (outFile) await outFile.commit(text);
    else await stdout().write(text);
    const late = report.analysis?.late ?? 0;
    if (late > 0) {
      const lateness = DEFAULT_ENGINE_OPTIONS.allowedLatenessMs / 1000;
      say(`${plural(late, 'event')} arrived more than ${lateness} s behind newer ones and ${late === 1 ? 'was' : 'were'} counted as late, not analysed (inputs overlapping in time?)`);
    }
    const outliers = report.analysis?.timeOutliers;
    if (outliers && outliers.count > 0) {
      const first = outliers.examples[0];
      say(`${plural(outliers.count, 'event')} dated far from the events around ${outliers.count === 1 ? 'it was' : 'them were'} set aside, not analysed${first ? ` (first: ${first.source}, dated ${first.time})` : ''}`);
    }
    const code = reportExitCode(report, opts.failOn);
    if (code === EXIT.nothingParsed) say(`nothing parsed: all ${plural(report.lines.malformed, 'line')} malformed (check --format)`);
    return code;
  } catch (e) {
    await outFile?.discard();
    throw e;
  }
}
