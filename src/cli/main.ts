#!/usr/bin/env node
/** The authwatch command line. Options are validated with zod; user mistakes exit 2 with one line. */
import { Command, CommanderError, Option } from 'commander';
import { promises as fs } from 'node:fs';
import { z } from 'zod';
import { FailureError, UsageError } from '../errors';
import { expandInputs } from '../ingest/expand';
import { assertSomethingRead, readInput, type SourceStats } from '../ingest/read';
import { FormatSpecSchema, NAMED_FORMATS } from '../decode/formats';
import { sourceOf } from '../parse/event';
import { runReport } from '../report/run';
import { renderSummary, renderText } from '../report/text';
import { renderHtml } from '../report/html';
import { renderMarkdown } from '../report/markdown';
import { ProgressMeter } from './progress';
import { linesForTerminal, printableJson } from '../report/sanitize';
import { plural } from '../present/numbers';
import path from 'node:path';
import v8 from 'node:v8';
import { loadRules, RuleLoadError } from '../rules/load';
import { ruleFileJsonSchema } from '../rules/schema';
import { TimeOptionSchema, resolveTime } from './time-option';
import { DEFAULT_ENGINE_OPTIONS } from '../rules/engine';
import { loadConfig, TimeZoneSchema } from '../config/schema';

/** The rule pack shipped with authwatch (dist/cli → package root → rules/). */
export const BUNDLED_RULES = path.resolve(__dirname, '..', '..', 'rules');

const positiveInt = z.coerce.number().int().positive();

const WatchOptionsSchema = z.object({ config: z.string().min(1), fromStart: z.boolean().optional(), metrics: z.string().optional() });

const ParseOptionsSchema = z.object({ format: FormatSpecSchema, maxLineBytes: positiveInt });
const ReportOptionsSchema = z.object({
  format: FormatSpecSchema,
  output: z.enum(['text', 'json', 'html', 'md']),
  tz: TimeZoneSchema,
  out: z.string().min(1).optional(),
  top: positiveInt.max(1000),
  maxLineBytes: positiveInt,
  rules: z.string().min(1),
  keyCapacity: positiveInt.min(100),
  since: TimeOptionSchema.optional(),
  until: TimeOptionSchema.optional(),
  summary: z.boolean().optional(),
});

function validated<T>(schema: z.ZodType<T>, raw: unknown): T {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const flag = issue?.path.length ? '--' + String(issue.path[0]).replace(/[A-Z]/g, (m) => '-' + m.toLowerCase()) : 'options';
  throw new UsageError(`${flag}: ${issue?.message ?? 'invalid value'}`);
}

function formatOption(): Option {
  return new Option('-f, --format <format>', `log format: auto, ${NAMED_FORMATS.join(', ')}, 'nginx:<log_format>' or 'apache:<LogFormat>'`).default('auto');
}

function maxLineOption(): Option {
  return new Option('--max-line-bytes <n>', 'longer lines are counted as malformed and skipped').default('65536');
}

/** Messages may quote log bytes (a first line that no format reads): their controls are shown as escapes. */
function say(msg: string): void {
  process.stderr.write(`authwatch: ${linesForTerminal(msg)}\n`);
}

/** One line per input that is skipped or cut short; the reason already names the file. */
function sayProblem(_path: string, status: 'skipped' | 'partial', reason: string): void {
  say(`${status === 'skipped' ? 'skipped' : 'read in part'}: ${reason}`);
}

async function writeOutput(text: string, out: string | undefined): Promise<void> {
  if (out === undefined) {
    await new Promise<void>((resolve) => (process.stdout.write(text) ? resolve() : process.stdout.once('drain', resolve)));
    return;
  }
  await fs.writeFile(out, text);
}

