/**
 * JSON access logs, one object a line: Nginx `log_format ... escape=json` with the usual
 * variable names as keys, and the common aliases other tools write (ip, date, user_agent...).
 */
import { z } from 'zod';
import { detachedIfLong, KEPT_EVENT_FIELDS, type LogEvent, type ParseFailure } from './event';
import { isUtf8 } from 'node:buffer';
import { decodeRequest, normalizeIp, splitTarget } from './fields';
import { parseClfTime, parseEpochSeconds, parseIsoTime } from './time';
import { hasHighByte, latin1ToText } from './text';
import { userAgents } from './intern';

const scalar = z.union([z.string(), z.number(), z.null()]).optional();

/** Every key is optional and extra keys are allowed: which ones a line needs is checked below, with a message. */
export const JsonLineSchema = z.looseObject({
  remote_addr: scalar, ip: scalar, client: scalar, clientip: scalar, remote_ip: scalar,
  time_iso8601: scalar, time_local: scalar, msec: scalar, timestamp: scalar, '@timestamp': scalar, time: scalar, date: scalar,
  request: scalar, request_method: scalar, method: scalar, request_uri: scalar, uri: scalar, path: scalar, args: scalar, server_protocol: scalar,
  status: scalar,
  body_bytes_sent: scalar, bytes_sent: scalar, length: scalar, bytes: scalar,
  http_referer: scalar, referer: scalar, referrer: scalar,
  http_user_agent: scalar, user_agent: scalar, agent: scalar,
  remote_user: scalar, user: scalar,
  request_time: scalar, http_x_forwarded_for: scalar, host: scalar, http_host: scalar, server_name: scalar,
});
type JsonLine = z.infer<typeof JsonLineSchema>;
type Scalar = string | number | null | undefined;

/**
 * The first present value as text ('' and '-' are absent). `undecoded`: the line was not valid
 * UTF-8, so it was parsed as latin1 and each string still holds raw bytes (shown as \xHH).
 */
function str(undecoded: boolean, ...values: Scalar[]): string {
  for (const v of values) {
    if (v === undefined || v === null) continue;
    const s = typeof v === 'number' ? String(v) : undecoded ? latin1ToText(v) : v;
    if (s !== '' && s !== '-') return s;
  }
  return '';
}

function timeOf(o: JsonLine): number {
  // Times are ASCII: no decoding to ask for.
  const iso = str(false, o.time_iso8601, o['@timestamp'], o.timestamp, o.date, o.time);
  if (iso !== '') {
    const t = parseIsoTime(iso);
    if (!Number.isNaN(t)) return t;
    const clf = parseClfTime(iso);
    if (!Number.isNaN(clf)) return clf;
    const epoch = parseEpochSeconds(iso);
    if (!Number.isNaN(epoch)) return epoch;
  }
  const local = str(false, o.time_local);
  if (local !== '') return parseClfTime(local);
  const msec = str(false, o.msec);
  return msec === '' ? NaN : parseEpochSeconds(msec);
}

/**
 * The line arrives latin1-decoded (one char per byte). It is turned into text before JSON.parse, so
 * raw UTF-8 and `\u00e9`-style escapes both come out as the characters they are; a line that is not
 * valid UTF-8 is parsed as it is, and its strings show their bytes >= 0x80 as \xHH.
 */
export function parseJsonLine(line: string, file: string, lineNo: number, knownPlain = false): LogEvent | ParseFailure {
  let text = line;
  let undecoded = false;
  if (!knownPlain && hasHighByte(line)) {
    const bytes = Buffer.from(line, 'latin1');
    if (isUtf8(bytes)) text = bytes.toString('utf8');
    else undecoded = true;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { reason: `invalid JSON: ${(e as Error).message}` };
  }
  const checked = JsonLineSchema.safeParse(raw);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    return { reason: `unexpected JSON: ${issue ? `${issue.path.join('.') || 'line'}: ${issue.message}` : 'not an object'}` };
  }
  const o = checked.data;
  const time = timeOf(o);
  if (Number.isNaN(time)) return { reason: 'JSON line has no usable time (time_iso8601, time_local, msec, @timestamp...)' };
  const statusText = str(undecoded, o.status);
  const status = /^[1-5]\d\d$/.test(statusText) ? Number(statusText) : NaN;
  if (Number.isNaN(status)) return { reason: `JSON line has no valid status (got "${statusText.slice(0, 20)}")` };
  const ipText = str(undecoded, o.remote_addr, o.ip, o.client, o.clientip, o.remote_ip);
  if (ipText === '') return { reason: 'JSON line has no client address (remote_addr, ip...)' };

  const requestText = str(undecoded, o.request);
  // Already text: its escapes were JSON's, undone by JSON.parse.
  const req = requestText !== '' ? decodeRequest(requestText, true) : undefined;
  const target = str(undecoded, o.request_uri, o.path, o.uri);
  const fromTarget = target !== '' ? splitTarget(target) : undefined;
  const args = str(undecoded, o.args);
  const bytesText = str(undecoded, o.body_bytes_sent, o.bytes_sent, o.length, o.bytes);
  const rt = str(undecoded, o.request_time);
  const method = req?.method || str(undecoded, o.request_method, o.method);
  const path = req?.path || fromTarget?.path || '';
  const query = req?.query || fromTarget?.query || args;
  const protocol = req?.protocol || str(undecoded, o.server_protocol);
  const event: LogEvent = {
    time,
    ip: normalizeIp(ipText),
    method,
    path,
    query,
    protocol,
    request: req?.request ?? (method !== '' ? `${method} ${path}${query ? '?' + query : ''}${protocol ? ' ' + protocol : ''}` : ''),
    status,
    bytes: /^\d+$/.test(bytesText) ? Number(bytesText) : null,
    referer: str(undecoded, o.http_referer, o.referer, o.referrer),
    userAgent: userAgents.intern(str(undecoded, o.http_user_agent, o.user_agent, o.agent)),
    remoteUser: str(undecoded, o.remote_user, o.user),
    host: str(undecoded, o.host, o.http_host, o.server_name),
    requestTime: rt !== '' && Number.isFinite(Number(rt)) ? Number(rt) : null,
    forwardedFor: str(undecoded, o.http_x_forwarded_for),
    raw: line,
    file,
    line: lineNo,
  };
  // The path is cut from the request string, which a long line makes long too.
  return detachedIfLong(event, KEPT_EVENT_FIELDS);
}
