/**
 * The terminal report as read at 3 a.m.: what is still going on first, `--summary` for one line per
 * incident, sample lines that keep the request and the status when cut to a terminal's width,
 * answered 401s told apart in the top tables, and an error log given alone reported for what it is.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CLI, CORPUS, ROOT, tempDir } from '../support/paths';
import { runReport } from '../../src/report/run';
import { renderText } from '../../src/report/text';
import { loadRules } from '../../src/rules/load';
import { fitSample } from '../../src/present/sample';

function run(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** The JSON report, or a failure that shows what the CLI said. */
function reportJson(args: string[]) {
  const r = run([...args, '--output', 'json']);
  if (r.code !== 0) throw new Error(`exit ${r.code} (signal ${r.signal}): ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/**
 * The samples with the Apache log cut 10 minutes into its /api/v2 outage (15:30 UTC): the outage is
 * still open at the end of input, while the older brute force and credential stuffing are over.
 */
function liveOutage(): string {
  const dir = tempDir();
  const lines = readFileSync(path.join(ROOT, 'samples/apache-access.log'), 'utf8').split('\n');
  const cut = lines.findIndex((l) => l.includes('[21/Nov/2026:10:40:'));
  const file = path.join(dir, 'apache-access.log');
  writeFileSync(file, lines.slice(0, cut).join('\n') + '\n');
  return file;
}

describe('incident order: open first, then severity, then failures', () => {
  test('the open outage leads, in JSON and in the text report, ahead of older finished attacks of the same severity', () => {
    const apache = liveOutage();
    const json = reportJson(['report', apache, 'samples/nginx-access.log']);
    const order = json.incidents.map((i: { rule: string; open: boolean; severity: string }) => [i.rule, i.open, i.severity]);
    expect(order[0]).toEqual(['auth-broken-on-path', true, 'high']);
    // Among the finished ones of one severity, the larger comes first.
    const high = json.incidents.filter((i: { open: boolean; severity: string }) => !i.open && i.severity === 'high');
    expect(high.map((i: { count: number }) => i.count)).toEqual([...high.map((i: { count: number }) => i.count)].sort((a, b) => b - a));
    const text = run(['report', apache, 'samples/nginx-access.log']).stdout;
    expect(text.split('\n')[2]).toBe('1. OPEN HIGH misconfiguration: Authentication broken on a path (deploy, user file, signing key)');
  });
});

describe('--summary', () => {
  test('prints the verdict and one line per incident: number, state, severity, kind, start, duration, what', () => {
    const apache = liveOutage();
    const r = run(['report', apache, 'samples/nginx-access.log', '--summary']);
    expect(r.code).toBe(0);
    const json = reportJson(['report', apache, 'samples/nginx-access.log']);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^authwatch: 2 attacks, 2 misconfigurations in 1 d 7 h of traffic — [\d,]+ × 401 in [\d,]+ requests/);
    const rows = lines.slice(1, 1 + json.incidents.length);
    expect(rows).toHaveLength(json.incidents.length);
    expect(rows[0]).toMatch(/^ {2}1\. +open +high +misconfiguration +2026-11-21 15:30:10 UTC +9 min 49 s +\/api\/v2: 117 failures in 10 min; in the busiest 5 min, 100\.0% of requests were 401 \(was 0\.0%\)/);
    rows.forEach((row, n) => expect(row).toContain(json.incidents[n].summary));
    expect(lines.slice(1 + json.incidents.length)).toEqual([`${json.inhibited.length} more alert(s) silenced because an incident above explains them.`]);
    // No incident details, no tables.
    expect(r.stdout).not.toContain('likely cause');
    expect(r.stdout).not.toContain('Top client ip');
  });

  test('is for the text output only', () => {
    const r = run(['report', 'samples/', '--summary', '--output', 'json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('authwatch: --summary: only with --output text (got --output json)\n');
  });
});

describe('sample lines', () => {
  test('on a terminal, a cut sample keeps its file:line, request and status; the user agent is what gives way', async () => {
    const rules = await loadRules(path.join(ROOT, 'rules'));
    const report = await runReport(['samples/apache-access.log'], { format: 'auto', rules });
    for (const width of [80, 100, 120]) {
      const text = renderText(report, { color: false, width });
      const samples = text.split('\n').filter((l) => /^ {5}samples\/apache-access\.log:\d+ /.test(l));
      expect(samples.length).toBeGreaterThanOrEqual(9);
      for (const s of samples) {
        expect(s.length).toBeLessThanOrEqual(width);
        expect(s).toMatch(/^ {5}samples\/apache-access\.log:\d+ .*"(?:GET|POST) \S+ HTTP\/1\.1" \d{3}\b/);
      }
    }
  });

  test('piped, a sample line is printed whole', () => {
    const r = run(['report', 'samples/apache-access.log']);
    const whole = readFileSync(path.join(ROOT, 'samples/apache-access.log'), 'utf8').split('\n');
    const samples = r.stdout.split('\n').filter((l) => /^ {5}samples\//.test(l));
    expect(samples.length).toBeGreaterThan(0);
    for (const s of samples) {
      const m = /^ {5}samples\/apache-access\.log:(\d+) (.*)$/.exec(s) as RegExpExecArray;
      expect(m[2]).toBe(whole[Number(m[1]) - 1]);
    }
  });

  test('fitting a long real line: referer and user agent shrink first, then the target in its middle; JSON lines keep "status"', () => {
    const line = 'access.log:12 203.0.113.7 - - [20/Nov/2026:10:11:17 +0100] "POST /login HTTP/1.1" 401 0 "https://example.com/login?next=/admin" "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36" 0.004';
    expect(fitSample(line, 160)).toBe('access.log:12 203.0.113.7 - - [20/Nov/2026:10:11:17 +0100] "POST /login HTTP/1.1" 401 0 "https://example.com/login?next=/admin" "Mozilla/5.0 (Windows NT…" 0.004');
    expect(fitSample(line, 80)).toBe('access.log:12 203.0.113.7 - - [2…26:10:11:17 +0100] "POST /login HTTP/1.1" 401 …');
    const longTarget = line.replace('/login', '/api/v2/reports/' + 'x'.repeat(200) + '/export');
    const fitted = fitSample(longTarget, 200);
    expect(fitted).toHaveLength(200);
    expect(fitted).toMatch(/"POST \/api\/v2\/reports\/x+…x+\/export HTTP\/1\.1" 401 /);
    const json = 'x.log:3 {"remote_addr":"203.0.113.7","time_iso8601":"2026-11-20T10:11:17+01:00","request":"POST /login HTTP/1.1","status":401,"http_user_agent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36"}';
    expect(fitSample(json, 100)).toMatch(/^x\.log:3 .*"request":"POST \/login HTTP\/1\.1","status":401,…$/);
  });
});

test('answered 401s are marked in the top tables (JSON `answered`, a text column and its legend)', () => {
  const json = reportJson(['report', 'samples/']);
  const ip = (key: string) => json.unauthorized.top.ip.find((e: { key: string }) => e.key === key);
  // 10.8.0.15 browses a Basic-auth area: its challenges are answered by its own next request.
  expect(ip('10.8.0.15')).toEqual({ key: '10.8.0.15', count: 75, answered: 75, total: 375 });
  expect(ip('203.0.113.7')).toEqual({ key: '203.0.113.7', count: 240, answered: 0, total: 240 });
  const text = run(['report', 'samples/']).stdout;
  expect(text).toMatch(/│ Client IP +│ 401s │ answered │ requests │ 401 share │/);
  expect(text).toMatch(/│ 10\.8\.0\.15 +│ +75 │ +75 │ +375 │ +20\.0% │/);
  expect(text).toMatch(/│ 203\.0\.113\.7 +│ +240 │ +│ +240 │ +100\.0% │/);
  expect(text).toContain('answered: 401s followed within seconds by a success of the same client on the same path');
});

test('an error log given alone says what was read, not "No requests in the time range"', () => {
  const file = path.join(CORPUS, 'errorlogs/fail2ban/nginx-http-auth.log');
  const json = reportJson(['report', file]);
  expect(json.errorLog.authFailures).toBeGreaterThan(0);
  const r = run(['report', file]);
  expect(r.code).toBe(0);
  expect(r.stdout.split('\n')[0]).toBe(`authwatch: No incidents: ${json.errorLog.authFailures} error-log authentication failures, no access-log requests`);
  expect(r.stdout).not.toContain('Status mix');
});
