/** Field interpreters shared by every access-log parser, so each format yields the same LogEvent. */
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { fieldText, latin1ToText, safeDecodePath, unescapeLatin1 } from './text';

/**
 * Normalizes a client address: IPv6 in RFC 5952 compressed form, IPv4-mapped IPv6 unwrapped.
 * A host name (Apache HostnameLookups, `unix:`) is kept as written: it is still a client identity.
 */
export function normalizeIp(raw: string): string {
  if (raw.indexOf(':') === -1) return raw;
  // IPv6 parsing is the costly case and clients repeat: remember recent answers (bounded).
  const known = ipv6Normalized.get(raw);
  if (known !== undefined) return known;
  let s = raw;
  if (s.charCodeAt(0) === 91 /* [ */ && s.endsWith(']')) s = s.slice(1, -1);
  if (isIP(s) === 6) {
    const addr = ipaddr.IPv6.parse(s);
    s = addr.isIPv4MappedAddress() ? addr.toIPv4Address().toString() : addr.toRFC5952String();
  }
  if (ipv6Normalized.size >= IPV6_CACHE_MAX) ipv6Normalized.clear();
  ipv6Normalized.set(raw, s);
  return s;
}

const IPV6_CACHE_MAX = 4096;

/**
 * `host:port`, `1.2.3.4:5678` or `[::1]:5678` without the port (load balancers and proxies log the
 * client as address:port). A bare IPv6 address has several colons and is left as it is.
 */
export function stripPort(address: string): string {
  const colon = address.lastIndexOf(':');
  if (colon <= 0) return address;
  if (address.charCodeAt(0) === 91 /* [ */) {
    const close = address.indexOf(']');
    return close > 0 && close === colon - 1 ? address.slice(1, close) : address;
  }
  if (address.indexOf(':') !== colon) return address;
  for (let i = colon + 1; i < address.length; i++) {
    const c = address.charCodeAt(i);
    if (c < 48 || c > 57) return address;
  }
  return address.slice(0, colon);
}
const ipv6Normalized = new Map<string, string>();

export interface RequestParts {
  method: string;
  path: string;
  query: string;
  protocol: string;
}

const NO_REQUEST: RequestParts = { method: '', path: '', query: '', protocol: '' };

function isMethodToken(s: string): boolean {
  if (s.length === 0 || s.length > 24) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 65 && c <= 90) || c === 95 || c === 45)) return false;
  }
  return true;
}

/**
 * Splits `METHOD TARGET PROTOCOL`. Real request lines are ugly: extra spaces inside the target,
 * no protocol (HTTP/0.9 style), '-' (client sent nothing), or binary (a TLS handshake on a plain
 * port). Anything that does not start with a method token gives empty parts: the raw line is
 * still kept in `request`.
 */
export function splitRequest(request: string): RequestParts {
  const firstSpace = request.indexOf(' ');
  if (firstSpace <= 0) return NO_REQUEST;
  const method = request.slice(0, firstSpace);
  if (!isMethodToken(method)) return NO_REQUEST;
  let rest = request.slice(firstSpace + 1).trim();
  let protocol = '';
  const lastSpace = rest.lastIndexOf(' ');
  if (lastSpace !== -1 && rest.startsWith('HTTP/', lastSpace + 1)) {
    protocol = rest.slice(lastSpace + 1);
    rest = rest.slice(0, lastSpace).trimEnd();
  } else if (rest.startsWith('HTTP/') && rest.indexOf(' ') === -1) {
    return { method, path: '', query: '', protocol: rest };
  }
  const target = splitTarget(rest);
  return { method, path: target.path, query: target.query, protocol };
}

/** `/a%20b?x=1` to path `/a b` and query `x=1`; an absolute-form target keeps only its path. */
export function splitTarget(target: string): { path: string; query: string } {
  let t = target;
  if (t.startsWith('http://') || t.startsWith('https://')) {
    const slash = t.indexOf('/', t.indexOf('//') + 2);
    t = slash === -1 ? '/' : t.slice(slash);
  }
  const q = t.indexOf('?');
  if (q === -1) return { path: safeDecodePath(t), query: '' };
  return { path: safeDecodePath(t.slice(0, q)), query: t.slice(q + 1) };
}

/**
 * A quoted request field as logged (latin1, escapes in place) to its decoded text and parts.
 * `plain`: the caller knows the field holds no escape and no byte >= 0x80, so it is its own text.
 */
export function decodeRequest(raw: string, plain = false): { request: string } & RequestParts {
  if (raw === '-' || raw === '') return { request: raw === '-' ? '' : raw, ...NO_REQUEST };
  const request = plain ? raw : latin1ToText(unescapeLatin1(raw));
  const parts = splitRequest(request);
  return { request, method: parts.method, path: parts.path, query: parts.query, protocol: parts.protocol };
}

export function parseStatus(s: string): number {
  if (s.length !== 3) return NaN;
  const a = s.charCodeAt(0) - 48;
  const b = s.charCodeAt(1) - 48;
  const c = s.charCodeAt(2) - 48;
  if (a < 1 || a > 5 || b < 0 || b > 9 || c < 0 || c > 9) return NaN;
  return a * 100 + b * 10 + c;
}

/** Bytes: digits, or '-' for none. Returns undefined when the field is not a byte count. */
export function parseBytes(s: string): number | null | undefined {
  if (s === '-') return null;
  if (s.length === 0 || s.length > 15) return undefined;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return undefined;
    n = n * 10 + c;
  }
  return n;
}

/** A duration field in seconds; `unitsPerSecond` is 1e3 for ms and 1e6 for µs fields. */
export function parseSeconds(s: string, unitsPerSecond: number): number | null {
  if (s === '-' || s === '') return null;
  const n = Number(s);
  return Number.isFinite(n) ? n / unitsPerSecond : null;
}

export { fieldText };
