/**
 * Attack, misconfiguration or nothing, on traffic shaped like the cases that were misjudged
 * (issue 17): each test writes real access and error log lines and reads them as `report` does.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Traffic, background, credentialStuffing, staleCredential } from '../../src/synth/traffic';
import { loadRules, type RuleSet } from '../../src/rules/load';
import { ROOT, tempDir } from '../support/paths';
import { H, M, apacheError, found, hammer, loginUsers, nginxError, report, writeErrorLog, writeSite } from '../support/sites';

const T0 = Date.UTC(2026, 10, 20, 6, 0, 0);
let rules: RuleSet;
const dir = tempDir();
beforeAll(async () => {
  rules = await loadRules(path.join(ROOT, 'rules'));
});

describe('who fails, weighted by failures', () => {
  test('one address hammering a login where ordinary users sometimes mistype is a brute force, not a broken path, and is not silenced', async () => {
    const t = new Traffic(17);
    background(t, T0, T0 + 3 * H, 12);
    // ~20 logins a minute, 15 % of them mistyped first: the path's failing clients are mostly people who succeed.
    loginUsers(t, T0, T0 + 3 * H, 20, 0.15);
    hammer(t, { ip: '203.0.113.9', user: '-', method: 'POST', target: '/login', status: 401, userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)' }, T0 + 2 * H, 20 * 60 * 4, 250);
    const r = await report([writeSite(dir, t).access], rules);
    expect(found(r)).toEqual(['brute-force 203.0.113.9']);
    expect(r.inhibited.filter((x) => x.rule === 'brute-force')).toEqual([]);
  });

  test('an inhibition never silences the address that caused most of the failures it explains, whatever the rules say', async () => {
    // A rule pack whose broken-path rule still counts clients and keeps the attacker in the step.
    const own = path.join(tempDir(), 'rules');
    cpSync(path.join(ROOT, 'rules'), own, { recursive: true });
    const file = path.join(own, 'misconfiguration.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^ {6}(ratio_without_top|top_ip_share|known_share): .*\n/gm, ''));
    const loose = await loadRules(own);
    const t = new Traffic(17);
    background(t, T0, T0 + 3 * H, 12);
    loginUsers(t, T0, T0 + 3 * H, 20, 0.15);
    hammer(t, { ip: '203.0.113.9', user: '-', method: 'POST', target: '/login', status: 401, userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)' }, T0 + 2 * H, 20 * 60 * 4, 250);
    const r = await report([writeSite(dir, t).access], loose);
    expect(found(r)).toEqual(['auth-broken-on-path /login', 'brute-force 203.0.113.9']);
    expect(r.inhibited.filter((x) => x.rule === 'brute-force')).toEqual([]);
  });
});

describe('a baseline knows how much history it holds', () => {
  test('a log that starts mid-traffic does not open with a site-wide spike: the report says the baseline is warming up', async () => {
    const t = new Traffic(21);
    // The internet's steady noise from the first line on: a new address every 4 s posting to wp-login.php.
    background(t, T0, T0 + 2 * H, 30);
    for (let k = 0; k < 1800; k++) t.add({ time: T0 + k * 4_000, ip: `${45 + (k % 50)}.${(k * 7) % 250}.${k % 200}.${(k % 250) + 1}`, user: '-', method: 'POST', target: '/wp-login.php', status: 401, userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)' });
    const r = await report([writeSite(dir, t).access], rules);
    expect(found(r)).toEqual([]);
    const w = r.analysis?.warmup;
    expect(w?.historyFrom).toBe(r.range?.from);
    expect(Date.parse(w?.until ?? '') - Date.parse(w?.historyFrom ?? '')).toBe(30 * M);
    expect(w?.rules.map((x) => x.rule)).toEqual(expect.arrayContaining(['auth-401-spike', 'credential-stuffing', 'auth-broken-on-path']));
    // The spike's own conditions (50 failures in 5 min) held while there was nothing to compare them with.
    expect(w?.heldBack.map((h) => h.rule)).toContain('auth-401-spike');
  });
});

describe('brute force on any protected resource', () => {
  test.each([
    ['a Basic-auth site on /', '/', 'GET', 'admin'],
    ['a client area', '/client', 'GET', 'jdoe'],
    ['an admin area', '/admin/', 'GET', 'root'],
    ['an API not named like a login', '/api/v1/invoices', 'GET', '-'],
    ['an API token endpoint by POST', '/api/session/new', 'POST', '-'],
  ])('%s: hydra-like 401s from one address are a brute force; the browsers answering their challenge are not', async (_name, area, method, user) => {
    const t = new Traffic(31);
    background(t, T0, T0 + 2 * H, 12);
    // Browsers of the area's users: a challenge, then the same request with credentials, all day.
    for (let time = T0; time < T0 + 2 * H; time += 2 * M) {
      const ip = `192.0.2.${t.int(10, 40)}`;
      t.add({ time, ip, user: '-', method, target: area, status: 401, userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0' });
      t.add({ time: time + 700, ip, user: 'alice', method, target: area, status: 200, userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0' });
    }
    hammer(t, { ip: '203.0.113.66', user, method, target: area, status: 401, userAgent: 'Mozilla/4.0 (Hydra)' }, T0 + 80 * M, 120, 1_000);
    const r = await report([writeSite(dir, t).access], rules);
    expect(found(r)).toEqual(['brute-force 203.0.113.66']);
    expect(r.incidents[0]?.top.path[0]?.key).toBe(area);
  });
});

describe('the error log alone is enough, and both logs count an attempt once', () => {
  const attacker = '203.0.113.80';
  const attempts = (n: number) => Array.from({ length: n }, (_, k) => ({ time: T0 + H + k * 2_000, ip: attacker, method: 'GET', target: '/' }));
  // What else an nginx error log holds: upstream trouble, a challenge without credentials (info level).
  const noise = Array.from({ length: 30 }, (_, k) => nginxError({ time: T0 + k * 4 * M, ip: `192.0.2.${k + 1}`, method: 'GET', target: '/api/stock' }, 'upstream timed out (110: Connection timed out) while reading response header from upstream', 900 + k));

  test('nginx: `user "…" was not found` and `password mismatch` from one address, no access log', async () => {
    const lines = attempts(80).map((a, k) => nginxError(a, k % 4 === 0 ? `user "admin${k}" was not found in "/etc/nginx/.htpasswd"` : 'user "admin": password mismatch', k));
    const r = await report([writeErrorLog(dir, [...noise, ...lines].sort())], rules);
    expect(found(r)).toEqual([`brute-force ${attacker}`]);
    const bf = r.incidents[0];
    expect(bf?.count).toBe(80);
    expect(bf?.top.path[0]?.key).toBe('/');
    expect(bf?.reasons.map((x) => x.reason)).toEqual(['password_mismatch', 'user_not_found']);
    expect(bf?.samples[0]).toMatch(/password mismatch|was not found/);
    expect(r.analysis?.errorLogOnlyFailures).toBe(80);
  });

  test('Apache: AH01617 / AH01618, no access log', async () => {
    const lines = attempts(40).map((a, k) =>
      k % 2 === 0 ? apacheError(a, 'auth_basic', `AH01617: user admin: authentication failure for "/private": Password Mismatch`) : apacheError(a, 'auth_basic', `AH01618: user guest${k} not found: /private`),
    );
    const r = await report([writeErrorLog(dir, lines)], rules);
    expect(found(r)).toEqual([`brute-force ${attacker}`]);
    expect(r.incidents[0]?.count).toBe(40);
  });

  test('access log and error log together: each attempt counted once, with its reason', async () => {
    const t = new Traffic(41);
    background(t, T0, T0 + 2 * H, 12);
    for (const a of attempts(80)) t.add({ ...a, user: 'admin', status: 401, userAgent: 'Mozilla/4.0 (Hydra)' });
    const errors = attempts(80).map((a, k) => nginxError(a, 'user "admin": password mismatch', k));
    const { access, error } = writeSite(dir, t, [...noise, ...errors].sort());
    const r = await report([access, error as string], rules);
    expect(found(r)).toEqual([`brute-force ${attacker}`]);
    expect(r.incidents[0]?.count).toBe(80);
    expect(r.incidents[0]?.reasons[0]?.text).toMatch(/^\d+ of \d+ failures: password mismatch for user admin$/);
    expect(r.analysis?.errorLogOnlyFailures).toBe(0);
  });
});

describe('the password file, whatever the access status', () => {
  // From 07:30 a Basic-auth area's password file is gone: every request there is refused, not with a 401.
  function site(status: number): Traffic {
    const t = new Traffic(51);
    background(t, T0, T0 + 2 * H, 12);
    for (let time = T0 + 90 * M; time < T0 + 2 * H; time += 45_000) t.add({ time, ip: `10.8.0.${15 + (time % 7)}`, user: 'alice', method: 'GET', target: '/staff/', status, userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0' });
    return t;
  }
  const broken = (t: Traffic) => t.sorted().filter((x) => x.target === '/staff/');

  test.each([
    ['nginx, file missing: 403', 403, '(2: No such file or directory)'],
    ['nginx, file unreadable: 500', 500, '(13: Permission denied)'],
  ])('%s and open() "…/.htpasswd" failed', async (_name, status, errno) => {
    const t = site(status);
    const errors = broken(t).map((x, k) => nginxError({ ...x, method: 'GET' }, `open() "/etc/nginx/.htpasswd" failed ${errno}`, k, 'crit'));
    const { access, error } = writeSite(dir, t, errors);
    const r = await report([access, error as string], rules);
    expect(found(r)).toEqual(['password-file-unreadable']);
    expect(r.incidents[0]?.summary).toContain('/etc/nginx/.htpasswd');
    expect(Date.parse(r.incidents[0]?.start ?? '')).toBe(T0 + 90 * M);
    // The error log alone says as much.
    expect(found(await report([error as string], rules))).toEqual(['password-file-unreadable']);
  });

  test('a drive-by GET /.htpasswd on an nginx serving files from its root is a 404, not a missing password file', async () => {
    const t = new Traffic(52);
    background(t, T0, T0 + 2 * H, 12);
    const probes = ['/.htpasswd', '/.env', '/admin/.htpasswd'].map((target, k) => ({ time: T0 + H + k * 20 * M, ip: `45.9.20.${k + 3}`, method: 'GET', target }));
    for (const p of probes) t.add({ ...p, user: '-', status: 404, userAgent: 'Mozilla/5.0 zgrab/0.x' });
    const { access, error } = writeSite(dir, t, probes.map((p, k) => nginxError(p, `open() "/var/www/html${p.target}" failed (2: No such file or directory)`, k)));
    expect(found(await report([access, error as string], rules))).toEqual([]);
  });

  test('Apache: AH01620 beside 500s', async () => {
    const t = site(500);
    const errors = broken(t).map((x) => apacheError(x, 'authn_file', 'AH01620: Could not open password file: /etc/apache2/.htpasswd').replace('[client', '(2)No such file or directory: [client'));
    const { access, error } = writeSite(dir, t, errors);
    const r = await report([access, error as string], rules);
    expect(found(r)).toEqual(['password-file-unreadable']);
    expect(r.incidents[0]?.summary).toContain('/etc/apache2/.htpasswd');
  });
});

describe('summaries say what happened', () => {
  test('a stale credential tells its history: succeeded until 08:44, failing since 08:45, never "never succeeded"', async () => {
    const t = new Traffic(61);
    background(t, T0, T0 + 4 * H, 12);
    staleCredential(t, T0, T0 + 2 * H + 45 * M, T0 + 4 * H, 60_000);
    const r = await report([writeSite(dir, t).access], rules);
    expect(found(r)).toEqual(['stale-credential inventory-sync/2.3 (+https://erp.example.net) svc-inventory']);
    const s = r.incidents[0]?.summary ?? '';
    expect(s).toMatch(/: succeeded until 08:44 UTC \(165 times since 06:00 UTC\), failing since 08:45 UTC$/);
    expect(s).not.toMatch(/never/);
  });

  test('a client that never succeeded in the history read is told so, with when that history began', async () => {
    const t = new Traffic(62);
    background(t, T0, T0 + 3 * H, 12);
    // A health checker with a wrong key, once a minute from the first line on.
    hammer(t, { ip: '10.20.0.5', user: '-', method: 'GET', target: '/api/health', status: 401, userAgent: 'kube-probe/1.31' }, T0 + 10_000, 170, 60_000);
    const r = await report([writeSite(dir, t).access], rules);
    expect(found(r)).toEqual(['stale-credential kube-probe/1.31 (no user)']);
    expect(r.incidents[0]?.summary).toMatch(/: no success since the log began at 06:00 UTC; failing since 06:00 UTC$/);
  });

  test("a summary's figures are those of the span or window it names", async () => {
    const t = new Traffic(63);
    background(t, T0, T0 + 3 * H, 12);
    credentialStuffing(t, T0 + 2 * H, 300, 12 * M);
    const r = await report([writeSite(dir, t).access], rules);
    const cs = r.incidents.find((i) => i.rule === 'credential-stuffing');
    const m = /^([\d,]+) failed logins on \/login in (\d+) min; in the busiest 10 min, ([\d,]+) from ([\d,]+) addresses/.exec(cs?.summary ?? '');
    expect(m).not.toBeNull();
    const n = (x: string | undefined) => Number((x ?? '').replace(/,/g, ''));
    expect(n(m?.[1])).toBe(cs?.count);
    expect(n(m?.[2])).toBe(Math.round((Date.parse(cs?.end ?? '') - Date.parse(cs?.start ?? '')) / M));
    expect(n(m?.[3])).toBe(cs?.metrics.count);
    expect(n(m?.[4])).toBe(cs?.metrics.distinct_ips);
  });

  test('samples are lines from inside the span the incident states', async () => {
    // The password file goes missing twice: in the morning, and again in the afternoon.
    const t = new Traffic(64);
    background(t, T0, T0 + 9 * H, 6);
    const refused = [...[1, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6].map((h) => T0 + h * H), ...[7, 7.1, 7.2].map((h) => T0 + h * H)].map((time) => ({ time, ip: '10.8.0.15', method: 'GET', target: '/staff/' }));
    for (const x of refused) t.add({ ...x, user: 'alice', status: 403, userAgent: 'Mozilla/5.0' });
    const { access, error } = writeSite(dir, t, refused.map((x, k) => nginxError(x, 'open() "/etc/nginx/.htpasswd" failed (2: No such file or directory)', k, 'crit')));
    const r = await report([access, error as string], rules);
    expect(found(r)).toEqual(['password-file-unreadable', 'password-file-unreadable']);
    for (const i of r.incidents) {
      expect(i.samples.length).toBeGreaterThan(0);
      for (const line of i.samples) {
        const at = Date.parse(line.replace(/^.*?:\d+ (\d+)\/(\d+)\/(\d+) (\d\d:\d\d:\d\d) .*$/, '$1-$2-$3T$4Z'));
        expect(at).toBeGreaterThanOrEqual(Date.parse(i.start));
        expect(at).toBeLessThanOrEqual(Date.parse(i.end));
      }
    }
  });
});

describe('addresses rotate: one page per subnet', () => {
  test('30 addresses of one /24 with one user agent on /wp-login.php: one subnet incident listing them, not 30 pages', async () => {
    const t = new Traffic(71);
    background(t, T0, T0 + 2 * H, 12);
    for (let k = 0; k < 30; k++) hammer(t, { ip: `185.220.101.${10 + k}`, user: '-', method: 'POST', target: '/wp-login.php', status: 401, userAgent: 'Mozilla/5.0 (compatible; wpscan)' }, T0 + H + k * 1_000, 25, 10_000);
    const r = await report([writeSite(dir, t).access], rules);
    expect(found(r)).toEqual(['brute-force-subnet 185.220.101.0/24']);
    const inc = r.incidents[0];
    expect(inc?.folded?.map((f) => f.group.ip).sort()).toEqual(Array.from({ length: 30 }, (_, k) => `185.220.101.${10 + k}`).sort());
    expect(inc?.summary).toMatch(/ from 30 addresses of 185\.220\.101\.0\/24 .*: 185\.220\.101\.\d+ \(\d+\), .* and 25 more$/);
    expect(r.inhibited.filter((x) => x.rule === 'brute-force')).toHaveLength(30);
  });

  test('an IPv6 attacker rotating through a /64, each address under the per-address bar', async () => {
    const t = new Traffic(72);
    background(t, T0, T0 + 2 * H, 12);
    for (let k = 0; k < 40; k++) hammer(t, { ip: `2001:db8:42:7::${(k + 1).toString(16)}`, user: 'admin', method: 'GET', target: '/', status: 401, userAgent: 'curl/8.5.0' }, T0 + H + k * 7_000, 4, 2_000);
    const r = await report([writeSite(dir, t).access], rules);
    expect(found(r)).toEqual(['brute-force-subnet 2001:db8:42:7::/64']);
  });

  test('a /64 folds its own addresses only: 2001:db8:ffff::5 and 2001:db80::5 are paged on their own (containment, not string prefix)', async () => {
    const t = new Traffic(73);
    background(t, T0, T0 + 2 * H, 12);
    const bf = (ip: string, at: number) => hammer(t, { ip, user: 'admin', method: 'GET', target: '/admin/', status: 401, userAgent: 'python-requests/2.32.3' }, at, 40, 3_000);
    for (let k = 1; k <= 4; k++) bf(`2001:db8::${k}`, T0 + H + k * 500);
    bf('2001:db8:ffff::5', T0 + H + 5_000);
    bf('2001:db80::5', T0 + H + 6_000);
    const r = await report([writeSite(dir, t).access], rules);
    expect(found(r)).toEqual(['brute-force 2001:db80::5', 'brute-force 2001:db8:ffff::5', 'brute-force-subnet 2001:db8::/64']);
    expect(r.incidents.find((i) => i.rule === 'brute-force-subnet')?.folded?.map((f) => f.group.ip).sort()).toEqual(['2001:db8::1', '2001:db8::2', '2001:db8::3', '2001:db8::4']);
  });
});

describe('probing, honestly worded', () => {
  const probe = (t: Traffic, ip: string, paths: Array<[string, number]>, at: number) =>
    paths.forEach(([target, status], k) => t.add({ time: at + k * 4_000, ip, user: '-', method: 'GET', target, status, userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36' }));

  test('13 requests for secret files from one address: a sensitive-file probe, with the one that was served said', async () => {
    const t = new Traffic(81);
    background(t, T0, T0 + 2 * H, 12);
    probe(t, '198.51.100.77', [
      ['/.env', 404], ['/.git/config', 404], ['/.htpasswd', 403], ['/.ssh/id_rsa', 404], ['/wp-config.php.bak', 404], ['/backup.sql', 404], ['/db.zip', 404],
      ['/.aws/credentials', 404], ['/config.php.bak', 200], ['/.env.production', 404], ['/server.key', 404], ['/.git/HEAD', 404], ['/dump.sql.gz', 404],
    ], T0 + H);
    const r = await report([writeSite(dir, t).access], rules);
    expect(found(r)).toEqual(['sensitive-file-probe 198.51.100.77']);
    expect(r.incidents[0]?.summary).toMatch(/^198\.51\.100\.77 asked for 13 secret or backup files in 10 min \(13 requests, 1 served with 2xx; 13 in 48 s\)/);
  });

  test('a wordlist crawl that only finds 404s is path enumeration (low), not "probing protected paths"', async () => {
    const t = new Traffic(82);
    background(t, T0, T0 + 2 * H, 12);
    probe(t, '198.51.100.78', Array.from({ length: 70 }, (_, k): [string, number] => [`/${['blog', 'shop', 'old', 'test', 'dev', 'v1', 'tmp'][k % 7]}/${k}`, 404]), T0 + H);
    const r = await report([writeSite(dir, t).access], rules);
    expect(found(r)).toEqual(['path-enumeration 198.51.100.78']);
    expect(r.incidents[0]).toMatchObject({ kind: 'attack', severity: 'low' });
    expect(r.incidents[0]?.summary).not.toMatch(/protected|refused \(/);
  });

  test.each(['127.0.0.1', '172.17.0.1', '::1'])('a brute force seen from %s says to set trusted_proxies, not to block it', async (ip) => {
    const t = new Traffic(83);
    background(t, T0, T0 + 2 * H, 12);
    hammer(t, { ip, user: '-', method: 'POST', target: '/login', status: 401, userAgent: 'python-requests/2.32.3' }, T0 + H, 60, 2_000);
    const r = await report([writeSite(dir, t).access], rules);
    expect(found(r)).toEqual([`brute-force ${ip}`]);
    const checks = r.incidents[0]?.checks.join('\n') ?? '';
    expect(checks).toMatch(/trusted_proxies/);
    expect(checks).not.toMatch(/^Block/m);
  });

  test('a public address is told to be blocked, and nothing about proxies', async () => {
    const t = new Traffic(84);
    background(t, T0, T0 + 2 * H, 12);
    hammer(t, { ip: '203.0.113.9', user: '-', method: 'POST', target: '/login', status: 401, userAgent: 'python-requests/2.32.3' }, T0 + H, 60, 2_000);
    const checks = (await report([writeSite(dir, t).access], rules)).incidents[0]?.checks.join('\n') ?? '';
    expect(checks).toMatch(/^Block or rate-limit 203\.0\.113\.9/m);
    expect(checks).not.toMatch(/trusted_proxies/);
  });
});
