/**
 * Format detection on an input's first lines: which envelope (none, Docker, CRI, syslog) and which
 * access format read most of them, and whether error-log lines are among them. One detector for
 * `report` and `watch`; it never throws on what it is shown.
 */
import { isParseFailure } from '../parse/event';
import { parseClfLine } from '../parse/clf';
import { isCommentOrBlank, type AccessFormat, type ErrorFormatName } from '../parse/formats';
import { parseErrorLogLine } from '../parse/errorlog';
import { resolveFormat } from './formats';
import { ENVELOPE_NAMES, isNotEnveloped, makeEnvelope, type Envelope, type EnvelopeName } from './envelopes';

/** Content lines (not blank, not '#') a decision is made on. */
export const DETECT_SAMPLE_LINES = 50;

export interface Decision {
  /** The format the report names for the input: the access format, or the error log's when error lines are most of it. */
  name: string;
  primary: 'access' | 'error';
  /** Reads access lines (in an error log too: a container's output holds both). */
  access: AccessFormat;
  /** The name error lines are reported under. */
  errorName: ErrorFormatName;
  envelope: EnvelopeName | null;
  /** Both kinds were in the sample. */
  mixed: boolean;
  /** For the "detected format" notice: `combined in Docker json-file records, with nginx_error lines`. */
  describe: string;
  matched: number;
  sampled: number;
}

export type Detection = ({ ok: true } & Decision) | { ok: false; message: string };

