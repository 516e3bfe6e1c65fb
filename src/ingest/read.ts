/** ingest → parse: reads every input in order and hands each LogEvent (or malformed line) on. */
import type { Readable } from 'node:stream';
import type { LogEvent } from '../parse/event';
import { isParseFailure } from '../parse/event';
import { DETECT_SAMPLE_LINES, detectFormat, isCommentOrBlank, resolveFormat, type ResolvedFormat } from '../parse/formats';
import { LineSplitter, DEFAULT_MAX_LINE_BYTES } from './lines';
import { openInput } from './open';
import { UsageError } from '../errors';
import { parseErrorLogLine, type AuthFailureEvent } from '../parse/errorlog';

export interface SourceStats {
  path: string;
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

export async function readInput(path: string, opts: ReadOptions, on: ReadHandlers): Promise<SourceStats> {
  const input = await openInput(path, opts.stdin);
  const stats: SourceStats = { path, format: opts.format, compressed: input.compressed, lines: 0, parsed: 0, malformed: 0, skipped: 0, kind: 'access', authFailures: 0 };
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
    if (!detection.ok) throw new UsageError(detection.message);
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
  for await (const chunk of input.chunks) {
    splitter.push(chunk);
    if (opts.onProgress) {
      const bytes = input.rawBytesRead();
      opts.onProgress(bytes - bytesSaid, stats.lines - linesSaid);
      bytesSaid = bytes;
      linesSaid = stats.lines;
    }
  }
  splitter.end();
  if (!format) decide();
  const resolved = format as ResolvedFormat | undefined;
  stats.format = resolved?.name ?? opts.format;
  stats.kind = resolved?.kind ?? 'access';
  return stats;
}
