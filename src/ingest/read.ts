/** ingest → parse: reads every input in order and hands each LogEvent (or malformed line) on. */
import type { Readable } from 'node:stream';
import type { LogEvent } from '../parse/event';
import { isParseFailure } from '../parse/event';
import { DETECT_SAMPLE_LINES, detectFormat, isCommentOrBlank, resolveFormat, type ResolvedFormat } from '../parse/formats';
import { LineSplitter, DEFAULT_MAX_LINE_BYTES } from './lines';
import { openInput } from './open';
import { UsageError } from '../errors';
import { parseErrorLogLine, type AuthFailureEvent } from '../parse/errorlog';

/** `ok`: read to its end; `skipped`: not read (unreadable, or not a log authwatch recognises); `partial`: read up to a fault (corrupt gzip). */
export type SourceStatus = 'ok' | 'skipped' | 'partial';

export interface SourceStats {
  path: string;
  status: SourceStatus;
  /** Why the source was skipped or read only in part; null when `ok`. */
  reason: string | null;
  format: string;
  compressed: boolean;
  lines: number;
  parsed: number;
  malformed: number;
  /** Blank lines and '#' comments: neither events nor malformed. */
  skipped: number;
  kind: 'access' | 'error';
  /** Error logs: lines that are authentication failures (the rest of `parsed` are other error lines). */
  authFailures: number;
}

export interface MalformedLine {
  file: string;
  line: number;
  reason: string;
  /** The line as read, trimmed to a readable length. */
  text: string;
}

export interface ReadHandlers {
  event(e: LogEvent): void;
  /** Error-log lines that say why a request failed authentication. */
  authFailure?(a: AuthFailureEvent): void;
  malformed(m: MalformedLine): void;
  /** Called once per input once its format is known (detected or given). */
  format?(path: string, format: string, detected: boolean): void;
  /** An input skipped or cut short, said once with the reason; the other inputs are still read. */
  problem?(path: string, status: Exclude<SourceStatus, 'ok'>, reason: string): void;
}

export interface ReadOptions {
  format: string;
  maxLineBytes?: number;
  stdin?: Readable;
  /** Error logs carry no zone: their local times are shifted by this offset (minutes east of UTC; default 0). */
  errorLogUtcOffsetMinutes?: number;
  /** After each chunk: file bytes and lines read since the last call. */
  onProgress?(bytes: number, lines: number): void;
}

const EXAMPLE_TEXT_CHARS = 300;

function trimForExample(line: string): string {
  return line.length > EXAMPLE_TEXT_CHARS ? line.slice(0, EXAMPLE_TEXT_CHARS) + '…' : line;
}

/** An input that cannot be read as a log: the report goes on without it (see SourceStatus). */
class SkipInput extends Error {}

export async function readInput(path: string, opts: ReadOptions, on: ReadHandlers): Promise<SourceStats> {
  const stats: SourceStats = { path, status: 'ok', reason: null, format: opts.format, compressed: false, lines: 0, parsed: 0, malformed: 0, skipped: 0, kind: 'access', authFailures: 0 };
  const refuse = (status: Exclude<SourceStatus, 'ok'>, reason: string): SourceStats => {
    // A skipped input contributes nothing: its sample lines are neither parsed nor malformed.
    if (status === 'skipped') Object.assign(stats, { lines: 0, parsed: 0, malformed: 0, skipped: 0, authFailures: 0 });
    stats.status = status;
    stats.reason = reason;
    on.problem?.(path, status, reason);
    return stats;
  };
  let input;
  try {
    input = await openInput(path, opts.stdin);
  } catch (e) {
    if (e instanceof UsageError) return refuse('skipped', e.message);
    throw e;
  }
  stats.compressed = input.compressed;
  const offset = opts.errorLogUtcOffsetMinutes ?? 0;
  let format: ResolvedFormat | undefined = opts.format === 'auto' ? undefined : resolveFormat(opts.format);
  if (format) on.format?.(path, format.name, false);
  const held: Array<[string, number]> = [];

  const handle = (text: string, lineNo: number, fmt: ResolvedFormat, plain: boolean) => {
    if (isCommentOrBlank(text)) {
      stats.skipped++;
      return;
    }
    if (fmt.kind === 'error') {
      const r = parseErrorLogLine(text, path, lineNo, offset);
      if ('kind' in r) {
        stats.parsed++;
        if (r.kind === 'auth_failure') {
          stats.authFailures++;
          on.authFailure?.(r);
        }
      } else {
        stats.malformed++;
        on.malformed({ file: path, line: lineNo, reason: r.reason, text: trimForExample(text) });
      }
      return;
    }
    const r = fmt.parse(text, path, lineNo, plain);
    if (isParseFailure(r)) {
      stats.malformed++;
      on.malformed({ file: path, line: lineNo, reason: r.reason, text: trimForExample(text) });
    } else {
      stats.parsed++;
      on.event(r);
    }
  };

  const decide = () => {
    const detection = detectFormat(path, held.map(([t]) => t));
    if (!detection.ok) throw new SkipInput(detection.message);
    format = detection.format;
    on.format?.(path, format.name, true);
    for (const [t, n] of held) handle(t, n, format, false);
    held.length = 0;
  };

  let heldContent = 0;
  const splitter = new LineSplitter(
    {
      line(text, lineNo, plain) {
        stats.lines++;
        if (format) return handle(text, lineNo, format, plain);
        held.push([text, lineNo]);
        if (!isCommentOrBlank(text) && ++heldContent >= DETECT_SAMPLE_LINES) decide();
      },
      overflow(head, lineNo, length) {
        stats.lines++;
        stats.malformed++;
        on.malformed({ file: path, line: lineNo, reason: `line is ${length} bytes, over the ${opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES}-byte limit`, text: trimForExample(head) });
      },
    },
    opts.maxLineBytes,
  );
  let bytesSaid = 0;
  let linesSaid = 0;
  let fault: string | null = null;
  try {
    for await (const chunk of input.chunks) {
      splitter.push(chunk);
      if (opts.onProgress) {
        const bytes = input.rawBytesRead();
        opts.onProgress(bytes - bytesSaid, stats.lines - linesSaid);
        bytesSaid = bytes;
        linesSaid = stats.lines;
      }
    }
  } catch (e) {
    input.close();
    if (e instanceof SkipInput) return refuse('skipped', e.message);
    // A corrupt gzip member or a read error midway: what was read counts, the rest is said to be missing.
    if (e instanceof UsageError) fault = e.message;
    else if (typeof (e as NodeJS.ErrnoException).code === 'string') fault = `${path}: read failed (${(e as Error).message})`;
    else throw e;
  }
  try {
    splitter.end();
    if (!format) decide();
  } catch (e) {
    if (e instanceof SkipInput) return refuse('skipped', e.message);
    throw e;
  }
  const resolved = format as ResolvedFormat | undefined;
  stats.format = resolved?.name ?? opts.format;
  stats.kind = resolved?.kind ?? 'access';
  return fault === null ? stats : refuse('partial', fault);
}

/** Inputs were given but none could be read: a usage error that lists why, rather than an empty report. */
export function assertSomethingRead(sources: SourceStats[]): void {
  if (sources.length === 0 || sources.some((s) => s.status !== 'skipped')) return;
  // Each reason was said as its input was met (ReadHandlers.problem).
  throw new UsageError(`nothing to report: ${sources.length === 1 ? 'the input' : `none of the ${sources.length} inputs`} could be read (see above)`);
}
