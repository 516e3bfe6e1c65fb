/** ingest → decode: reads one input (file, gzip, stdin) and hands each LogEvent, error-log failure or malformed line on. */
import type { Readable } from 'node:stream';
import { excerptAt, type LogEvent } from '../parse/event';
import type { AuthFailureEvent } from '../parse/errorlog';
import { LineDecoder } from '../decode/decoder';
import { LineSplitter, DEFAULT_MAX_LINE_BYTES } from './lines';
import { openInput } from './open';
import { UsageError } from '../errors';

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
  /** What most of the input is; `errorLines` says how much of the other kind it held. */
  kind: 'access' | 'error';
  /** What the lines were taken out of before parsing: 'docker', 'cri', 'syslog', or null. */
  envelope: string | null;
  /** Error-log lines among `parsed` (an access log may hold some, an error log is all of them). */
  errorLines: number;
  /** Error-log lines that are authentication failures. */
  authFailures: number;
}

export interface MalformedLine {
  file: string;
  line: number;
  /** The same words for every line that fails the same way. */
  reason: string;
  /** Where in this line, when the parser knows: `at column 152: …excerpt‸…` (raw text: escape it where printed). */
  detail?: string;
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
  /** The year of year-less syslog stamps when the input has no modification time (stdin): epoch ms it was written by. Default: now. */
  yearReference?: number;
  /** After each chunk: file bytes and lines read since the last call. */
  onProgress?(bytes: number, lines: number): void;
  /** Awaited after each chunk when it returns a promise: a slow consumer of the events (a full pipe) holds reading. */
  backpressure?(): Promise<void> | undefined;
}

const EXAMPLE_TEXT_CHARS = 300;

function trimForExample(line: string): string {
  return line.length > EXAMPLE_TEXT_CHARS ? line.slice(0, EXAMPLE_TEXT_CHARS) + '…' : line;
}

export async function readInput(path: string, opts: ReadOptions, on: ReadHandlers): Promise<SourceStats> {
  const stats: SourceStats = { path, status: 'ok', reason: null, format: opts.format, compressed: false, lines: 0, parsed: 0, malformed: 0, skipped: 0, kind: 'access', envelope: null, errorLines: 0, authFailures: 0 };
  const refuse = (status: Exclude<SourceStatus, 'ok'>, reason: string): SourceStats => {
    // A skipped input contributes nothing: its sample lines are neither parsed nor malformed.
    if (status === 'skipped') Object.assign(stats, { lines: 0, parsed: 0, malformed: 0, skipped: 0, errorLines: 0, authFailures: 0 });
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
  const yearReference = input.mtimeMs ?? opts.yearReference ?? Date.now();
  const maxLineBytes = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  /** Set when detection finds no known format: reading stops and nothing of the input is reported. */
  let unknown: string | null = null;
  const decoder = new LineDecoder(path, { format: opts.format, errorLogUtcOffsetMinutes: () => offset, yearReference: () => yearReference, maxRecordBytes: maxLineBytes }, {
    event(e) {
      stats.parsed++;
      on.event(e);
    },
    errorLine(failure) {
      stats.parsed++;
      stats.errorLines++;
      if (failure === null) return;
      stats.authFailures++;
      on.authFailure?.(failure);
    },
    malformed(line, reason, text, column) {
      if (unknown !== null) return;
      stats.malformed++;
      on.malformed({ file: path, line, reason, detail: column === undefined ? undefined : `at column ${column}: ${excerptAt(text, column)}`, text: trimForExample(text) });
    },
    skipped() {
      stats.skipped++;
    },
    decided(d) {
      if (!d.ok) {
        unknown = d.message;
        return;
      }
      stats.format = d.name;
      stats.kind = d.primary;
      stats.envelope = d.envelope;
      // A format the user gave is only worth saying when something was found around it.
      if (opts.format === 'auto' || d.envelope !== null || d.mixed) on.format?.(path, d.describe, true);
      else on.format?.(path, d.name, false);
    },
  });

  const splitter = new LineSplitter(
    {
      line(text, lineNo, plain) {
        stats.lines++;
        decoder.push(text, lineNo, plain);
      },
      overflow(head, lineNo, length) {
        stats.lines++;
        decoder.refuse(lineNo, `line is ${length} bytes, over the ${maxLineBytes}-byte limit`, head);
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
      if (unknown !== null) break;
      if (opts.onProgress) {
        const bytes = input.rawBytesRead();
        opts.onProgress(bytes - bytesSaid, stats.lines - linesSaid);
        bytesSaid = bytes;
        linesSaid = stats.lines;
      }
      const waiting = opts.backpressure?.();
      if (waiting) await waiting;
    }
  } catch (e) {
    // A corrupt gzip member or a read error midway: what was read counts, the rest is said to be missing.
    if (e instanceof UsageError) fault = e.message;
    else if (typeof (e as NodeJS.ErrnoException).code === 'string') fault = `${path}: read failed (${(e as Error).message})`;
    else throw e;
  }
  if (unknown !== null || fault !== null) input.close();
  if (unknown === null) {
    splitter.end();
    decoder.end();
  }
  if (unknown !== null) return refuse('skipped', unknown);
  return fault === null ? stats : refuse('partial', fault);
}

/** Inputs were given but none could be read: a usage error, rather than an empty report. */
export function assertSomethingRead(sources: SourceStats[]): void {
  if (sources.length === 0 || sources.some((s) => s.status !== 'skipped')) return;
  // Each reason was said as its input was met (ReadHandlers.problem).
  throw new UsageError(`nothing to report: ${sources.length === 1 ? 'the input' : `none of the ${sources.length} inputs`} could be read (see above)`);
}
