/**
 * Compiles an Nginx `log_format` or Apache `LogFormat` string, once, into a line parser.
 * The compiled form is a list of literals and fields; a field ends at the next literal
 * (or at the closing quote when the format quotes it), so parsing stays one linear scan.
 */
import { detachedIfLong, KEPT_EVENT_FIELDS, type LogEvent, type LineParser, type ParseFailure } from './event';
import { decodeRequest, fieldText, normalizeIp, parseBytes, parseSeconds, parseStatus, splitTarget, stripPort } from './fields';
import { findQuoteEnd } from './clf';
import { parseClfTime, parseEpochSeconds, parseIsoTime } from './time';
import { latin1ToText, needsNoDecoding, unescapeLatin1 } from './text';
import { userAgents } from './intern';
import { UsageError } from '../errors';

export type FieldTarget =
  | 'ip' | 'user' | 'time_clf' | 'time_clf_bracketed' | 'time_iso' | 'time_epoch_s' | 'time_epoch_ms' | 'time_epoch_us'
  | 'request' | 'method' | 'uri' | 'path' | 'query' | 'protocol' | 'status' | 'bytes'
  | 'referer' | 'user_agent' | 'forwarded_for' | 'host' | 'request_time_s' | 'request_time_ms' | 'request_time_us'
  | 'ignore';

type Element = { literal: string } | { field: FieldTarget; name: string };

const NGINX_VARIABLES: Record<string, FieldTarget> = {
  remote_addr: 'ip', realip_remote_addr: 'ip', binary_remote_addr: 'ignore',
  remote_user: 'user',
  time_local: 'time_clf', time_iso8601: 'time_iso', msec: 'time_epoch_s',
  request: 'request', request_method: 'method', request_uri: 'uri', uri: 'path', document_uri: 'path',
  args: 'query', query_string: 'query', server_protocol: 'protocol',
  status: 'status', body_bytes_sent: 'bytes', bytes_sent: 'bytes',
  http_referer: 'referer', http_user_agent: 'user_agent', http_x_forwarded_for: 'forwarded_for',
  host: 'host', http_host: 'host', server_name: 'host',
  request_time: 'request_time_s', upstream_response_time: 'ignore',
};

function nginxVariable(name: string, variables: Readonly<Record<string, FieldTarget>>): FieldTarget {
  return variables[name] ?? NGINX_VARIABLES[name] ?? 'ignore';
}

function apacheHeader(name: string): FieldTarget {
  switch (name.toLowerCase()) {
    case 'referer': return 'referer';
    case 'user-agent': return 'user_agent';
    case 'x-forwarded-for': return 'forwarded_for';
    case 'host': return 'host';
    default: return 'ignore';
  }
}

function apacheTimeFormat(arg: string | undefined): FieldTarget {
  if (arg === undefined) return 'time_clf_bracketed';
  const fmt = arg.replace(/^(begin|end):/, '');
  switch (fmt) {
    case 'sec': return 'time_epoch_s';
    case 'msec': return 'time_epoch_ms';
    case 'usec': return 'time_epoch_us';
    case '%d/%b/%Y:%H:%M:%S %z': return 'time_clf';
    case '%Y-%m-%dT%H:%M:%S%z':
    case '%Y-%m-%dT%H:%M:%S %z':
    case '%FT%T%z': return 'time_iso';
    default:
      throw new UsageError(`unsupported Apache time format %{${arg}}t: use %t, %{sec}t, %{msec}t, %{usec}t or %{%Y-%m-%dT%H:%M:%S%z}t`);
  }
}