export function buildProgram(): Command {
  const program = new Command('authwatch')
    .description('Find bursts of HTTP 401 in Nginx/Apache access logs and tell attacks from misconfigurations')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();

  program
    .command('parse')
    .description('print one JSON object per parsed event (malformed lines go to stderr with file:line); for checking a format')
    .argument('<files...>', "log files, directories, quoted globs, or '-' for stdin (gzip is detected)")
    .addOption(formatOption())
    .addOption(maxLineOption())
    .action(async (inputs: string[], raw: unknown) => {
      const opts = validated(ParseOptionsSchema, raw);
      const files = await expandInputs(inputs);
      let buffered = '';
      const flush = async () => {
        if (buffered === '') return;
        const chunk = buffered;
        buffered = '';
        await writeOutput(chunk, undefined);
      };
      const read: SourceStats[] = [];
      for (const file of files) {
        const pending: Promise<void>[] = [];
        const stats = await readInput(file, { format: opts.format, maxLineBytes: opts.maxLineBytes }, {
          event: (e) => {
            const { file: f, line, raw: _raw, ...rest } = e;
            buffered += printableJson({ ...rest, time: new Date(e.time).toISOString(), source: sourceOf({ file: f, line }) }) + '\n';
            if (buffered.length > 1 << 16) pending.push(flush());
          },
          authFailure: (a) => {
            const { file: f, line, raw: _raw, ...rest } = a;
            buffered += printableJson({ ...rest, time: new Date(a.time).toISOString(), source: sourceOf({ file: f, line }) }) + '\n';
          },
          malformed: (m) => say(`${m.file}:${m.line}: malformed: ${m.reason}`),
          format: (path, format, detected) => detected && say(`${path}: detected format ${format}`),
          problem: sayProblem,
        });
        read.push(stats);
        await Promise.all(pending);
      }
      await flush();
      assertSomethingRead(read);
    });

  program
    .command('report')
    .description('report 401s over log files: volume, status mix, top IPs/paths/clients/users, timeline')
    .argument('<files...>', "log files, directories, quoted globs, or '-' for stdin (gzip is detected)")
    .addOption(formatOption())
    .addOption(new Option('--output <kind>', 'text, json, html (self-contained, with charts) or md (Markdown)').choices(['text', 'json', 'html', 'md']).default('text'))
    .addOption(new Option('--tz <zone>', 'time zone for displayed times (IANA name, e.g. Europe/Paris)').default('UTC'))
    .addOption(new Option('-o, --out <file>', 'write the report to a file instead of stdout'))
    .addOption(new Option('--top <n>', 'entries per top list').default('10'))
    .addOption(maxLineOption())
    .addOption(new Option('--rules <dir>', 'rule files directory').default(BUNDLED_RULES, 'the bundled rules/'))
    .addOption(new Option('--key-capacity <n>', 'keys kept per rule table; past it the lightest are dropped and figures marked approximate').default('20000'))
    .addOption(new Option('--since <time>', 'ignore events before this time: ISO 8601 or relative (-2h)'))
    .addOption(new Option('--until <time>', 'ignore events at or after this time: ISO 8601 or relative (-30m)'))
    .addOption(new Option('--summary', 'text output: only the verdict and one line per incident'))
    .action(async (inputs: string[], raw: unknown) => {
      const opts = validated(ReportOptionsSchema, raw);
      if (opts.summary && opts.output !== 'text') throw new UsageError(`--summary: only with --output text (got --output ${opts.output})`);
      const files = await expandInputs(inputs);
      const rules = await loadRules(opts.rules);
      if (opts.output === 'html' && opts.out === undefined && process.stdout.isTTY) throw new UsageError('--output html: give -o FILE (a web page is not for the terminal)');
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
          sayProblem(path, status, reason);
        },
        onProgress: (bytes, lines) => progress.add(bytes, lines),
      });
      progress.clear();
      let text: string;
      if (opts.output === 'json') text = printableJson(report, 2) + '\n';
      else if (opts.output === 'html') text = renderHtml(report, { timeZone: opts.tz });
      else if (opts.output === 'md') text = renderMarkdown(report, { timeZone: opts.tz });
      else {
        const terminal = opts.out === undefined && process.stdout.isTTY === true;
        const textOptions = { color: terminal && !('NO_COLOR' in process.env), width: terminal ? process.stdout.columns : undefined, timeZone: opts.tz };
        text = (opts.summary ? renderSummary(report, textOptions) : renderText(report, textOptions)) + '\n';
      }
      await writeOutput(text, opts.out);
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
    });

  program
    .command('watch')
    .description('follow logs as a daemon (rotation, restarts, checkpoints) and send alerts')
    .requiredOption('-c, --config <file>', 'authwatch.yaml')
    .option('--from-start', 'with no checkpoint, read existing files from their beginning (default: from their end)')
    .option('--metrics <host:port>', 'serve /healthz and Prometheus /metrics, e.g. 127.0.0.1:9464 (port 0: any free port, logged)')
    .action(async (raw: unknown) => {
      const opts = validated(WatchOptionsSchema, raw);
      const m = opts.metrics === undefined ? undefined : /^(.*):(\d+)$/.exec(opts.metrics);
      if (opts.metrics !== undefined && !m) throw new UsageError(`--metrics: expected host:port, e.g. 127.0.0.1:9464`);
      const { WatchDaemon } = await import('../daemon/watch');
      await new WatchDaemon({
        configFile: opts.config,
        bundledRules: BUNDLED_RULES,
        fromStart: opts.fromStart === true,
        metrics: m ? { host: (m[1] as string).replace(/^\[|\]$/g, ''), port: Number(m[2]) } : undefined,
      }).start();
    });

  const email = program.command('email').description('email alerts');
  email
    .command('test')
    .description('send one test message with the email section of a config, and say how the SMTP server answered')
    .requiredOption('-c, --config <file>', 'authwatch.yaml')
    .action(async (raw: unknown) => {
      const opts = validated(z.object({ config: z.string().min(1) }), raw);
      const config = await loadConfig(opts.config);
      if (!config.email) throw new UsageError(`${opts.config}: no email: section to test`);
      const { sendTestEmail } = await import('../notify/test-send');
      const result = await sendTestEmail(config.email);
      if (!result.ok) throw new FailureError(result.line);
      process.stdout.write(result.line + '\n');
    });

  const rules = program.command('rules').description('check or describe rule files');
  rules
    .command('check')
    .description('validate rule files; exits 2 and lists file:line, rule id and field of every problem')
    .argument('[dir]', 'rule files directory', BUNDLED_RULES)
    .action(async (dir: string) => {
      const set = await loadRules(dir);
      process.stdout.write(`${set.rules.length} rules OK in ${set.files.length} files (${set.rules.map((r) => r.id).join(', ')})\n`);
    });
  rules
    .command('schema')
    .description('print the JSON Schema of rule files (for editor completion)')
    .action(async () => {
      await writeOutput(JSON.stringify(ruleFileJsonSchema(), null, 2) + '\n', undefined);
    });

  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof RuleLoadError) {
      process.stderr.write(e.message + '\n');
      return e.exitCode;
    }
    if (e instanceof UsageError || e instanceof FailureError) {
      say(e.message);
      return e.exitCode;
    }
    say(`internal error: ${(e as Error).stack ?? String(e)}`);
    return 1;
  }
}

/**
 * V8 lets the old generation grow to up to 4x what survived the last full collection before the
 * next one. authwatch's live set is small (tens of MB: bounded key tables), but under a flood much
 * of it is short-lived state that outlives a scavenge (a first failure remembered for a window, a
 * top-list key until its trim): peak RSS was mostly garbage waiting for a mark-compact. Growing by
 * 2x keeps a million-address flood at ~180 MB instead of ~255 MB; the extra mark-compacts of a small
 * heap cost too little to measure. Set here, for the CLI process only, not for code that imports it.
 */
const OLD_GENERATION_GROWTH_PERCENT = 100;

if (require.main === module) {
  v8.setFlagsFromString(`--heap-growing-percent=${OLD_GENERATION_GROWTH_PERCENT}`);
  main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
