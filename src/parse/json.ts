/**
 * JSON access logs, one object a line, read through a field map: which keys (or dotted paths into
 * nested objects) hold the time, the client, the request... A map is data (see decode/presets): Nginx
 * `escape=json` with the usual variable names, Caddy, Traefik and ECS are maps, not parsers.
 *
 * The per-line check is by hand on the keys the map names, not a schema library: zod's safeParse
 * measured ~1.5 µs a line here, more than JSON.parse itself; looking up a dozen keys costs ~0.1 µs.
 * A key whose value is not a string or a number (an object, an array of objects) counts as absent,
 * so a log that nests what another logs flat (ECS's `user_agent: {original, name...}`) does not
 * fail the line.
 */
import { isUtf8 } from 'node:buffer';
import { detachedIfLong, KEPT_EVENT_FIELDS, type LineParser, type LogEvent, type ParseFailure } from './event';
import { decodeRequest, normalizeIp, splitTarget, stripPort } from './fields';
import { parseClfTime, parseEpochSeconds, parseIsoTime } from './time';
import { hasHighByte, latin1ToText } from './text';
import { userAgents } from './intern';

/** Where each field is found: candidate paths, the first present one wins. `a.b` reads `{"a":{"b":…}}` or a flat `"a.b"` key. */
export interface JsonFieldMap {
  time: string[];
  /** Client address; `address:port` is cut to the address. */
  ip: string[];
  status: string[];
  /** The request line (`GET /x?y HTTP/1.1`). */
  request?: string[];
  method?: string[];
  /** Path with its query string. */
  uri?: string[];
  path?: string[];
  query?: string[];
  /** `HTTP/1.1`, or a bare version (`1.1`, as ECS writes it). */
  protocol?: string[];
  bytes?: string[];
  referer?: string[];
  userAgent?: string[];
  user?: string[];
  host?: string[];
  forwardedFor?: string[];
  requestTime?: string[];
  /** Seconds per unit of requestTime (Traefik and ECS log nanoseconds: 1e-9). Default 1. */
  requestTimeUnit?: number;
}

type Json = Record<string, unknown>;
type Getter = (o: Json) => unknown;

function compilePath(path: string): Getter {
  const parts = path.split('.');
  if (parts.length === 1) return (o) => o[path];
  return (o) => {
    const flat = o[path];
    if (flat !== undefined) return flat;
    let v: unknown = o;
    for (const p of parts) {
      if (v === null || typeof v !== 'object') return undefined;
      v = (v as Json)[p];
    }
    return v;
  };
}

/**
 * The first usable value of `getters` as text ('' and '-' are absent). Arrays give their first element
 * (Caddy logs headers as lists). `undecoded`: the line was not valid UTF-8, so it was parsed as latin1
 * and its strings still hold raw bytes (shown as \xHH).
 */
function text(o: Json, getters: Getter[], undecoded: boolean): string {
  for (const get of getters) {
    let v = get(o);
    if (Array.isArray(v)) v = v[0];
    let s: string;
    if (typeof v === 'string') s = undecoded ? latin1ToText(v) : v;
    else if (typeof v === 'number' && Number.isFinite(v)) s = String(v);
    else continue;
    if (s !== '' && s !== '-') return s;
  }
  return '';
}

/** ISO 8601, `$time_local`, or seconds since the epoch (a number or digits, with a fraction). */
function timeOf(s: string): number {
  let t = parseIsoTime(s);
  if (Number.isNaN(t)) t = parseClfTime(s);
  if (Number.isNaN(t)) t = parseEpochSeconds(s);
  return t;
}

type Compiled = { [K in keyof Required<JsonFieldMap>]: K extends 'requestTimeUnit' ? number : Getter[] };

const STATUS = /^[1-5]\d\d$/;
const DIGITS = /^\d+$/;

function namesOf(paths: string[]): string {
  return paths.slice(0, 3).join(', ') + (paths.length > 3 ? '...' : '');
}

