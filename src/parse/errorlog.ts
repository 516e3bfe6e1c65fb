/**
 * Nginx and Apache error logs, read for *why* requests failed authentication. Each auth-related
 * line becomes an AuthFailureEvent; other error lines (upstream errors, missing files) are
 * recognized as error-log lines but carry no auth failure.
 *
 * Error logs carry no time zone: their times are read as the server's local time and shifted by
 * `utcOffsetMinutes` (taken from the access logs read alongside, else UTC).
 *
 * Attackers write into these lines too (user names, request lines): each message is matched from
 * its start, and the client address is taken from the structural field, never from free text.
 */
import { isIP } from 'node:net';
import { normalizeIp, splitRequest } from './fields';
import { latin1ToText } from './text';
import { detachedIfLong } from './event';
import { utcMs } from './time';

export const AUTH_REASONS = [
  'user_not_found', 'password_mismatch', 'password_file_unreadable', 'denied_by_rule', 'limit_req',
  'digest_nonce', 'digest_other', 'wrong_scheme', 'authz_denied', 'pam_failure', 'tls_handshake', 'tls_sni_mismatch', 'other',
] as const;
export type AuthReason = (typeof AUTH_REASONS)[number];

export interface AuthFailureEvent {
  kind: 'auth_failure';
  /** Epoch ms (UTC after the offset is applied). */
  time: number;
  ip: string;
  user: string;
  reason: AuthReason;
  /** The password file or denied resource the server names, when it does. */
  detail: string;
  /** The message as logged (for `other`, the only description). */
  message: string;
  request: string;
  path: string;
  host: string;
  server: 'nginx' | 'apache';
  raw: string;
  file: string;
  line: number;
}

/** An error-log line with no authentication meaning (kept apart from malformed lines). */
export interface ErrorLogOther {
  kind: 'error_other';
}

export type ErrorLogResult = AuthFailureEvent | ErrorLogOther | { reason: string };

const NGINX_TIME = /(\d{4})\/(\d\d)\/(\d\d) (\d\d):(\d\d):(\d\d) \[(debug|info|notice|warn|error|crit|alert|emerg)\] \d+#\d+: (?:\*\d+ )?/;
const APACHE_TIME = /\[(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d\d) (\d\d):(\d\d):(\d\d)(?:\.\d+)? (\d{4})\] /;
const SYSLOG_TIME = /^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +(\d{1,2}) (\d\d):(\d\d):(\d\d) \S+ [^:]+: /;
const MONTHS: Record<string, number> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 };

interface Classified {
  reason: AuthReason;
  user: string;
  detail: string;
}

/** open() failures are usually a missing page; only a password file's is an auth misconfiguration. */
const PASSWORD_FILE = /passw|htpasswd|htdigest|\.pass\b|\.users?\b|auth/i;

function nginxClassify(msg: string): Classified | null {
  let m: RegExpExecArray | null;
  if ((m = /^user "(.*)" was not found in "([^"]*)"/.exec(msg))) return { reason: 'user_not_found', user: m[1] as string, detail: m[2] as string };
  if ((m = /^user "(.*)": password mismatch/.exec(msg))) return { reason: 'password_mismatch', user: m[1] as string, detail: '' };
  if ((m = /^open\(\) "([^"]*)" failed \((?:2: No such file or directory|13: Permission denied)\)/.exec(msg)) && PASSWORD_FILE.test(m[1] as string)) {
    return { reason: 'password_file_unreadable', user: '', detail: m[1] as string };
  }
  if ((m = /^PAM: user '(.*)' - not authenticated/.exec(msg))) return { reason: 'pam_failure', user: m[1] as string, detail: '' };
  if (/^access forbidden by rule/.test(msg)) return { reason: 'denied_by_rule', user: '', detail: '' };
  if (/^(?:limiting|delaying) requests?, excess|^limiting connections by zone/.test(msg)) return { reason: 'limit_req', user: '', detail: '' };
  if (/^SSL_(?:do_handshake|read)\(\) failed/.test(msg)) return { reason: 'tls_handshake', user: '', detail: '' };
  if ((m = /^no user\/password was provided for basic authentication/.exec(msg))) return { reason: 'wrong_scheme', user: '', detail: '' };
  return null;
}

