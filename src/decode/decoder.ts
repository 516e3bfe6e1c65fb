/**
 * One input's lines to events: holds the first lines until its format is known (detected, or named
 * by the user with the envelope still detected), then dispatches every line. Each line is read as
 * the input's main kind first; one that fails is tried as the other kind, so a file mixing access and
 * error lines (a container's output, fail2ban-style test files) loses neither half as malformed.
 * `report` (ingest/read) and `watch` (daemon) both read through this.
 */
import type { LogEvent, ParseFailure } from '../parse/event';
import { isCommentOrBlank, type AccessFormat } from '../parse/formats';
import { parseErrorLogLine, type AuthFailureEvent } from '../parse/errorlog';
import { DETECT_SAMPLE_LINES, detectFormat, type Decision, type Detection } from './detect';
import { isNotEnveloped, makeEnvelope, type Envelope } from './envelopes';

export interface DecodeSink {
  event(e: LogEvent): void;
  /** An error-log line: an authentication failure, or null for any other error line. */
  errorLine(failure: AuthFailureEvent | null, lineNo: number): void;
  /** `column`: 1-based, in `text`, where the access parser stopped matching, when it knows. */
  malformed(lineNo: number, reason: string, text: string, column?: number): void;
  /** A blank line or a '#' comment. */
  skipped(lineNo: number): void;
  /** Once, when the format is known, before the held lines are read; an input in no known format then gives each line as malformed. */
  decided?(d: Detection): void;
}

export interface DecoderOptions {
  /** 'auto' or a format name / string (FormatSpecSchema). */
  format: string;
  /** Error logs carry no zone: minutes east of UTC their times are read in. */
  errorLogUtcOffsetMinutes(): number;
  /** Epoch ms by which the input's lines were written: the year of year-less syslog stamps (see syslogYear). */
  yearReference(): number;
  /** Bound on a record joined from split pieces (Docker, CRI). */
  maxRecordBytes: number;
  /** Content lines held before deciding (default DETECT_SAMPLE_LINES). */
  sampleLines?: number;
}

type LineFn = (text: string, lineNo: number, plain: boolean) => void;

/** A file of blank lines or comments decides after this many rather than hold all of them. */
const MAX_HELD_LINES = 1000;

export class LineDecoder {
  /** Lines read before the decision; a reason marks one already known to be malformed (over the length limit), kept in its place. */
  private held: Array<[string, number, boolean, string | null]> = [];
  private heldContent = 0;
  private decision: Detection | null = null;
  private envelope: Envelope | null = null;
  /**
   * Reads one line: held until the decision, then dispatched. A field swapped at the decision rather
   * than a method that tests a state, so a line costs one call to its parser's dispatcher.
   */
  push: LineFn = (text, lineNo, plain) => this.hold(text, lineNo, plain);

  constructor(
    private readonly name: string,
    private readonly opts: DecoderOptions,
    private readonly sink: DecodeSink,
  ) {}

  /** Null until decided; then the decision, or why the input is in no known format. */
  get detection(): Detection | null {
    return this.decision;
  }

  get holding(): boolean {
    return this.held.length > 0;
  }

  /** Whether any held line is a record (not blank or a comment): worth deciding on now. */
  get holdingContent(): boolean {
    return this.heldContent > 0;
  }

  /** A line refused before decoding (over the length limit): said in line order with the held ones. */
  refuse(lineNo: number, reason: string, head: string): void {
    if (this.decision === null) this.held.push([head, lineNo, false, reason]);
    else this.sink.malformed(lineNo, reason, head);
  }

  /** Decides from what is held (at the sample size, at the end of input, or when a follower has read all there is), then reads it. */
  decide(): Detection {
    if (this.decision) return this.decision;
    const d = detectFormat(this.name, this.held.flatMap(([t, , , refused]) => (refused === null ? [t] : [])), this.opts.format, this.opts.maxRecordBytes);
    this.decision = d;
    this.sink.decided?.(d);
    if (!d.ok) {
      // The lines of an input in no known format are each malformed, said once with the reason.
      this.push = (text, lineNo) => (isCommentOrBlank(text) ? this.sink.skipped(lineNo) : this.sink.malformed(lineNo, 'unknown log format', text));
    } else {
      this.envelope = d.envelope === null ? null : makeEnvelope(d.envelope, this.opts.maxRecordBytes);
      this.push = this.dispatcher(d);
    }
    const held = this.held;
    this.held = [];
    this.heldContent = 0;
    for (const [t, n, p, refused] of held) {
      if (refused === null) this.push(t, n, p);
      else this.sink.malformed(n, refused, t);
    }
    return d;
  }

