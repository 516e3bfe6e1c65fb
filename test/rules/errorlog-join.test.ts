/**
 * Access log + error log of the same traffic: incidents carry the error log's reasons, and a missing
 * password file is reported as the misconfiguration it is, even behind a handful of 401s.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { runReport } from '../../src/report/run';
import { loadRules, type RuleSet } from '../../src/rules/load';
import { Traffic, apiClients, apiTraffic, background, render, type SynthRequest } from '../../src/synth/traffic';
import { ROOT, tempDir } from '../support/paths';

const OFFSET = 60; // the site logs in +01:00; its error log in the same local time, without a zone
const T0 = Date.UTC(2026, 9, 5, 6, 0, 0);
let rules: RuleSet;
beforeAll(async () => {
  rules = await loadRules(path.join(ROOT, 'rules'));
});

const p2 = (n: number) => String(n).padStart(2, '0');
function nginxTime(ms: number): string {
  const d = new Date(ms + OFFSET * 60_000);
  return `${d.getUTCFullYear()}/${p2(d.getUTCMonth() + 1)}/${p2(d.getUTCDate())} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`;
}

function errorLine(r: SynthRequest, message: string, n: number): string {
  return `${nginxTime(r.time)} [error] 2865#0: *${n} ${message}, client: ${r.ip}, server: shop, request: "${r.method} ${r.target} HTTP/1.1", host: "shop.example.com"`;
}

function site(seed: number): Traffic {
  const t = new Traffic(seed);
  background(t, T0, T0 + 3 * 3_600_000, 12);
  apiTraffic(t, apiClients(t, 30), T0, T0 + 3 * 3_600_000, 0.25);
  return t;
}

function write(dir: string, t: Traffic, failures: (r: SynthRequest, n: number) => string | null): [string, string] {
  const all = t.sorted();
  const access = path.join(dir, `access-${Math.random().toString(36).slice(2)}.log`);
  const error = access.replace('access-', 'error-');
  writeFileSync(access, all.map((r) => render(r, 'combined', OFFSET)).join('\n') + '\n');
  writeFileSync(error, all.flatMap((r, i) => failures(r, i) ?? []).join('\n') + '\n');
  return [access, error];
}

describe('error-log reasons joined to incidents', () => {
  test('Basic-auth brute force on one account: "password mismatch for user admin"', async () => {
    const t = site(3);
    const s = T0 + 2 * 3_600_000;
    for (let k = 0; k < 60; k++) t.add({ time: s + k * 3000, ip: '203.0.113.50', user: 'admin', method: 'GET', target: '/admin/', status: 401, userAgent: 'hydra' });
    const [access, error] = write(tempDir(), t, (r, n) => (r.status === 401 && r.ip === '203.0.113.50' ? errorLine(r, 'user "admin": password mismatch', n) : null));
    // Error log named first: order does not matter.
    const report = await runReport([error, access], { format: 'auto', rules });
    expect(report.sources.map((x) => x.format)).toEqual(['nginx_error', 'combined']);
    expect(report.errorLog.byReason).toEqual({ password_mismatch: 60 });
    expect(report.incidents.map((i) => i.rule)).toEqual(['brute-force']);
    const [bf] = report.incidents;
    expect(bf?.group).toEqual({ ip: '203.0.113.50' });
    expect(bf?.reasons[0]).toMatchObject({ reason: 'password_mismatch' });
    expect(bf?.reasons[0]?.text).toMatch(/^\d+ of \d+ failures: password mismatch for user admin$/);
    expect(report.analysis?.errorLogUtcOffsetMinutes).toBe(60);
  });

  test('credential stuffing: "N of M failures: user not found (K distinct users)"', async () => {
    const t = site(4);
    const s = T0 + 2 * 3_600_000;
    for (let k = 0; k < 150; k++) {
      t.add({ time: s + k * 2000, ip: `45.13.${k >> 4}.${k}`, user: `user${k}`, method: 'POST', target: '/login', status: 401, userAgent: 'Mozilla/5.0' });
    }
    const [access, error] = write(tempDir(), t, (r, n) => (r.target === '/login' ? errorLine(r, `user "${r.user}" was not found in "/etc/nginx/.htpasswd"`, n) : null));
    const report = await runReport([access, error], { format: 'auto', rules });
    expect(report.incidents.map((i) => i.rule)).toEqual(['credential-stuffing']);
    const why = report.incidents[0]?.reasons[0]?.text ?? '';
    const m = /^(\d+) of (\d+) failures: user not found \((\d+) distinct users\)$/.exec(why);
    expect(m).not.toBeNull();
    expect(Number(m?.[1])).toBe(Number(m?.[2])); // every failure in the window has its reason
    expect(Number(m?.[3])).toBe(Number(m?.[1])); // one user name per attempt
  });

  test('a missing password file is a critical misconfiguration, even behind five 401s', async () => {
    const t = site(5);
    const s = T0 + 2 * 3_600_000;
    const admins = ['10.8.0.15', '10.8.0.23', '10.8.0.31', '10.8.0.40', '10.8.0.51'];
    admins.forEach((ip, k) => t.add({ time: s + k * 20_000, ip, user: 'alice', method: 'GET', target: '/admin/', status: 401, userAgent: 'Mozilla/5.0 (X11)' }));
    const [access, error] = write(tempDir(), t, (r, n) =>
      r.target === '/admin/' && r.status === 401 && admins.includes(r.ip) && r.time >= s ? errorLine(r, 'open() "/etc/nginx/.htpasswd" failed (2: No such file or directory)', n) : null,
    );
    const report = await runReport([access, error], { format: 'auto', rules });
    expect(report.incidents.map((i) => [i.rule, i.kind, i.severity])).toEqual([['password-file-unreadable', 'misconfiguration', 'critical']]);
    const inc = report.incidents[0];
    expect(inc?.summary).toContain('/etc/nginx/.htpasswd');
    expect(inc?.checks[0]).toContain('/etc/nginx/.htpasswd');
    expect(Date.parse(inc?.start ?? '')).toBe(s);
    expect(report.errorLog.passwordFiles).toEqual(['/etc/nginx/.htpasswd']);
  });

  test('without the error log the same five 401s raise nothing: the reason is what makes it an incident', async () => {
    const t = site(5);
    const s = T0 + 2 * 3_600_000;
    ['10.8.0.15', '10.8.0.23', '10.8.0.31', '10.8.0.40', '10.8.0.51'].forEach((ip, k) => t.add({ time: s + k * 20_000, ip, user: 'alice', method: 'GET', target: '/admin/', status: 401, userAgent: 'Mozilla/5.0 (X11)' }));
    const [access] = write(tempDir(), t, () => null);
    expect((await runReport([access], { format: 'auto', rules })).incidents).toEqual([]);
  });
});
