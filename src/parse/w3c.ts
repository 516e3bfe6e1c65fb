/**
 * W3C extended log format (CloudFront, IIS): `#Fields:` names the columns, then one record a line,
 * columns split by one separator, '-' for empty. The column list is read from the file's own
 * `#Fields:` line (it can change mid-file, at a restart); until one is seen the preset's default
 * list is used. Dates and times are UTC by the format's definition.
 */
import { detachedIfLong, KEPT_EVENT_FIELDS, type LogEvent, type ParseFailure } from './event';
import { decodeRequest, normalizeIp, parseBytes, parseStatus, stripPort, splitTarget } from './fields';
import { parseIsoTime } from './time';
import { latin1ToText, safeDecodePath } from './text';
import { userAgents } from './intern';
import type { AccessFormat } from './formats';

/** What a named W3C column means to an access event. */
const COLUMNS: Record<string, keyof Columns> = {
  date: 'date', time: 'time', 'c-ip': 'ip', 'cs-method': 'method', 'cs-uri-stem': 'path', 'cs-uri-query': 'query',
  'sc-status': 'status', 'sc-bytes': 'bytes', 'cs(referer)': 'referer', 'cs(user-agent)': 'userAgent', 'cs-username': 'user',
  'x-host-header': 'host', 'cs-host': 'host', 'cs-protocol-version': 'protocol', 'cs-version': 'protocol', 'time-taken': 'requestTime',
  'x-forwarded-for': 'forwardedFor',
};

interface Columns {
  date: number;
  time: number;
  ip: number;
  method: number;
  path: number;
  query: number;
  status: number;
  bytes: number;
  referer: number;
  userAgent: number;
  user: number;
  host: number;
  protocol: number;
  requestTime: number;
  forwardedFor: number;
}

export interface W3cSpec {
  name: string;
  separator: string;
  /** The columns of a file with no `#Fields:` line (the service's documented default). */
  fields: string[];
  /** Text columns are percent-encoded (CloudFront writes `Mozilla/5.0%20(X11;...`); IIS writes '+' for spaces. */
  encoding: 'percent' | 'plus';
}

function columnsOf(fields: string[]): Columns {
  const c: Columns = { date: -1, time: -1, ip: -1, method: -1, path: -1, query: -1, status: -1, bytes: -1, referer: -1, userAgent: -1, user: -1, host: -1, protocol: -1, requestTime: -1, forwardedFor: -1 };
  fields.forEach((f, i) => {
    const key = COLUMNS[f.toLowerCase()];
    // The first column of a meaning wins: CloudFront has both x-host-header and cs(Host).
    if (key !== undefined && c[key] === -1) c[key] = i;
  });
  return c;
}

const FIELDS_LINE = /^#Fields:\s*/;

/** A W3C parser for one input: stateful, since a `#Fields:` line redefines the columns that follow. */
export function w3cFormat(spec: W3cSpec): AccessFormat {
  let c = columnsOf(spec.fields);
  const decode = (raw: string): string => {
    if (raw === '-' || raw === '') return '';
    const s = spec.encoding === 'plus' ? raw.replace(/\+/g, ' ') : safeDecodePath(raw);
    return latin1ToText(s);
  };
  const parse = (line: string, file: string, lineNo: number): LogEvent | ParseFailure => {
    const v = line.split(spec.separator);
    const at = (i: number) => (i >= 0 && i < v.length ? (v[i] as string) : '-');
    if (c.date < 0 || c.time < 0 || c.ip < 0 || c.status < 0) return { reason: `the ${spec.name} columns lack date, time, c-ip or sc-status (see the #Fields: line)` };
    const date = at(c.date);
    const clock = at(c.time);
    // `2019-12-04` and `21:02:31` (a fraction at most): checked before any text is built from them.
    const time = date.length === 10 && clock.length >= 8 && clock.length <= 15 ? parseIsoTime(`${date}T${clock}Z`) : NaN;
    if (Number.isNaN(time)) return { reason: `not a ${spec.name} record: bad date/time "${date.slice(0, 12)} ${clock.slice(0, 12)}"` };
    const statusText = at(c.status);
    const status = parseStatus(statusText);
    if (Number.isNaN(status)) return { reason: statusText === '000' ? 'status 000: the viewer closed the connection before a response' : `bad status "${statusText.slice(0, 20)}"` };
    const ip = at(c.ip);
    if (ip === '-' || ip === '') return { reason: 'no client address (c-ip)' };
    const method = decode(at(c.method));
    const target = splitTarget(at(c.path) === '-' ? '' : latin1ToText(at(c.path)));
    const query = at(c.query) === '-' ? '' : at(c.query);
    const protocol = decode(at(c.protocol));
    const bytes = parseBytes(at(c.bytes));
    const rt = at(c.requestTime);
    const request = method !== '' ? decodeRequest(`${method} ${target.path}${query ? '?' + query : ''}${protocol ? ' ' + protocol : ''}`, true).request : '';
    const event: LogEvent = {
      time,
      ip: normalizeIp(stripPort(ip)),
      method,
      path: target.path,
      query,
      protocol,
      request,
      status,
      bytes: bytes === undefined ? null : bytes,
      referer: decode(at(c.referer)),
      userAgent: userAgents.intern(decode(at(c.userAgent))),
      remoteUser: decode(at(c.user)),
      host: decode(at(c.host)),
      requestTime: rt !== '-' && Number.isFinite(Number(rt)) ? Number(rt) : null,
      forwardedFor: decode(at(c.forwardedFor)),
      raw: line,
      file,
      line: lineNo,
    };
    return detachedIfLong(event, KEPT_EVENT_FIELDS);
  };
  return {
    name: spec.name,
    kind: 'access',
    parse,
    header(line: string): void {
      if (FIELDS_LINE.test(line)) c = columnsOf(line.replace(FIELDS_LINE, '').trim().split(/\s+/));
    },
  };
}
