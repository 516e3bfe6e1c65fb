/**
 * Hand-written scanner for the NCSA family: common, combined, vhost_combined, and combined with
 * extra trailing fields (`"$http_x_forwarded_for"`, Traefik's additions). One pass of indexOf
 * over the latin1 line, no regex; the fields before `[time]` are read from the right, so the
 * optional vhost and X-Forwarded-For lists in front of the address need no separate format.
 */
import { detachedIfLong, KEPT_EVENT_FIELDS, type LogEvent, type ParseFailure } from './event';
import { decodeRequest, fieldText, normalizeIp, parseBytes, parseStatus, stripPort } from './fields';
import { parseClfTimeIn } from './time';
import { needsNoDecoding } from './text';
import { userAgents } from './intern';

/** Index of the closing quote of a quoted field whose content starts at `from`, honouring backslash escapes. */
export function findQuoteEnd(line: string, from: number): number {
  let i = from;
  for (;;) {
    const q = line.indexOf('"', i);
    if (q === -1) return -1;
    let backslashes = 0;
    for (let k = q - 1; k >= from && line.charCodeAt(k) === 92; k--) backslashes++;
    if ((backslashes & 1) === 0) return q;
    i = q + 1;
  }
}

interface Prefix {
  ip: string;
  user: string;
  host: string;
  forwardedFor: string;
}

/** Groups tokens so that `a, b, c` lists and `"quoted lists"` count as one field. */
function groupTokens(tokens: string[]): string[] {
  const groups: string[] = [];
  let current = '';
  let open = false;
  for (const t of tokens) {
    if (t === '') continue;
    current = current === '' ? t : current + ' ' + t;
    if (!open && t.startsWith('"') && !(t.length > 1 && t.endsWith('"'))) open = true;
    else if (open && t.endsWith('"')) open = false;
    if (!open && !t.endsWith(',')) {
      groups.push(current);
      current = '';
    }
  }
  if (current !== '') groups.push(current);
  return groups;
}

function lastListItem(list: string): string {
  const comma = list.lastIndexOf(',');
  return comma === -1 ? list : list.slice(comma + 1).trim();
}

const MAX_PREFIX_TOKENS = 256;