  /** End of input: decides if still holding, and reads a split record left without its end. */
  end(): Detection {
    const d = this.decide();
    const rest = this.envelope?.flush();
    if (rest) this.inner(rest.text, rest.lineNo, rest.plain, rest.text, rest.host);
    return d;
  }

  private hold(text: string, lineNo: number, plain: boolean): void {
    this.held.push([text, lineNo, plain, null]);
    const content = !isCommentOrBlank(text) && ++this.heldContent >= (this.opts.sampleLines ?? DETECT_SAMPLE_LINES);
    // Blank lines and comments do not count towards the sample, but they are held too: bounded.
    if (content || this.held.length >= MAX_HELD_LINES) this.decide();
  }

  private dispatcher(d: Decision): LineFn {
    const envelope = this.envelope;
    if (envelope === null) {
      // The hot path: one parser call per line, the rest only for lines it refuses.
      if (d.primary === 'access') {
        const parse = d.access.parse;
        const name = this.name;
        const sink = this.sink;
        return (text, lineNo, plain) => {
          const r = parse(text, name, lineNo, plain);
          if ((r as LogEvent).time !== undefined) sink.event(r as LogEvent);
          else this.notAccess(text, lineNo, r as ParseFailure, text, '', d.access);
        };
      }
      return (text, lineNo, plain) => this.asError(text, lineNo, plain, text, '', d.access);
    }
    return (text, lineNo, plain) => {
      const u = envelope.open(text, lineNo, plain);
      if (u === null) return;
      if (isNotEnveloped(u)) {
        if (isCommentOrBlank(text)) this.sink.skipped(lineNo);
        else this.sink.malformed(lineNo, u.reason, text);
        return;
      }
      this.inner(u.text, u.lineNo, u.plain, envelope.errorsReadWholeLine ? text : u.text, u.host);
    };
  }

  /** A line out of its envelope. `errorText`: what the error-log parser reads; `host`: the syslog header's. */
  private inner(text: string, lineNo: number, plain: boolean, errorText: string, host: string): void {
    const d = this.decision as Decision;
    if (d.primary === 'error') return this.asError(text, lineNo, plain, errorText, host, d.access);
    const r = d.access.parse(text, this.name, lineNo, plain);
    if ((r as LogEvent).time === undefined) return this.notAccess(text, lineNo, r as ParseFailure, errorText, host, d.access);
    this.emit(r as LogEvent, host);
  }

  private emit(e: LogEvent, host: string): void {
    if (host !== '' && e.host === '') e.host = host;
    this.sink.event(e);
  }

  /** Read as an access line first and refused: a comment, an error-log line, or malformed for the access parser's reason. */
  private notAccess(text: string, lineNo: number, failure: ParseFailure, errorText: string, host: string, format: AccessFormat): void {
    if (this.commentOrError(text, lineNo, errorText, host, format) !== null) this.sink.malformed(lineNo, failure.reason, text, failure.column);
  }

  /** Read as an error-log line first; one that is not is tried as an access line. */
  private asError(text: string, lineNo: number, plain: boolean, errorText: string, host: string, format: AccessFormat): void {
    const reason = this.commentOrError(text, lineNo, errorText, host, format);
    if (reason === null) return;
    const a = format.parse(text, this.name, lineNo, plain);
    if ((a as LogEvent).time !== undefined) return this.emit(a as LogEvent, host);
    this.sink.malformed(lineNo, reason, text);
  }

  /** Handles a comment (W3C formats read their `#Fields:`) or an error-log line; otherwise returns why it is no error-log line. */
  private commentOrError(text: string, lineNo: number, errorText: string, host: string, format: AccessFormat): string | null {
    if (isCommentOrBlank(text)) {
      format.header?.(text);
      this.sink.skipped(lineNo);
      return null;
    }
    const r = parseErrorLogLine(errorText, this.name, lineNo, this.opts.errorLogUtcOffsetMinutes(), this.opts.yearReference());
    if (!('kind' in r)) return r.reason;
    if (r.kind === 'auth_failure' && host !== '' && r.host === '') r.host = host;
    this.sink.errorLine(r.kind === 'auth_failure' ? r : null, lineNo);
    return null;
  }
}
