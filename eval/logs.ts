/**
 * What one case's server wrote: requests (the access log) and error-log entries, and how they are
 * rendered in the formats real Nginx and Apache write, with their escaping, sizes and clocks.
 * Written apart from src/synth on purpose (its request type looks alike): the lines the product is
 * judged on must not come from the product's own writer.
 */

/** One request as the server handled it. `ip` is the client; the proxy in front decides what the log shows. */
export interface Hit {
  /** Start of the request, epoch ms (UTC). */
  t: number;
  ip: string;
  /** The user name the client sent (Basic auth), '' for none: servers log it on 401s too. */
  user: string;
  method: string;
  /** Path and query as sent. */
  target: string;
  status: number;
  bytes: number;
  referer: string;
  ua: string;
  /** Time to answer, ms: Nginx stamps the end of the request, Apache its start. */
  ms: number;
  /** Reached the server without the reverse proxy (load-balancer health checks). */
  direct?: boolean;
}

export type ErrWhat =
  | 'user_not_found' | 'password_mismatch' | 'pwfile_missing' | 'pwfile_unreadable'
  | 'file_not_found' | 'forbidden_by_rule' | 'upstream_timeout' | 'upstream_refused' | 'body_too_large';

export interface ErrEntry {
  t: number;
  ip: string;
  what: ErrWhat;
  user: string;
  method: string;
  target: string;
  /** Password file (pwfile_*) or the document root file (file_not_found, forbidden_by_rule). */
  file: string;
  referer: string;
}

export type Server = 'nginx' | 'apache';

/** Access-log formats: which need `--format` is said by `needsFormatOption`. */
export type AccessFormat = 'nginx_combined' | 'nginx_main_xff' | 'nginx_timing' | 'nginx_json' | 'nginx_vhost' | 'apache_combined' | 'apache_vhost';

/**
 * How the client address reaches the log. `none`: the server faces the internet. `realip`: a proxy in
 * front and real_ip / mod_remoteip configured (the client is logged). `xff`: the proxy's address is
 * logged and the client is in a logged X-Forwarded-For. `peer`: the proxy's address only.
 */
export type ProxyMode = 'none' | 'realip' | 'xff' | 'peer';

export interface ServerSetup {
  server: Server;
  format: AccessFormat;
  /** The server's local time, minutes east of UTC (error logs carry no zone). */
  offsetMin: number;
  host: string;
  proxy: ProxyMode;
  /** The proxy's address as the server sees it (127.0.0.1, 172.17.0.1, 10.x, ::1). */
  proxyPeer: string;
  /** The load balancer that sends health checks straight to the server. */
  lbPeer: string;
  /** Nginx: worker pids; Apache: child pids (with a thread id when the MPM is threaded). */
  pids: number[];
  apacheThreaded: boolean;
  docRoot: string;
  /** JSON key set, when the format is nginx_json. */
  jsonKeys: 'time_local' | 'iso_unquoted';
}

/** The Nginx log_format string of a format that auto-detection cannot read (given with `--format`). */
export const NGINX_VHOST_FORMAT = '$host $remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time';

export function needsFormatOption(format: AccessFormat): string | null {
  return format === 'nginx_vhost' ? `nginx:${NGINX_VHOST_FORMAT}` : null;
}

