/**
 * Logs of whole sites for the verdict scenarios: ordinary traffic as a web server writes it
 * (combined access lines, nginx / Apache error lines), with the incident under test written in.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Traffic, BROWSERS, render, type SynthRequest } from '../../src/synth/traffic';
import { runReport, type RunReportOptions } from '../../src/report/run';
import type { ReportModel } from '../../src/report/model';
import type { RuleSet } from '../../src/rules/load';

export const H = 3_600_000;
export const M = 60_000;

/**
 * People logging in with a form: GET the form, POST credentials; `failShare` of them mistype first
 * and retype 6–20 s later (too late to read as a challenge answered). `usersPerMin` new visits a minute
 * from a pool of `pool` addresses, so most of them come back within the hour.
 */
export function loginUsers(t: Traffic, from: number, to: number, usersPerMin: number, failShare: number, pool = 120, loginPath = '/login'): void {
  const people = Array.from({ length: pool }, (_, i) => ({ ip: `198.51.${100 + (i % 3)}.${10 + (i % 200)}`, ua: BROWSERS[i % BROWSERS.length] as string }));
  for (let time = from; time < to; time += M) {
    const n = t.int(Math.floor(usersPerMin * 0.7), Math.ceil(usersPerMin * 1.3));
    for (let k = 0; k < n; k++) {
      const p = t.pick(people);
      let at = time + t.int(0, 59_000);
      t.add({ time: at, ip: p.ip, user: '-', method: 'GET', target: loginPath, status: 200, userAgent: p.ua });
      at += t.int(3_000, 9_000);
      if (t.random() < failShare) {
        t.add({ time: at, ip: p.ip, user: '-', method: 'POST', target: loginPath, status: 401, userAgent: p.ua });
        at += t.int(6_000, 20_000);
      }
      t.add({ time: at, ip: p.ip, user: '-', method: 'POST', target: loginPath, status: 302, userAgent: p.ua });
      t.add({ time: at + 400, ip: p.ip, user: '-', method: 'GET', target: '/account', status: 200, userAgent: p.ua });
    }
  }
}

/** `n` requests from one address, `gapMs` apart (± a quarter). */
export function hammer(t: Traffic, r: Omit<SynthRequest, 'time' | 'host' | 'referer' | 'bytes'>, from: number, n: number, gapMs: number): void {
  for (let k = 0; k < n; k++) t.add({ ...r, time: from + k * gapMs + t.int(0, Math.floor(gapMs / 4)) });
}

const p2 = (n: number) => String(n).padStart(2, '0');

/** nginx's error-log time (local time, no zone: the tests log in UTC). */
export function nginxTime(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}/${p2(d.getUTCMonth() + 1)}/${p2(d.getUTCDate())} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`;
}

/** An nginx error-log line about request `r`, as ngx_http_auth_basic_module writes it. */
export function nginxError(r: Pick<SynthRequest, 'time' | 'ip' | 'method' | 'target'>, message: string, n: number, level = 'error'): string {
  return `${nginxTime(r.time)} [${level}] 2865#2865: *${n} ${message}, client: ${r.ip}, server: shop.example.com, request: "${r.method} ${r.target} HTTP/1.1", host: "shop.example.com"`;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** An Apache 2.4 error-log line (mod_auth_basic and friends). */
export function apacheError(r: Pick<SynthRequest, 'time' | 'ip'>, module: string, message: string): string {
  const d = new Date(r.time);
  const stamp = `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${p2(d.getUTCDate())} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}.${String(d.getUTCMilliseconds()).padStart(3, '0')}123 ${d.getUTCFullYear()}`;
  return `[${stamp}] [${module}:error] [pid 17512:tid 140123079128832] [client ${r.ip}:51386] ${message}`;
}

let written = 0;

/** Writes the access log (combined, UTC) and, when given, the error log; returns their paths. */
export function writeSite(dir: string, t: Traffic, errorLines?: string[]): { access: string; error?: string } {
  const access = path.join(dir, `access-${++written}.log`);
  writeFileSync(access, t.sorted().map((r) => render(r, 'combined')).join('\n') + '\n');
  if (errorLines === undefined) return { access };
  const error = path.join(dir, `error-${written}.log`);
  writeFileSync(error, errorLines.join('\n') + '\n');
  return { access, error };
}

/** Writes only an error log. */
export function writeErrorLog(dir: string, lines: string[]): string {
  const error = path.join(dir, `error-${++written}.log`);
  writeFileSync(error, lines.join('\n') + '\n');
  return error;
}

export async function report(files: string[], rules: RuleSet, opts: Partial<RunReportOptions> = {}): Promise<ReportModel> {
  return runReport(files, { format: 'auto', rules, errorLogUtcOffsetMinutes: 0, ...opts });
}

/** `rule group` of each incident, for readable expectations. */
export function found(r: ReportModel): string[] {
  return r.incidents.map((i) => `${i.rule} ${Object.values(i.group).join(' ')}`.trim()).sort();
}
