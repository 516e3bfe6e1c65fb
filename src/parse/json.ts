/**
 * JSON access logs, one object a line: Nginx `log_format ... escape=json` with the usual
 * variable names as keys, and the common aliases other tools write (ip, date, user_agent...).
 */
import { z } from 'zod';
import type { LogEvent, ParseFailure } from './event';
import { decodeRequest, normalizeIp, splitTarget } from './fields';
import { parseClfTime, parseEpochSeconds, parseIsoTime } from './time';
import { latin1ToText } from './text';
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

function str(...values: Scalar[]): string {
  for (const v of values) {
    if (v === undefined || v === null) continue;
    const s = typeof v === 'number' ? String(v) : latin1ToText(v);
    if (s !== '' && s !== '-') return s;
  }
  return '';
}

function timeOf(o: JsonLine): number {
  const iso = str(o.time_iso8601, o['@timestamp'], o.timestamp, o.date, o.time);
  if (iso !== '') {
    const t = parseIsoTime(iso);
    if (!Number.isNaN(t)) return t;
    const clf = parseClfTime(iso);
    if (!Number.isNaN(clf)) return clf;
    const epoch = parseEpochSeconds(iso);
    if (!Number.isNaN(epoch)) return epoch;
  }
  const local = str(o.time_local);
  if (local !== '') return parseClfTime(local);
  const msec = str(o.msec);
  return msec === '' ? NaN : parseEpochSeconds(msec);
}

export function parseJsonLine(line: string, file: string, lineNo: number): LogEvent | ParseFailure {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
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
  const statusText = str(o.status);
  const status = /^[1-5]\d\d$/.test(statusText) ? Number(statusText) : NaN;
  if (Number.isNaN(status)) return { reason: `JSON line has no valid status (got "${statusText.slice(0, 20)}")` };
  const ipText = str(o.remote_addr, o.ip, o.client, o.clientip, o.remote_ip);
  if (ipText === '') return { reason: 'JSON line has no client address (remote_addr, ip...)' };

  const requestText = str(o.request);
  const req = requestText !== '' ? decodeRequest(requestText) : undefined;
  const target = str(o.request_uri, o.path, o.uri);
  const fromTarget = target !== '' ? splitTarget(target) : undefined;
  const args = str(o.args);
  const bytesText = str(o.body_bytes_sent, o.bytes_sent, o.length, o.bytes);
  const rt = str(o.request_time);
  const method = req?.method || str(o.request_method, o.method);
  const path = req?.path || fromTarget?.path || '';
  const query = req?.query || fromTarget?.query || args;
  const protocol = req?.protocol || str(o.server_protocol);
  return {
    time,
    ip: normalizeIp(ipText),
    method,
    path,
    query,
    protocol,
    request: req?.request ?? (method !== '' ? `${method} ${path}${query ? '?' + query : ''}${protocol ? ' ' + protocol : ''}` : ''),
    status,
    bytes: /^\d+$/.test(bytesText) ? Number(bytesText) : null,
    referer: str(o.http_referer, o.referer, o.referrer),
    userAgent: userAgents.intern(str(o.http_user_agent, o.user_agent, o.agent)),
    remoteUser: str(o.remote_user, o.user),
    host: str(o.host, o.http_host, o.server_name),
    requestTime: rt !== '' && Number.isFinite(Number(rt)) ? Number(rt) : null,
    forwardedFor: str(o.http_x_forwarded_for),
    raw: line,
    file,
    line: lineNo,
  };
}