export function logsForwardedFor(format: AccessFormat): boolean {
  return format === 'nginx_main_xff' || format === 'nginx_json';
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const p2 = (n: number) => (n < 10 ? '0' : '') + n;
const p3 = (n: number) => String(n).padStart(3, '0');

function zone(offsetMin: number, colon: boolean): string {
  const o = Math.abs(offsetMin);
  return `${offsetMin < 0 ? '-' : '+'}${p2(Math.floor(o / 60))}${colon ? ':' : ''}${p2(o % 60)}`;
}

/** Wall-clock fields of `ms` in the server's zone. */
function local(ms: number, offsetMin: number): Date {
  return new Date(ms + offsetMin * 60_000);
}

/** `$time_local` / Apache `%t`: `20/Nov/2026:09:00:01 +0100`. Cached per second: consecutive lines share it. */
function clfTimeCached(): (ms: number, offsetMin: number) => string {
  let lastSec = NaN;
  let last = '';
  return (ms, offsetMin) => {
    const sec = Math.floor(ms / 1000);
    if (sec !== lastSec) {
      const d = local(sec * 1000, offsetMin);
      last = `${p2(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} ${zone(offsetMin, false)}`;
      lastSec = sec;
    }
    return last;
  };
}

function isoTime(ms: number, offsetMin: number): string {
  return local(Math.floor(ms / 1000) * 1000, offsetMin).toISOString().slice(0, 19) + zone(offsetMin, true);
}

/** Nginx escapes `"`, `\` and bytes outside printable ASCII as \xHH in text log formats. */
function nginxEscape(s: string): string {
  if (!/["\\\x00-\x1f\x7f-\uffff]/.test(s)) return s;
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) out += byte === 0x22 || byte === 0x5c || byte < 0x20 || byte >= 0x7f ? `\\x${byte.toString(16).toUpperCase().padStart(2, '0')}` : String.fromCharCode(byte);
  return out;
}

/** Apache escapes `"` and `\` with a backslash and other non-printable bytes as \xhh. */
function apacheEscape(s: string): string {
  if (!/["\\\x00-\x1f\x7f-\uffff]/.test(s)) return s;
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    if (byte === 0x22) out += '\\"';
    else if (byte === 0x5c) out += '\\\\';
    else out += byte < 0x20 || byte >= 0x7f ? `\\x${byte.toString(16).padStart(2, '0')}` : String.fromCharCode(byte);
  }
  return out;
}

/** The address the access log shows: the client, the proxy in front, or the load balancer for its own checks. */
function peerOf(h: Hit, s: ServerSetup): string {
  if (h.direct) return s.lbPeer;
  return s.proxy === 'xff' || s.proxy === 'peer' ? s.proxyPeer : h.ip;
}

/** The logged X-Forwarded-For: the client when a proxy forwarded the request. */
function forwardedOf(h: Hit, s: ServerSetup): string {
  return h.direct || s.proxy === 'none' ? '' : h.ip;
}

export interface AccessRenderer {
  (h: Hit): string;
}

export function accessRenderer(s: ServerSetup): AccessRenderer {
  const clf = clfTimeCached();
  const dash = (v: string) => (v === '' ? '-' : v);
  switch (s.format) {
    case 'nginx_combined':
    case 'nginx_main_xff':
    case 'nginx_timing':
    case 'nginx_vhost':
      return (h) => {
        const peer = peerOf(h, s);
        const end = h.t + h.ms;
        const head = `${peer} - ${nginxEscape(dash(h.user))} [${clf(end, s.offsetMin)}] "${nginxEscape(`${h.method} ${h.target} HTTP/1.1`)}" ${h.status} ${h.bytes} "${nginxEscape(dash(h.referer))}" "${nginxEscape(dash(h.ua))}"`;
        const rt = (h.ms / 1000).toFixed(3);
        if (s.format === 'nginx_main_xff') return `${head} "${nginxEscape(dash(forwardedOf(h, s)))}"`;
        if (s.format === 'nginx_timing') return `${head} rt=${rt} uct="0.000" uht="${rt}" urt="${rt}"`;
        if (s.format === 'nginx_vhost') return `${s.host} ${head} ${rt}`;
        return head;
      };
    case 'nginx_json':
      return (h) => {
        const peer = peerOf(h, s);
        const xff = forwardedOf(h, s);
        const end = h.t + h.ms;
        const request = `${h.method} ${h.target} HTTP/1.1`;
        const rt = (h.ms / 1000).toFixed(3);
        // escape=json: the values are JSON strings; some configs leave the numbers unquoted.
        if (s.jsonKeys === 'time_local') {
          return `{"time_local":"${clf(end, s.offsetMin)}","remote_addr":"${peer}","remote_user":${JSON.stringify(h.user)},"request":${JSON.stringify(request)},"status":"${h.status}","body_bytes_sent":"${h.bytes}","request_time":"${rt}","http_referrer":${JSON.stringify(h.referer)},"http_user_agent":${JSON.stringify(h.ua)},"http_x_forwarded_for":${JSON.stringify(xff)}}`;
        }
        return `{"time_iso8601":"${isoTime(end, s.offsetMin)}","remote_addr":"${peer}","remote_user":${JSON.stringify(h.user)},"host":"${s.host}","request":${JSON.stringify(request)},"status":${h.status},"body_bytes_sent":${h.bytes},"request_time":${rt},"http_referer":${JSON.stringify(h.referer)},"http_user_agent":${JSON.stringify(h.ua)},"http_x_forwarded_for":${JSON.stringify(xff)}}`;
      };
    case 'apache_combined':
    case 'apache_vhost':
      return (h) => {
        const peer = peerOf(h, s);
        const line = `${peer} - ${apacheEscape(dash(h.user))} [${clf(h.t, s.offsetMin)}] "${apacheEscape(`${h.method} ${h.target} HTTP/1.1`)}" ${h.status} ${h.bytes === 0 ? '-' : h.bytes} "${apacheEscape(dash(h.referer))}" "${apacheEscape(dash(h.ua))}"`;
        return s.format === 'apache_vhost' ? `${s.host}:443 ${line}` : line;
      };
  }
}

/** Nginx writes a line when the request ends; Apache stamps the start but also writes at the end. */
export function writeOrder(h: Hit): number {
  return h.t + h.ms;
}

function nginxErrorTime(ms: number, offsetMin: number): string {
  const d = local(ms, offsetMin);
  return `${d.getUTCFullYear()}/${p2(d.getUTCMonth() + 1)}/${p2(d.getUTCDate())} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`;
}

function apacheErrorTime(ms: number, offsetMin: number): string {
  const d = local(ms, offsetMin);
  const micro = p3(d.getUTCMilliseconds()) + String(Math.floor((ms * 7919) % 1000)).padStart(3, '0');
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${p2(d.getUTCDate())} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}.${micro} ${d.getUTCFullYear()}`;
}

/** The address the error log names: the connection's peer after real_ip / mod_remoteip. */
function errorPeer(e: ErrEntry, s: ServerSetup): string {
  return s.proxy === 'xff' || s.proxy === 'peer' ? s.proxyPeer : e.ip;
}

/** Renders error entries; null for what the server does not write at its default log level. */
export function errorRenderer(s: ServerSetup): (e: ErrEntry, seq: number) => string | null {
  if (s.server === 'nginx') {
    return (e, seq) => {
      const pid = s.pids[seq % s.pids.length] as number;
      const tail = `, client: ${errorPeer(e, s)}, server: ${s.host}, request: "${e.method} ${e.target} HTTP/1.1", host: "${s.host}"${e.referer ? `, referrer: "${e.referer}"` : ''}`;
      const head = (level: string) => `${nginxErrorTime(e.t, s.offsetMin)} [${level}] ${pid}#${pid}: *${100000 + seq * 7} `;
      switch (e.what) {
        case 'user_not_found': return `${head('error')}user "${e.user}" was not found in "${e.file}"${tail}`;
        case 'password_mismatch': return `${head('error')}user "${e.user}": password mismatch${tail}`;
        case 'pwfile_missing': return `${head('error')}open() "${e.file}" failed (2: No such file or directory)${tail}`;
        case 'pwfile_unreadable': return `${head('crit')}open() "${e.file}" failed (13: Permission denied)${tail}`;
        case 'file_not_found': return `${head('error')}open() "${e.file}" failed (2: No such file or directory)${tail}`;
        case 'forbidden_by_rule': return `${head('error')}access forbidden by rule${tail}`;
        case 'upstream_timeout': return `${head('error')}upstream timed out (110: Connection timed out) while reading response header from upstream${tail}, upstream: "http://127.0.0.1:8080${e.target}"`;
        case 'upstream_refused': return `${head('error')}connect() failed (111: Connection refused) while connecting to upstream${tail}, upstream: "http://127.0.0.1:8080${e.target}"`;
        case 'body_too_large': return `${head('error')}client intended to send too large body: ${1048576 + (seq % 9000) * 1000} bytes${tail}`;
      }
    };
  }
  return (e, seq) => {
    const pid = s.pids[seq % s.pids.length] as number;
    const proc = s.apacheThreaded ? `[pid ${pid}:tid ${139876543210000 + (seq % 64) * 4096}]` : `[pid ${pid}]`;
    const client = `[client ${errorPeer(e, s)}:${40000 + ((seq * 7919) % 25000)}]`;
    const ref = e.referer ? `, referer: ${e.referer}` : '';
    const at = `[${apacheErrorTime(e.t, s.offsetMin)}]`;
    const path = e.target.replace(/\?.*$/, '');
    switch (e.what) {
      case 'user_not_found': return `${at} [auth_basic:error] ${proc} ${client} AH01618: user ${e.user} not found: ${path}${ref}`;
      case 'password_mismatch': return `${at} [auth_basic:error] ${proc} ${client} AH01617: user ${e.user}: authentication failure for "${path}": Password Mismatch${ref}`;
      case 'pwfile_missing': return `${at} [authn_file:error] ${proc} (2)No such file or directory: ${client} AH01620: Could not open password file: ${e.file}${ref}`;
      case 'pwfile_unreadable': return `${at} [authn_file:error] ${proc} (13)Permission denied: ${client} AH01620: Could not open password file: ${e.file}${ref}`;
      // Apache 2.4 logs a missing file (AH00128) at level info, below the default LogLevel warn.
      case 'file_not_found': return null;
      case 'forbidden_by_rule': return `${at} [authz_core:error] ${proc} ${client} AH01630: client denied by server configuration: ${e.file}${ref}`;
      case 'upstream_timeout': return `${at} [proxy_http:error] ${proc} (70007)The timeout specified has expired: ${client} AH01102: error reading status line from remote server 127.0.0.1:8080${ref}`;
      case 'upstream_refused': return `${at} [proxy:error] ${proc} (111)Connection refused: AH00957: http: attempt to connect to 127.0.0.1:8080 (127.0.0.1) failed`;
      case 'body_too_large': return `${at} [core:error] ${proc} ${client} AH00126: Invalid URI in request ${e.method} ${path} HTTP/1.1${ref}`;
    }
  };
}