/** Reads `[vhost[:port]] [xff-list] address ident user` (ident may be missing). */
function parsePrefix(prefix: string, plain: boolean): Prefix | string {
  const s1 = prefix.indexOf(' ');
  if (s1 > 0) {
    const s2 = prefix.indexOf(' ', s1 + 1);
    // Fast path, `address ident user`: the overwhelmingly common shape.
    if (s2 > s1 + 1 && prefix.indexOf(' ', s2 + 1) === -1 && prefix.indexOf(',') === -1) {
      return { ip: normalizeIp(prefix.slice(0, s1)), user: fieldText(prefix.slice(s2 + 1), plain), host: '', forwardedFor: '' };
    }
  }
  // A real prefix is a handful of fields (a long X-Forwarded-For list at most); splitting an
  // attacker's run of 100 k spaces into tokens would cost memory for nothing.
  const tokens = prefix.split(' ', MAX_PREFIX_TOKENS + 1);
  if (tokens.length > MAX_PREFIX_TOKENS) return `more than ${MAX_PREFIX_TOKENS} fields before the timestamp`;
  const user = tokens.pop() ?? '';
  if (tokens.length >= 2) tokens.pop(); // ident (RFC 1413), always '-' in practice
  const groups = groupTokens(tokens);
  if (groups.length === 0 || groups.length > 3) return `expected "address ident user" before the timestamp, found ${tokens.length + 2} fields`;
  // A list in the address position is a proxy chain logged as the peer: trust only its last hop,
  // the one that actually connected; the rest is client-supplied and spoofable.
  const address = groups[groups.length - 1] as string;
  const ip = normalizeIp(lastListItem(address).replace(/"/g, ''));
  if (ip === '' || ip === '-') return 'no client address before the timestamp';
  if (groups.length === 3 && !/[,"]/.test(groups[1] as string)) return `expected "[vhost] address ident user" before the timestamp, found ${tokens.length + 2} fields`;
  const host = groups.length >= 2 ? stripPort(groups[0] as string) : '';
  let forwardedFor = address.indexOf(',') !== -1 ? address : '';
  if (groups.length === 3) forwardedFor = (groups[1] as string).replace(/"/g, '');
  return { ip, user: fieldText(user), host, forwardedFor };
}

// Only consulted for lines that already failed; the Nginx form may follow a syslog prefix.
const ERROR_LOG_LINE = /\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[(?:debug|info|notice|warn|error|crit|alert|emerg)\]|^\[(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) /;

function fail(reason: string): ParseFailure {
  return { reason };
}

export function parseClfLine(line: string, file: string, lineNo: number, knownPlain = false): LogEvent | ParseFailure {
  const open = line.indexOf(' [');
  if (open <= 0) return fail('no "[time]" field: not an access log line in common/combined format');
  const close = line.indexOf(']', open + 2);
  if (close === -1) return fail('unterminated "[time]" field');
  const time = parseClfTimeIn(line, open + 2, close);
  if (Number.isNaN(time)) {
    if (ERROR_LOG_LINE.test(line)) return fail('an error-log line, not an access-log record');
    return fail(`bad timestamp "${line.slice(open + 2, Math.min(close, open + 40))}"`);
  }
  // Most lines hold no escape and no byte >= 0x80: one test here, and their fields are their own text.
  const plain = knownPlain || needsNoDecoding(line);
  const prefix = parsePrefix(line.slice(0, open), plain);
  if (typeof prefix === 'string') return fail(prefix);
  if (line.charCodeAt(close + 1) !== 32 || line.charCodeAt(close + 2) !== 34) return fail('expected a quoted request after the timestamp');

  // The request: a quote not followed by ` status ` is an unescaped quote inside the request
  // (old Apache); keep looking for the real end.
  const reqStart = close + 3;
  let reqEnd = findQuoteEnd(line, reqStart);
  let status = NaN;
  let statusEnd = -1;
  while (reqEnd !== -1) {
    if (line.charCodeAt(reqEnd + 1) === 32) {
      statusEnd = line.indexOf(' ', reqEnd + 2);
      status = parseStatus(line.slice(reqEnd + 2, statusEnd === -1 ? line.length : statusEnd));
      if (!Number.isNaN(status)) break;
    }
    reqEnd = findQuoteEnd(line, reqEnd + 1);
  }
  if (reqEnd === -1) return fail('no 3-digit status code after the quoted request');
  if (statusEnd === -1) return fail('missing response size after the status');

  let bytesEnd = line.indexOf(' ', statusEnd + 1);
  if (bytesEnd === -1) bytesEnd = line.length;
  const bytes = parseBytes(line.slice(statusEnd + 1, bytesEnd));
  if (bytes === undefined) return fail(`bad response size "${line.slice(statusEnd + 1, Math.min(bytesEnd, statusEnd + 20))}"`);

  let referer = '';
  let userAgent = '';
  // Traefik's common format writes an empty referer as a bare `-`; the user agent still follows, quoted.
  const bareReferer = line.charCodeAt(bytesEnd + 1) === 45 && line.charCodeAt(bytesEnd + 2) === 32 && line.charCodeAt(bytesEnd + 3) === 34;
  if (line.charCodeAt(bytesEnd + 1) === 34 || bareReferer) {
    // Real logs hold lines cut short by a full disk or a crash: an unterminated last field runs to the end.
    let refEnd = bareReferer ? bytesEnd + 1 : findQuoteEnd(line, bytesEnd + 2);
    if (refEnd === -1) refEnd = line.length;
    if (!bareReferer) referer = fieldText(line.slice(bytesEnd + 2, refEnd), plain);
    if (line.charCodeAt(refEnd + 1) === 32 && line.charCodeAt(refEnd + 2) === 34) {
      let uaEnd = findQuoteEnd(line, refEnd + 3);
      if (uaEnd === -1) uaEnd = line.length;
      userAgent = userAgents.intern(fieldText(line.slice(refEnd + 3, uaEnd), plain));
    }
  }

  const req = decodeRequest(line.slice(reqStart, reqEnd), plain);
  const event: LogEvent = {
    time,
    ip: prefix.ip,
    method: req.method,
    path: req.path,
    query: req.query,
    protocol: req.protocol,
    request: req.request,
    status,
    bytes,
    referer,
    userAgent,
    remoteUser: prefix.user,
    host: prefix.host,
    requestTime: null,
    forwardedFor: prefix.forwardedFor,
    raw: line,
    file,
    line: lineNo,
  };
  return detachedIfLong(event, KEPT_EVENT_FIELDS);
}
