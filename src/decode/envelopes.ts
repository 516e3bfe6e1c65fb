/**
 * Envelopes: what container runtimes and syslog put around a server's own log line. Each is taken off
 * before the line's format is detected or parsed, so an Nginx line inside a Docker record is read by
 * the same parser as one in access.log.
 *
 * - Docker `json-file`: `{"log":"<line>\n","stream":"stdout","time":"…"}`. Docker cuts lines over
 *   16 KiB into several records; only the last one's `log` ends in "\n", so records are joined until it.
 * - Kubernetes CRI (containerd, CRI-O): `<RFC 3339 time> <stream> <P|F> <line>`; `P` marks a partial
 *   line continued by the next record, `F` its end (kubelet's pkg/kubelet/kuberuntime/logs).
 * - Syslog, as rsyslog or journald write it to a file: RFC 3164, RFC 5424 or 3164 with an RFC 3339
 *   stamp, with or without `<PRI>`. Its host name becomes the event's host when the line has none.
 *
 * Lines are latin1 strings (one char per byte) throughout; a Docker record is JSON, so its `log` is
 * text and is turned back into bytes for the parsers.
 */
import { isUtf8 } from 'node:buffer';
import { parseSyslogBody } from '../ingest/syslog';
import { hasHighByte } from '../parse/text';

export type EnvelopeName = 'docker' | 'cri' | 'syslog';
export const ENVELOPE_NAMES: readonly EnvelopeName[] = ['docker', 'cri', 'syslog'];

/** What the envelope held. `lineNo` is the first physical line of the record (a joined record spans several). */
export interface Unwrapped {
  text: string;
  lineNo: number;
  plain: boolean;
  /** The syslog header's host name ('' when none). */
  host: string;
}

export interface NotEnveloped {
  reason: string;
}

export interface Envelope {
  readonly name: EnvelopeName;
  readonly describe: string;
  /**
   * The error-log parser reads the whole line rather than the inner text: an Apache error line sent
   * through syslog has no time of its own, the syslog header carries it.
   */
  readonly errorsReadWholeLine: boolean;
  /** The inner line; null while the pieces of a split record are being gathered. */
  open(line: string, lineNo: number, plain: boolean): Unwrapped | NotEnveloped | null;
  /** At the end of input: the gathered pieces of a record that never got its end. */
  flush(): Unwrapped | null;
}

export function isNotEnveloped(u: Unwrapped | NotEnveloped): u is NotEnveloped {
  return (u as Unwrapped).text === undefined;
}

/** Gathers the pieces of a split record, bounded: past `maxBytes` the record is given up and said. */
class Joiner {
  private parts: string[] = [];
  private length = 0;
  private firstLine = 0;
  private plain = true;
  constructor(private readonly maxBytes: number) {}

  get holding(): boolean {
    return this.parts.length > 0;
  }

  /** Adds a piece; returns a reason when the record grew past the bound (its pieces are dropped). */
  add(piece: string, lineNo: number, plain: boolean): string | null {
    if (this.parts.length === 0) {
      this.firstLine = lineNo;
      this.plain = true;
    }
    this.parts.push(piece);
    this.length += piece.length;
    this.plain &&= plain;
    if (this.length <= this.maxBytes) return null;
    const at = this.firstLine;
    this.reset();
    return `a split record from line ${at} is over the ${this.maxBytes}-byte limit`;
  }

  take(last: string, lineNo: number, plain: boolean): Unwrapped {
    if (this.parts.length === 0) return { text: last, lineNo, plain, host: '' };
    this.parts.push(last);
    const u = { text: this.parts.join(''), lineNo: this.firstLine, plain: this.plain && plain, host: '' };
    this.reset();
    return u;
  }

  private reset(): void {
    this.parts = [];
    this.length = 0;
  }
}

/** A JS string (from JSON.parse) back to the latin1 form the parsers read: one char per UTF-8 byte. */
function asLatin1(s: string): { text: string; plain: boolean } {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) >= 0x80) return { text: Buffer.from(s, 'utf8').toString('latin1'), plain: false };
  }
  // ASCII: still may hold an Nginx \x escape or a backslash, which the parser checks for itself.
  return { text: s, plain: s.indexOf('\\') === -1 };
}