function apacheClassify(msg: string): Classified | null {
  let m: RegExpExecArray | null;
  // Messages may start with an AHnnnnn code and, in 2.2, a module prefix such as "Digest: ".
  const body = msg.replace(/^AH\d{5}: /, '');
  const code = /^AH(\d{5})/.exec(msg)?.[1] ?? '';
  if ((m = /^(?:Digest: )?user `(.*)' in realm `.*' not found/.exec(body))) return { reason: 'user_not_found', user: m[1] as string, detail: '' };
  if ((m = /^user (.*?) not found(?:: (\S+))?/.exec(body))) return { reason: 'user_not_found', user: m[1] as string, detail: '' };
  if ((m = /^(?:Digest: )?user (.*?): (?:authentication failure for "[^"]*": )?[Pp]assword [Mm]ismatch/.exec(body))) return { reason: 'password_mismatch', user: m[1] as string, detail: '' };
  if ((m = /^[Cc]ould not open password file: (\S+)/.exec(body)) || code === '01620') return { reason: 'password_file_unreadable', user: '', detail: m?.[1] ?? '' };
  if ((m = /^client denied by server configuration: (\S+)/.exec(body))) return { reason: 'denied_by_rule', user: '', detail: m[1] as string };
  if (/^client used wrong authentication scheme/.test(body)) return { reason: 'wrong_scheme', user: '', detail: '' };
  if ((m = /^Authorization of user (\S+) to access (\S+) failed/.exec(body))) return { reason: 'authz_denied', user: m[1] as string, detail: m[2] as string };
  if ((m = /^user (.*?): authorization failure for "([^"]*)"/.exec(body))) return { reason: 'authz_denied', user: m[1] as string, detail: m[2] as string };
  // A nonce whose hash no longer matches is what every client sends after a server restart: not an attack.
  if (/^(?:Digest: )?invalid nonce .* received - hash is not/.test(body) || code === '01776') return null;
  if (/^(?:Digest: )?invalid nonce/.test(body)) return { reason: 'digest_nonce', user: '', detail: '' };
  if (/^(?:Digest: )?(?:realm mismatch|unknown algorithm|invalid qop)/.test(body)) return { reason: 'digest_other', user: '', detail: '' };
  if (/^(?:Hostname \S+ provided via SNI|No hostname was provided via SNI)/.test(body)) return { reason: 'tls_sni_mismatch', user: '', detail: '' };
  return null;
}

/** Apache module names whose unknown messages are still auth failures, kept as `other`. */
const APACHE_AUTH_MODULE = /^\[(?:auth_basic|auth_digest|authn_[a-z_]+|authz_[a-z_]+|auth_form|authnz_[a-z_]+):error\]/;

function clock(y: number, mo: number, d: number, h: number, mi: number, s: number, offsetMinutes: number): number {
  return utcMs(y, mo, d, h, mi, s) - offsetMinutes * 60_000;
}

/** `, client: 1.2.3.4, server: ` — the last such structural field (a user name may contain a forged one). */
function nginxClient(rest: string): { ip: string; at: number } | null {
  const re = /, client: ([0-9A-Fa-f:.]+), server: /g;
  let found: { ip: string; at: number } | null = null;
  for (let m = re.exec(rest); m; m = re.exec(rest)) if (isIP(m[1] as string)) found = { ip: m[1] as string, at: m.index };
  return found;
}

function nginxField(rest: string, name: string, from: number): string {
  const m = new RegExp(`, ${name}: "([^"]*)"`).exec(rest.slice(from));
  return m ? (m[1] as string) : '';
}

/** What rule tables and the report keep of an authentication failure. */
const KEPT_FAILURE_FIELDS = ['ip', 'user', 'detail', 'path', 'host'] as const;

/**
 * The year of a year-less syslog stamp: the latest that puts it at or before `reference` (the time the
 * file was last written; a day of slack for zones and clock drift). A December line in a file rotated
 * in January is last December, not the coming one; today's year would be wrong for any older file.
 */
export function syslogYear(month: number, day: number, reference: number): number {
  let year = new Date(reference).getUTCFullYear();
  if (Date.UTC(year, month, day) > reference + 86_400_000) year--;
  return year;
}

/** `yearReference`: epoch ms by which the file's lines were written (its mtime; now for a live file). */
export function parseErrorLogLine(line: string, file: string, lineNo: number, utcOffsetMinutes: number, yearReference = Date.now()): ErrorLogResult {
  const text = latin1ToText(line);
  let m = NGINX_TIME.exec(text);
  if (m) {
    const time = clock(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), utcOffsetMinutes);
    const rest = text.slice(m.index + m[0].length);
    const client = nginxClient(rest);
    const msg = client ? rest.slice(0, client.at) : rest;
    const c = nginxClassify(msg);
    if (c === null) return { kind: 'error_other' };
    if (client === null) return { reason: 'auth error line without a client address' };
    const request = nginxField(rest, 'request', client.at);
    const path = splitRequest(request).path;
    // A file the request itself names (GET /.htpasswd on a site served from its root: a 404 of a
    // static file, which drive-by scanners cause all day) is not the password file auth_basic reads.
    if (c.reason === 'password_file_unreadable' && path.length > 1 && c.detail.endsWith(path)) return { kind: 'error_other' };
    return detachedIfLong<AuthFailureEvent>({
      kind: 'auth_failure', time, ip: normalizeIp(client.ip), user: c.user, reason: c.reason, detail: c.detail, message: msg, request,
      path, host: nginxField(rest, 'host', client.at), server: 'nginx', raw: line, file, line: lineNo,
    }, KEPT_FAILURE_FIELDS);
  }
  m = APACHE_TIME.exec(text);
  let time: number;
  let afterTime: string;
  if (m) {
    time = clock(Number(m[6]), MONTHS[m[1] as string] as number, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), utcOffsetMinutes);
    afterTime = text.slice(m.index + m[0].length);
  } else {
    // Apache through syslog: the syslog header carries the time (without a year).
    const s = SYSLOG_TIME.exec(text);
    if (!s || !/^\[[a-z_0-9]*:(?:error|warn|crit|alert|emerg|notice|info)\]|^\[error\]/.test(text.slice(s[0].length))) return { reason: 'not an Nginx or Apache error-log line' };
    const month = MONTHS[s[1] as string] as number;
    time = clock(syslogYear(month, Number(s[2]), yearReference), month, Number(s[2]), Number(s[3]), Number(s[4]), Number(s[5]), utcOffsetMinutes);
    afterTime = text.slice(s[0].length);
  }
  const module = /^\[[^\]]*\]/.exec(afterTime)?.[0] ?? '';
  const cm = /\[(?:client|remote) (\[[0-9A-Fa-f:.]+\]|[0-9A-Fa-f:.]+?)(?::\d+)?\] /.exec(afterTime);
  if (!cm) return { kind: 'error_other' };
  const msg = afterTime.slice(cm.index + cm[0].length);
  const ip = (cm[1] as string).replace(/^\[|\]$/g, '');
  // mod_evasive refuses floods with the same words as an access rule: it is rate limiting.
  let c = /^\[evasive\d*:/.test(module) && /^client denied by server configuration/.test(msg) ? { reason: 'limit_req' as const, user: '', detail: '' } : apacheClassify(msg);
  if (c === null && APACHE_AUTH_MODULE.test(module) && !/^AH01776|invalid nonce .* hash is not/.test(msg)) c = { reason: 'other', user: '', detail: '' };
  if (c === null) return { kind: 'error_other' };
  if (!isIP(ip)) return { reason: `client address "${ip.slice(0, 40)}" is not an IP` };
  const bare = msg.replace(/, referer: .*$/, '');
  const path = /: (\/\S*)$/.exec(bare)?.[1] ?? / for "(\/[^"]*)"/.exec(bare)?.[1] ?? (c.detail.startsWith('/') ? c.detail : '');
  return detachedIfLong<AuthFailureEvent>({ kind: 'auth_failure', time, ip: normalizeIp(ip), user: c.user, reason: c.reason, detail: c.detail, message: msg, request: '', path, host: '', server: 'apache', raw: line, file, line: lineNo }, KEPT_FAILURE_FIELDS);
}