const NGINX_ERROR = /\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[(?:debug|info|notice|warn|error|crit|alert|emerg)\] \d+#\d+:/;
const APACHE_ERROR = /^\[(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} \d\d |^[A-Z][a-z]{2} +\d{1,2} \d\d:\d\d:\d\d \S+ [^:]+: \[[a-z_0-9]*:?(?:error|warn|crit|alert|emerg|notice|info)\]/;

/** An error-log line by its shape (its message may still be one the parser cannot use, e.g. with no client). */
function isErrorLogLine(text: string): boolean {
  return NGINX_ERROR.test(text) || APACHE_ERROR.test(text) || 'kind' in parseErrorLogLine(text, '', 0, 0, 0);
}
const VHOST_SHAPE = /^\S+ \S+ \S+ \S+ \[/;
const COMBINED_SHAPE = /" \d{3} (?:\d+|-) (?:"|- ")/;
/** Traefik's common format: combined, then the request count, router, server URL and duration. */
const TRAEFIK_SHAPE = / \d+ "[^"]*" "[^"]*" \d+ms$/;

/** Tried in this order; on a tie the earlier (more specific) wins. */
const JSON_CANDIDATES = ['caddy', 'traefik', 'ecs', 'json'] as const;
const TEXT_CANDIDATES = ['alb', 'cloudfront', 'combined'] as const;

function refineClfName(lines: string[]): 'common' | 'combined' | 'vhost_combined' | 'traefik' {
  const clfLines = lines.filter((l) => !isParseFailure(parseClfLine(l, '', 0)));
  if (clfLines.filter((l) => TRAEFIK_SHAPE.test(l)).length * 2 > clfLines.length) return 'traefik';
  const vhost = clfLines.filter((l) => VHOST_SHAPE.test(l)).length;
  const combined = clfLines.filter((l) => COMBINED_SHAPE.test(l)).length;
  if (vhost * 2 > clfLines.length) return 'vhost_combined';
  return combined * 2 >= clfLines.length ? 'combined' : 'common';
}

interface Item {
  /** The line without its envelope; null for a comment or blank line. */
  inner: string | null;
  /** What the error-log parser reads. */
  errorText: string;
  /** The line as read (comments are passed to W3C formats for their `#Fields:`). */
  line: string;
}

/** The sample as seen through an envelope; lines that are not in it stay as they are and count against it. */
function unwrapSample(sample: string[], envelope: Envelope | null): { items: Item[]; opened: number } {
  const items: Item[] = [];
  let opened = 0;
  for (const line of sample) {
    if (isCommentOrBlank(line)) {
      items.push({ inner: null, errorText: line, line });
      continue;
    }
    if (envelope === null) {
      items.push({ inner: line, errorText: line, line });
      continue;
    }
    const u = envelope.open(line, 0, false);
    if (u === null) continue; // a piece of a split record: counted with its end
    if (isNotEnveloped(u)) {
      items.push({ inner: line, errorText: line, line });
      continue;
    }
    opened++;
    items.push({ inner: u.text, errorText: envelope.errorsReadWholeLine ? line : u.text, line });
  }
  const rest = envelope?.flush();
  if (rest) {
    opened++;
    items.push({ inner: rest.text, errorText: rest.text, line: rest.text });
  }
  return { items, opened };
}

interface Scored {
  format: AccessFormat;
  access: number;
  errors: number;
  nginxErrors: number;
  content: number;
}

function score(items: Item[], format: AccessFormat | null, name: string): Scored {
  let access = 0;
  let errors = 0;
  let nginxErrors = 0;
  let content = 0;
  for (const it of items) {
    if (it.inner === null) {
      format?.header?.(it.line);
      continue;
    }
    content++;
    if (format && !isParseFailure(format.parse(it.inner, name, 0))) access++;
    else if (isErrorLogLine(it.errorText)) {
      errors++;
      if (NGINX_ERROR.test(it.errorText)) nginxErrors++;
    }
  }
  return { format: format ?? (resolveFormat('combined') as AccessFormat), access, errors, nginxErrors, content };
}

/** Fresh candidate formats for one sample (W3C ones keep the columns of the `#Fields:` line they were shown). */
function candidates(items: Item[], spec: string): Array<AccessFormat | null> {
  if (spec !== 'auto') {
    const f = resolveFormat(spec);
    return [f.kind === 'access' ? f : null];
  }
  const jsonish = items.some((it) => it.inner !== null && it.inner.charCodeAt(0) === 123);
  const names = jsonish ? [...JSON_CANDIDATES, ...TEXT_CANDIDATES] : TEXT_CANDIDATES;
  return names.map((n) => resolveFormat(n) as AccessFormat);
}

/**
 * Picks the envelope and format that read the most of the sample (access lines plus error lines);
 * at least half of its content lines must be read. `spec`: 'auto', or a format the user named (the
 * envelope is still detected).
 */
export function detectFormat(name: string, sample: string[], spec = 'auto', maxRecordBytes = 1 << 20): Detection {
  let best: (Scored & { envelope: EnvelopeName | null }) | null = null;
  let bestAccessOnly: Scored | null = null;
  for (const envelopeName of [null, ...ENVELOPE_NAMES]) {
    const envelope = envelopeName === null ? null : makeEnvelope(envelopeName, maxRecordBytes);
    const { items, opened } = unwrapSample(sample, envelope);
    const content = items.filter((it) => it.inner !== null).length;
    if (envelopeName !== null && opened * 2 < content) continue;
    for (const format of candidates(items, spec)) {
      const s = score(items, format, name);
      if (bestAccessOnly === null || s.access > bestAccessOnly.access) bestAccessOnly = s;
      if (best === null || s.access + s.errors > best.access + best.errors) best = { ...s, envelope: envelopeName };
    }
  }
  const contentLines = sample.filter((l) => !isCommentOrBlank(l));
  if (best === null || contentLines.length === 0) {
    const format = spec === 'auto' ? (resolveFormat('combined') as AccessFormat) : resolveFormat(spec);
    const access = format.kind === 'access' ? format : (resolveFormat('combined') as AccessFormat);
    return { ok: true, name: format.name, primary: format.kind, access, errorName: 'nginx_error', envelope: null, mixed: false, describe: format.name, matched: 0, sampled: 0 };
  }
  const recognised = best.access + best.errors;
  // A format the user named is used whatever the sample says: its lines' reasons tell what is wrong.
  if (spec === 'auto' && recognised * 2 < best.content) {
    const shown = bestAccessOnly ?? best;
    // With nothing read at all, the format most logs are in is the one worth naming.
    const shownName = shown.access === 0 ? 'combined' : shown.format.name;
    const first = (contentLines[0] ?? '').slice(0, 120);
    return {
      ok: false,
      message: `${name}: unknown log format (${shown.access} of the first ${contentLines.length} lines parse as ${shownName}); first line: ${JSON.stringify(first)}. Pass --format with your log_format / LogFormat string, e.g. --format 'nginx:$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent'`,
    };
  }
  const errorName: ErrorFormatName = best.nginxErrors * 2 >= best.errors ? 'nginx_error' : 'apache_error';
  const explicitError = spec === 'nginx_error' || spec === 'apache_error';
  const primary = explicitError || best.errors > best.access ? 'error' : 'access';
  let access = best.format;
  if (spec === 'auto' && access.name === 'combined') {
    const { items } = unwrapSample(sample, best.envelope === null ? null : makeEnvelope(best.envelope, maxRecordBytes));
    access = resolveFormat(refineClfName(items.flatMap((it) => (it.inner === null ? [] : [it.inner])))) as AccessFormat;
  }
  const mixed = best.access > 0 && best.errors > 0;
  const name_ = primary === 'access' ? access.name : explicitError ? (spec as ErrorFormatName) : errorName;
  const other = primary === 'access' ? errorName : access.name;
  const envelope = best.envelope === null ? null : makeEnvelope(best.envelope, maxRecordBytes);
  const describe = `${name_}${envelope ? ` in ${envelope.describe}` : ''}${mixed ? `, with ${other} lines` : ''}`;
  return { ok: true, name: name_, primary, access, errorName: explicitError ? (spec as ErrorFormatName) : errorName, envelope: best.envelope, mixed, describe, matched: recognised, sampled: best.content };
}