function apacheDirective(letter: string, arg: string | undefined): FieldTarget {
  switch (letter) {
    case 'h': case 'a': return arg === 'c' ? 'ignore' : 'ip';
    case 'u': return 'user';
    case 't': return apacheTimeFormat(arg);
    case 'r': return 'request';
    case 's': return 'status';
    case 'b': case 'B': case 'O': return 'bytes';
    case 'i': return arg === undefined ? 'ignore' : apacheHeader(arg);
    case 'D': return 'request_time_us';
    case 'T': return arg === 'ms' ? 'request_time_ms' : arg === 'us' ? 'request_time_us' : 'request_time_s';
    case 'v': case 'V': return 'host';
    case 'm': return 'method';
    case 'U': return 'path';
    case 'q': return 'query';
    case 'H': return 'protocol';
    case 'l': case 'p': case 'P': case 'I': case 'S': case 'X': case 'k': case 'L': case 'R': case 'e': case 'n':
    case 'o': case 'C': case 'A': case 'f': case '^': return 'ignore';
    default:
      throw new UsageError(`unknown Apache LogFormat directive %${letter}`);
  }
}

function pushLiteral(out: Element[], text: string): void {
  if (text === '') return;
  const last = out[out.length - 1];
  if (last && 'literal' in last) last.literal += text;
  else out.push({ literal: text });
}

/** `variables`: names a preset gives its own meaning (an ALB log's `$client` is the client address). */
export function tokenizeNginx(format: string, variables: Readonly<Record<string, FieldTarget>> = {}): Element[] {
  const out: Element[] = [];
  let i = 0;
  while (i < format.length) {
    const dollar = format.indexOf('$', i);
    if (dollar === -1) {
      pushLiteral(out, format.slice(i));
      break;
    }
    pushLiteral(out, format.slice(i, dollar));
    let name: string;
    let next: number;
    if (format[dollar + 1] === '{') {
      const end = format.indexOf('}', dollar + 2);
      if (end === -1) throw new UsageError(`unterminated \${ in nginx log_format at column ${dollar + 1}`);
      name = format.slice(dollar + 2, end);
      next = end + 1;
    } else {
      let j = dollar + 1;
      while (j < format.length && /[A-Za-z0-9_]/.test(format[j] as string)) j++;
      name = format.slice(dollar + 1, j);
      next = j;
    }
    if (name === '') throw new UsageError(`a '$' without a variable name in nginx log_format at column ${dollar + 1}`);
    out.push({ field: nginxVariable(name, variables), name: '$' + name });
    i = next;
  }
  return out;
}