export function compileJsonFormat(map: JsonFieldMap): LineParser {
  const g = (paths: string[] | undefined) => (paths ?? []).map(compilePath);
  const c: Compiled = {
    time: g(map.time), ip: g(map.ip), status: g(map.status), request: g(map.request), method: g(map.method), uri: g(map.uri),
    path: g(map.path), query: g(map.query), protocol: g(map.protocol), bytes: g(map.bytes), referer: g(map.referer),
    userAgent: g(map.userAgent), user: g(map.user), host: g(map.host), forwardedFor: g(map.forwardedFor),
    requestTime: g(map.requestTime), requestTimeUnit: map.requestTimeUnit ?? 1,
  };
  const noTime = `JSON line has no usable time (${namesOf(map.time)})`;
  const noIp = `JSON line has no client address (${namesOf(map.ip)})`;

  /**
   * The line arrives latin1-decoded (one char per byte). It is turned into text before JSON.parse, so
   * raw UTF-8 and `\u00e9`-style escapes both come out as the characters they are; a line that is not
   * valid UTF-8 is parsed as it is, and its strings show their bytes >= 0x80 as \xHH.
   */
  return (line: string, file: string, lineNo: number, knownPlain = false): LogEvent | ParseFailure => {
    let source = line;
    let undecoded = false;
    if (!knownPlain && hasHighByte(line)) {
      const bytes = Buffer.from(line, 'latin1');
      if (isUtf8(bytes)) source = bytes.toString('utf8');
      else undecoded = true;
    }
    let o: unknown;
    try {
      o = JSON.parse(source);
    } catch (e) {
      return { reason: `invalid JSON: ${(e as Error).message}` };
    }
    if (o === null || typeof o !== 'object' || Array.isArray(o)) return { reason: 'unexpected JSON: not an object' };
    const j = o as Json;
    const timeText = text(j, c.time, false);
    const time = timeText === '' ? NaN : timeOf(timeText);
    if (Number.isNaN(time)) return { reason: noTime };
    const statusText = text(j, c.status, undecoded);
    if (!STATUS.test(statusText)) return { reason: `JSON line has no valid status (got "${statusText.slice(0, 20)}")` };
    const ipText = text(j, c.ip, undecoded);
    if (ipText === '') return { reason: noIp };

    const requestText = text(j, c.request, undecoded);
    // Already text: its escapes were JSON's, undone by JSON.parse.
    const req = requestText !== '' ? decodeRequest(requestText, true) : undefined;
    const uri = text(j, c.uri, undecoded);
    const fromUri = uri !== '' ? splitTarget(uri) : undefined;
    const pathText = text(j, c.path, undecoded);
    const fromPath = pathText !== '' ? splitTarget(pathText) : undefined;
    const bytesText = text(j, c.bytes, undecoded);
    const rt = text(j, c.requestTime, undecoded);
    const method = req?.method || text(j, c.method, undecoded);
    const path = req?.path || fromUri?.path || fromPath?.path || '';
    const query = req?.query || fromUri?.query || fromPath?.query || text(j, c.query, undecoded).replace(/^\?/, '');
    const version = req?.protocol || text(j, c.protocol, undecoded);
    const protocol = version !== '' && version.charCodeAt(0) >= 48 && version.charCodeAt(0) <= 57 ? 'HTTP/' + version : version;
    const event: LogEvent = {
      time,
      ip: normalizeIp(stripPort(ipText)),
      method,
      path,
      query,
      protocol,
      request: req?.request ?? (method !== '' ? `${method} ${path}${query ? '?' + query : ''}${protocol ? ' ' + protocol : ''}` : ''),
      status: Number(statusText),
      bytes: DIGITS.test(bytesText) ? Number(bytesText) : null,
      referer: text(j, c.referer, undecoded),
      userAgent: userAgents.intern(text(j, c.userAgent, undecoded)),
      remoteUser: text(j, c.user, undecoded),
      host: text(j, c.host, undecoded),
      requestTime: rt !== '' && Number.isFinite(Number(rt)) ? Number(rt) * c.requestTimeUnit : null,
      forwardedFor: text(j, c.forwardedFor, undecoded),
      raw: line,
      file,
      line: lineNo,
    };
    // The path is cut from the request string, which a long line makes long too.
    return detachedIfLong(event, KEPT_EVENT_FIELDS);
  };
}