/** Container runtimes cut long lines into records: a record either continues (held) or ends the line. */
abstract class SplitRecords {
  readonly errorsReadWholeLine = false;
  private readonly joiner: Joiner;
  constructor(maxBytes: number) {
    this.joiner = new Joiner(maxBytes);
  }

  protected piece(text: string, lineNo: number, plain: boolean, last: boolean): Unwrapped | NotEnveloped | null {
    if (last) return this.joiner.take(text, lineNo, plain);
    const over = this.joiner.add(text, lineNo, plain);
    return over === null ? null : { reason: over };
  }

  flush(): Unwrapped | null {
    return this.joiner.holding ? this.joiner.take('', 0, true) : null;
  }
}

class DockerJsonFile extends SplitRecords implements Envelope {
  readonly name = 'docker' as const;
  readonly describe = 'Docker json-file records';

  open(line: string, lineNo: number): Unwrapped | NotEnveloped | null {
    if (line.charCodeAt(0) !== 123 /* { */) return { reason: 'not a Docker json-file record' };
    let source = line;
    if (hasHighByte(line)) {
      const bytes = Buffer.from(line, 'latin1');
      // Docker writes valid UTF-8 (it replaces invalid bytes); anything else is not its record.
      if (!isUtf8(bytes)) return { reason: 'not a Docker json-file record (not UTF-8)' };
      source = bytes.toString('utf8');
    }
    let o: unknown;
    try {
      o = JSON.parse(source);
    } catch {
      return { reason: 'not a Docker json-file record (invalid JSON)' };
    }
    const log = o !== null && typeof o === 'object' ? (o as { log?: unknown }).log : undefined;
    if (typeof log !== 'string') return { reason: 'not a Docker json-file record (no "log" string)' };
    const { text, plain } = asLatin1(log);
    const last = text.endsWith('\n');
    return this.piece(last ? text.slice(0, text.endsWith('\r\n') ? -2 : -1) : text, lineNo, plain, last);
  }
}

/** `2016-10-06T00:17:09.669794202Z stdout P …`: the time's shape is checked, not its value (the inner line has its own). */
const CRI_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)$/;

class Cri extends SplitRecords implements Envelope {
  readonly name = 'cri' as const;
  readonly describe = 'Kubernetes CRI records';

  open(line: string, lineNo: number, plain: boolean): Unwrapped | NotEnveloped | null {
    const s1 = line.indexOf(' ');
    const s2 = s1 === -1 ? -1 : line.indexOf(' ', s1 + 1);
    if (s2 === -1 || !CRI_TIME.test(line.slice(0, s1))) return { reason: 'not a CRI record' };
    const stream = line.slice(s1 + 1, s2);
    if (stream !== 'stdout' && stream !== 'stderr') return { reason: 'not a CRI record (stream)' };
    // The tag is P or F, possibly with more ':'-separated flags after it; the message may be empty.
    let s3 = line.indexOf(' ', s2 + 1);
    if (s3 === -1) s3 = line.length;
    const tag = line.charCodeAt(s2 + 1);
    if (tag !== 80 /* P */ && tag !== 70 /* F */) return { reason: 'not a CRI record (tag)' };
    return this.piece(line.slice(s3 + 1), lineNo, plain, tag === 70);
  }
}

class SyslogFile implements Envelope {
  readonly name = 'syslog' as const;
  readonly describe = 'syslog lines';
  readonly errorsReadWholeLine = true;

  open(line: string, lineNo: number, plain: boolean): Unwrapped | NotEnveloped {
    let body = line;
    if (line.charCodeAt(0) === 60 /* < */) {
      const close = line.indexOf('>');
      if (close < 2 || close > 4) return { reason: 'not a syslog line' };
      body = line.slice(close + 1);
    }
    const m = parseSyslogBody(body, '');
    if ('reason' in m) return { reason: `not a syslog line (${m.reason})` };
    return { text: m.text, lineNo, plain, host: m.host };
  }

  flush(): null {
    return null;
  }
}

export function makeEnvelope(name: EnvelopeName, maxRecordBytes: number): Envelope {
  switch (name) {
    case 'docker':
      return new DockerJsonFile(maxRecordBytes);
    case 'cri':
      return new Cri(maxRecordBytes);
    case 'syslog':
      return new SyslogFile();
  }
}