export function tokenizeApache(formatIn: string): Element[] {
  // LogFormat strings are usually copied from a config file where quotes are escaped.
  const format = formatIn.replace(/\\(["\\])/g, '$1').replace(/\\t/g, '\t');
  const out: Element[] = [];
  let i = 0;
  while (i < format.length) {
    const pct = format.indexOf('%', i);
    if (pct === -1) {
      pushLiteral(out, format.slice(i));
      break;
    }
    pushLiteral(out, format.slice(i, pct));
    let j = pct + 1;
    if (format[j] === '%') {
      pushLiteral(out, '%');
      i = j + 1;
      continue;
    }
    // Modifiers: < > (original/final request) and status conditions like !200,304
    while (j < format.length && /[<>!0-9,]/.test(format[j] as string)) j++;
    let arg: string | undefined;
    if (format[j] === '{') {
      const end = format.indexOf('}', j + 1);
      if (end === -1) throw new UsageError(`unterminated %{ in Apache LogFormat at column ${j + 1}`);
      arg = format.slice(j + 1, end);
      j = end + 1;
    }
    const letter = format[j];
    if (letter === undefined) throw new UsageError('Apache LogFormat ends with a bare %');
    out.push({ field: apacheDirective(letter, arg), name: format.slice(pct, j + 1) });
    i = j + 1;
  }
  // %{c}a is the connection's peer (the proxy, under mod_remoteip): the best address there is when
  // nothing else names the client, rather than none.
  if (!out.some((e) => 'field' in e && e.field === 'ip')) {
    const peer = out.find((e): e is { field: FieldTarget; name: string } => 'field' in e && /^%[<>!0-9,]*\{c\}a$/.test(e.name));
    if (peer) peer.field = 'ip';
  }
  return out;
}

interface Draft {
  time: number;
  ip: string;
  user: string;
  request: string;
  method: string;
  path: string;
  query: string;
  protocol: string;
  status: number;
  bytes: number | null;
  referer: string;
  userAgent: string;
  forwardedFor: string;
  host: string;
  requestTime: number | null;
}

const EPOCH_MS = /^\d{12,14}$/;
const EPOCH_US = /^\d{15,17}$/;

/** `plain`: the line holds no escape and no byte >= 0x80, so its fields are their own text. */
function assign(d: Draft, target: FieldTarget, raw: string, plain: boolean): string | undefined {
  switch (target) {
    case 'ignore': return undefined;
    case 'ip': d.ip = normalizeIp(stripPort(raw)); return raw === '' ? 'empty client address' : undefined;
    case 'user': d.user = fieldText(raw, plain); return undefined;
    case 'time_clf': d.time = parseClfTime(raw); break;
    case 'time_clf_bracketed': d.time = parseClfTime(raw.slice(1, -1)); break;
    case 'time_iso': d.time = parseIsoTime(raw); break;
    case 'time_epoch_s': d.time = parseEpochSeconds(raw); break;
    // Apache's %{msec}t and %{usec}t are whole milliseconds and microseconds since the epoch.
    case 'time_epoch_ms': d.time = EPOCH_MS.test(raw) ? Number(raw) : NaN; break;
    case 'time_epoch_us': d.time = EPOCH_US.test(raw) ? Math.floor(Number(raw) / 1000) : NaN; break;
    case 'request': {
      const r = decodeRequest(raw, plain);
      d.request = r.request;
      if (r.method !== '') d.method = r.method;
      if (r.path !== '') d.path = r.path;
      if (r.query !== '') d.query = r.query;
      if (r.protocol !== '') d.protocol = r.protocol;
      return undefined;
    }
    case 'method': d.method = fieldText(raw, plain); return undefined;
    case 'uri': {
      const t = splitTarget(latin1ToText(unescapeLatin1(raw)));
      d.path = t.path;
      d.query = t.query;
      return undefined;
    }
    case 'path': d.path = splitTarget(latin1ToText(unescapeLatin1(raw))).path; return undefined;
    case 'query': d.query = fieldText(raw, plain).replace(/^\?/, ''); return undefined;
    case 'protocol': d.protocol = fieldText(raw, plain); return undefined;
    case 'status':
      d.status = parseStatus(raw);
      return Number.isNaN(d.status) ? `bad status "${raw.slice(0, 20)}"` : undefined;
    case 'bytes': {
      const b = parseBytes(raw);
      if (b === undefined) return `bad response size "${raw.slice(0, 20)}"`;
      d.bytes = b;
      return undefined;
    }
    case 'referer': d.referer = fieldText(raw, plain); return undefined;
    case 'user_agent': d.userAgent = userAgents.intern(fieldText(raw, plain)); return undefined;
    case 'forwarded_for': d.forwardedFor = fieldText(raw, plain); return undefined;
    case 'host': d.host = fieldText(raw, plain); return undefined;
    case 'request_time_s': d.requestTime = parseSeconds(raw, 1); return undefined;
    case 'request_time_ms': d.requestTime = parseSeconds(raw, 1e3); return undefined;
    case 'request_time_us': d.requestTime = parseSeconds(raw, 1e6); return undefined;
  }
  return Number.isNaN(d.time) ? `bad timestamp "${raw.slice(0, 40)}"` : undefined;
}

const TIME_TARGETS = new Set<FieldTarget>(['time_clf', 'time_clf_bracketed', 'time_iso', 'time_epoch_s', 'time_epoch_ms', 'time_epoch_us']);

export function compileElements(elements: Element[], describe: string): LineParser {
  const fields = elements.filter((e): e is { field: FieldTarget; name: string } => 'field' in e);
  if (!fields.some((f) => TIME_TARGETS.has(f.field))) throw new UsageError(`${describe} has no time field ($time_local, $time_iso8601, $msec, %t): authwatch needs event times`);
  if (!fields.some((f) => f.field === 'status')) throw new UsageError(`${describe} has no status field ($status, %>s)`);
  if (!fields.some((f) => f.field === 'ip')) throw new UsageError(`${describe} has no client address field ($remote_addr, %h, %a)`);
  for (let k = 1; k < elements.length; k++) {
    const a = elements[k - 1] as Element;
    const b = elements[k] as Element;
    if ('field' in a && 'field' in b) throw new UsageError(`${describe}: fields ${a.name} and ${b.name} have nothing between them, so a line cannot be split`);
  }

  // Precompute, per field, how its end is found.
  const plan = elements.map((el, k) => {
    const prev = elements[k - 1];
    if ('literal' in el) {
      // Named in a failure: the fields the literal sits between, which is what a reader of the format looks for.
      const next = elements[k + 1];
      const between = [prev && 'name' in prev ? `after ${prev.name}` : '', next && 'name' in next ? `before ${next.name}` : ''].filter(Boolean).join(', ');
      return { kind: 'literal' as const, literal: el.literal, expected: `expected ${JSON.stringify(el.literal)}${between ? ` (${between})` : ''}` };
    }
    const next = elements[k + 1];
    const nextLiteral = next && 'literal' in next ? next.literal : '';
    const quoted = prev !== undefined && 'literal' in prev && prev.literal.endsWith('"') && nextLiteral.startsWith('"');
    return { kind: 'field' as const, target: el.field, name: el.name, quoted, bracketed: el.field === 'time_clf_bracketed', until: nextLiteral };
  });

  return (line: string, file: string, lineNo: number, knownPlain = false): LogEvent | ParseFailure => {
    const d: Draft = {
      time: NaN, ip: '', user: '', request: '', method: '', path: '', query: '', protocol: '',
      status: NaN, bytes: null, referer: '', userAgent: '', forwardedFor: '', host: '', requestTime: null,
    };
    const plain = knownPlain || needsNoDecoding(line);
    let pos = 0;
    for (const step of plan) {
      if (step.kind === 'literal') {
        if (!line.startsWith(step.literal, pos)) return { reason: step.expected, column: pos + 1 };
        pos += step.literal.length;
        continue;
      }
      let end: number;
      if (step.quoted) end = findQuoteEnd(line, pos);
      else if (step.bracketed) end = line.charCodeAt(pos) === 91 ? line.indexOf(']', pos) + 1 : -1;
      else if (step.until !== '') end = line.indexOf(step.until, pos);
      else end = line.length;
      if (end <= -1 || (step.bracketed && end === 0)) {
        const expected = step.quoted ? 'a closing quote' : step.bracketed ? '"[...]"' : JSON.stringify(step.until);
        return { reason: `${step.name}: expected ${step.bracketed ? expected : `a field ending with ${expected}`}`, column: pos + 1 };
      }
      const problem = assign(d, step.target, line.slice(pos, end), plain);
      if (problem !== undefined) return { reason: `${step.name}: ${problem}`, column: pos + 1 };
      pos = end;
    }
    if (Number.isNaN(d.time)) return { reason: 'no timestamp' };
    if (d.request === '' && d.method !== '') d.request = `${d.method} ${d.path}${d.query ? '?' + d.query : ''}${d.protocol ? ' ' + d.protocol : ''}`;
    const event: LogEvent = {
      time: d.time, ip: d.ip, method: d.method, path: d.path, query: d.query, protocol: d.protocol, request: d.request,
      status: d.status, bytes: d.bytes, referer: d.referer, userAgent: d.userAgent, remoteUser: d.user, host: d.host,
      requestTime: d.requestTime, forwardedFor: d.forwardedFor, raw: line, file, line: lineNo,
    };
    return detachedIfLong(event, KEPT_EVENT_FIELDS);
  };
}

export function compileNginxFormat(format: string, variables?: Readonly<Record<string, FieldTarget>>): LineParser {
  return compileElements(tokenizeNginx(format, variables), 'nginx log_format');
}

export function compileApacheFormat(format: string): LineParser {
  return compileElements(tokenizeApache(format), 'Apache LogFormat');
}
