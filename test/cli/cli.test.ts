/** The built CLI, run as a child process the way an operator runs it. */
import { spawnSync } from 'node:child_process';
import { writeFileSync, readFileSync, existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { CLI, ROOT, tempDir } from '../support/paths';

function run(args: string[], input?: string | Buffer) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, input, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const LINE = (i: number, status = 401, ip = '203.0.113.7') =>
  `${ip} - - [20/Nov/2026:09:${String(10 + Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')} +0100] "POST /login HTTP/1.1" ${status} 179 "-" "python-requests/2.32.3"`;

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first (npm test does it via pretest)`);
});

describe('authwatch report --output json (the contract)', () => {
  test('over the bundled samples', () => {
    const r = run(['report', 'samples/', '--output', 'json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.version).toBe(1);
    expect(report.sources.map((s: { path: string }) => path.basename(s.path))).toEqual(['apache-access.log', 'nginx-access.log.1.gz', 'nginx-access.log']);
    for (const s of report.sources) {
      expect(s).toEqual(expect.objectContaining({ format: 'combined', malformed: 0 }));
      expect(s.parsed).toBe(s.lines);
    }
    expect(report.lines.total).toBe(report.lines.parsed);
    expect(report.lines.examples).toEqual([]);
    expect(Date.parse(report.range.from)).toBeLessThan(Date.parse(report.range.to));
    const statusSum = Object.values(report.status as Record<string, number>).reduce((a, b) => a + b, 0);
    expect(statusSum).toBe(report.lines.parsed);
    expect(report.unauthorized.count).toBe(report.status['401']);
    expect(report.unauthorized.ratio).toBeCloseTo(report.status['401'] / report.lines.parsed, 10);
    for (const dim of ['ip', 'path', 'client', 'user']) {
      for (const e of report.unauthorized.top[dim]) {
        expect(Object.keys(e).sort()).toEqual(['answered', 'count', 'key', 'total']);
        expect(e.answered).toBeLessThanOrEqual(e.count);
        expect(e.count).toBeLessThanOrEqual(e.total);
      }
    }
    // The brute-force IP of the nginx sample leads the IP list.
    expect(report.unauthorized.top.ip[0]).toEqual({ key: '203.0.113.7', count: 240, answered: 0, total: 240 });
    const tl = report.unauthorized.timeline;
    expect(tl.reduce((s: number, p: { unauthorized: number }) => s + p.unauthorized, 0)).toBe(report.unauthorized.count);
    expect(tl.reduce((s: number, p: { requests: number }) => s + p.requests, 0)).toBe(report.lines.parsed);
  });

  test('malformed lines are counted with file:line examples and never stop the stream', () => {
    const dir = tempDir();
    const file = path.join(dir, 'access.log');
    writeFileSync(file, [LINE(0), 'garbage line', LINE(1), 'x'.repeat(200_000), LINE(2, 200), ''].join('\n'));
    const r = run(['report', file, '--output', 'json', '--format', 'combined']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.lines).toMatchObject({ total: 5, parsed: 3, malformed: 2 });
    expect(report.lines.examples.map((e: { source: string }) => e.source)).toEqual([`${file}:2`, `${file}:4`]);
    expect(report.lines.examples[1].reason).toMatch(/200000 bytes, over the 65536-byte limit/);
    expect(report.lines.examples[1].text.length).toBeLessThan(400);
    expect(report.unauthorized.count).toBe(2);
  });

  test('gzip detected by magic bytes whatever the name; stdin with "-"', () => {
    const dir = tempDir();
    const rotated = path.join(dir, 'access.log-20261120');
    writeFileSync(rotated, gzipSync([LINE(0), LINE(1), LINE(2, 200)].join('\n') + '\n'));
    const gz = JSON.parse(run(['report', rotated, '--output', 'json']).stdout);
    expect(gz.lines.parsed).toBe(3);
    const stdin = run(['report', '-', '--output', 'json'], gzipSync(LINE(3) + '\n' + LINE(4) + '\n'));
    expect(JSON.parse(stdin.stdout).sources[0]).toMatchObject({ path: '-', parsed: 2, format: 'combined' });
    const plain = run(['report', '-', '--output', 'json'], LINE(3) + '\r\n' + LINE(4) + '\r\n');
    expect(JSON.parse(plain.stdout).unauthorized.count).toBe(2);
  });

  test('several files in the order given, and a quoted glob', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'b.log'), LINE(0) + '\n');
    writeFileSync(path.join(dir, 'a.log'), LINE(1, 200) + '\n');
    const given = JSON.parse(run(['report', path.join(dir, 'b.log'), path.join(dir, 'a.log'), '--output', 'json']).stdout);
    expect(given.sources.map((s: { path: string }) => path.basename(s.path))).toEqual(['b.log', 'a.log']);
    const globbed = JSON.parse(run(['report', path.join(dir, '*.log'), '--output', 'json']).stdout);
    expect(globbed.sources.map((s: { path: string }) => path.basename(s.path))).toEqual(['a.log', 'b.log']);
  });
});

describe('text report and parse command', () => {
  test('text report has the headline, tables and no colour when NO_COLOR is set', () => {
    const r = run(['report', 'samples/nginx-access.log']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^authwatch: (No incidents|.* in .* of traffic) — [\d,]+ × 401 in [\d,]+ requests/);
    expect(r.stdout).toContain('203.0.113.7');
    expect(r.stdout).not.toMatch(/\x1b\[/);
    expect(r.stderr).toContain('samples/nginx-access.log: detected format combined');
  });

  test('events far behind newer ones are counted as late, and the count is said in plain words', () => {
    const dir = tempDir();
    const file = path.join(dir, 'late.log');
    // Line 3 is 3 minutes behind line 2, more than the 60 s allowed.
    writeFileSync(file, [LINE(0, 200), LINE(300, 200), LINE(120, 401), LINE(301, 200)].join('\n') + '\n');
    const r = run(['report', file, '--output', 'json']);
    expect(JSON.parse(r.stdout).analysis.late).toBe(1);
    expect(r.stderr).toContain('authwatch: 1 event arrived more than 60 s behind newer ones and was counted as late, not analysed');
  });

  test('an input with no request lines says so in its headline', () => {
    const dir = tempDir();
    const file = path.join(dir, 'empty.log');
    writeFileSync(file, '');
    const r = run(['report', file]);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('authwatch: No requests read');
  });

  test('with --since, the headline counts the requests in the range, and says when there are none', () => {
    const json = JSON.parse(run(['report', 'samples/', '--since', '2026-11-20T10:00:00Z', '--output', 'json']).stdout);
    const inRange = Object.values(json.status as Record<string, number>).reduce((a, b) => a + b, 0);
    expect(json.requests).toBe(inRange);
    expect(inRange).toBeLessThan(json.lines.parsed);
    const headline = run(['report', 'samples/', '--since', '2026-11-20T10:00:00Z']).stdout.split('\n')[0];
    expect(headline).toContain(`${json.unauthorized.count.toLocaleString('en-US')} × 401 in ${inRange.toLocaleString('en-US')} requests`);
    expect(run(['report', 'samples/', '--since', '2030-01-01T00:00:00Z']).stdout.split('\n')[0]).toBe('authwatch: No requests in the time range');
  });

  test('a user agent carrying terminal escapes is neutralized in the text report', () => {
    const dir = tempDir();
    const file = path.join(dir, 'evil.log');
    writeFileSync(file, '203.0.113.9 - - [20/Nov/2026:09:10:00 +0100] "GET /admin HTTP/1.1" 401 1 "-" "\x1b]2;pwned\x07\x1b[2J\rsneaky"\n');
    const r = run(['report', file]);
    expect(r.stdout).not.toContain('\x1b');
    expect(r.stdout).not.toContain('\r');
    expect(r.stdout).toContain('\\x1B]2;pwned\\x07');
  });

  test('parse prints one JSON event per line with file:line; malformed lines go to stderr', () => {
    const dir = tempDir();
    const file = path.join(dir, 'access.log');
    writeFileSync(file, `${LINE(0)}\nnot a log line\n${LINE(1)}\n`);
    const r = run(['parse', file, '--format', 'nginx:$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"']);
    expect(r.code).toBe(0);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({ ip: '203.0.113.7', status: 401, path: '/login', time: '2026-11-20T08:10:00.000Z', source: `${file}:1` });
    expect(r.stderr).toContain(`${file}:2: malformed:`);
  });
});

describe('usage errors exit 2 with one line', () => {
  test.each([
    [['report', 'no/such/file.log'], /no\/such\/file\.log: no such file or directory/],
    [['report', 'samples/', '--format', 'bogus'], /--format: expected auto, common/],
    [['report', 'samples/', '--output', 'pdf'], /argument 'pdf' is invalid/],
    [['report', 'samples/', '--format', 'apache:%h %>s'], /has no time field/],
    [['report', 'samples/', '--top', '0'], /--top: /],
  ])('%j', (args, message) => {
    const r = run(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
  });

  test('an error log is recognized as one and read for its auth failures', () => {
    const dir = tempDir();
    const file = path.join(dir, 'error.log');
    writeFileSync(file, readFileSync(path.join(ROOT, '..', 'shared', 'corpus', 'mixed', 'crowdsec-nginx-http-generic-bf__nginx-http-generic-bf.log')));
    const r = run(['report', file, '--output', 'json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('error.log: detected format nginx_error');
    const report = JSON.parse(r.stdout);
    // CrowdSec's fixture: 16 "user not found" error lines followed by 6 access-log lines, both halves read.
    expect(report.sources[0]).toMatchObject({ format: 'nginx_error', parsed: 22, malformed: 0 });
    expect(report.requests).toBe(6);
    expect(report.errorLog).toEqual({ authFailures: 16, byReason: { user_not_found: 16 }, passwordFiles: [] });
  });
});

describe('report memory stays bounded', () => {
  test('top lists keep at most maxKeysPerDimension keys and say they are approximate', async () => {
    const { ReportBuilder, DEFAULT_REPORT_OPTIONS } = await import('../../src/report/model');
    const { ev } = await import('../support/events');
    const b = new ReportBuilder({ ...DEFAULT_REPORT_OPTIONS, maxKeysPerDimension: 1000 });
    for (let i = 0; i < 50_000; i++) b.add(ev(i / 100, { ip: `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, status: i % 3 === 0 ? 401 : 200 }));
    for (let i = 0; i < 300; i++) b.add(ev(600 + i, { ip: '203.0.113.9' }));
    const sizes = (b as unknown as { keys: Record<string, Map<string, unknown>> }).keys;
    expect(sizes.ip?.size).toBeLessThanOrEqual(1000);
    const r = b.finish([]);
    expect(r.unauthorized.topApproximate).toBe(true);
    expect(r.unauthorized.top.ip[0]).toEqual({ key: '203.0.113.9', count: 300, answered: 0, total: 300 });
    expect(r.unauthorized.count).toBe(Math.ceil(50_000 / 3) + 300);
  });
});

describe('report status counts', () => {
  test('every status is counted and listed in numeric order, including one outside the HTTP range', async () => {
    const { ReportBuilder } = await import('../../src/report/model');
    const { ev } = await import('../support/events');
    const b = new ReportBuilder();
    const statuses = [404, 200, 200, 401, 999, 200, 304, 401, 999, 101];
    statuses.forEach((status, i) => b.add(ev(i, { status })));
    const r = b.finish([]);
    expect(Object.entries(r.status)).toEqual([['101', 1], ['200', 3], ['304', 1], ['401', 2], ['404', 1], ['999', 2]]);
    expect(r.unauthorized.count).toBe(2);
  });
});