/** A case's raw material, filled by the background and the incidents. */
export class CaseLog {
  readonly hits: Hit[] = [];
  readonly errors: ErrEntry[] = [];

  constructor(readonly start: number, readonly end: number) {}

  /** Adds a request if it falls inside the log's span (sessions begun before the log are cut at its start). */
  hit(h: Hit): void {
    if (h.t >= this.start && h.t < this.end) this.hits.push(h);
  }

  error(e: ErrEntry): void {
    if (e.t >= this.start && e.t < this.end) this.errors.push(e);
  }
}

export interface RenderedFile {
  /** The file's content, newline-terminated lines. */
  text: string;
  lines: number;
}

export interface RenderedCase {
  access: RenderedFile;
  error: RenderedFile;
}

/**
 * Joins lines as they are made, a few thousand at a time: a template-built line is a rope of
 * pieces, and keeping 200,000 of them alive until one final join cost four times the rendering itself in
 * garbage collection (measured: 1.35 s against 0.27 s for 160,000 lines).
 */
class TextBuilder {
  private readonly chunks: string[] = [];
  private pending: string[] = [];
  lines = 0;

  push(line: string): void {
    this.pending.push(line);
    this.lines++;
    if (this.pending.length === 2048) this.flush();
  }

  private flush(): void {
    if (this.pending.length) this.chunks.push(this.pending.join('\n') + '\n');
    this.pending = [];
  }

  done(): RenderedFile {
    this.flush();
    return { text: this.chunks.join(''), lines: this.lines };
  }
}

/** Lines in the order the server writes them. */
export function renderCase(log: CaseLog, s: ServerSetup): RenderedCase {
  const hits = [...log.hits].sort((a, b) => writeOrder(a) - writeOrder(b));
  const render = accessRenderer(s);
  const access = new TextBuilder();
  for (const h of hits) access.push(render(h));
  const errs = [...log.errors].sort((a, b) => a.t - b.t);
  const renderErr = errorRenderer(s);
  const error = new TextBuilder();
  errs.forEach((e, i) => {
    const line = renderErr(e, i);
    if (line !== null) error.push(line);
  });
  return { access: access.done(), error: error.done() };
}
