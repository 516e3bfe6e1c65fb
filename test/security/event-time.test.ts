/**
 * Event time is attacker-chosen: one line dated 9999 (or 0000) must not stretch a report over eight
 * thousand years, make every later event late, or be read as another year. The batch report bounds
 * time by the data (TimeOutlierFilter in front of the model and the rules); the daemon by the clock
 * (test/daemon/event-time.test.ts).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseClfTime, parseIsoTime } from '../../src/parse/time';
import { parseErrorLogLine } from '../../src/parse/errorlog';
import { DAY_MS, TimeOutlierFilter } from '../../src/pipeline/time-outliers';
import { render } from '../../src/synth/traffic';
import { CLI, tempDir } from '../support/paths';

test('year 0000 is year 0000, not 1900 (access times, ISO times, error-log times)', () => {
  expect(new Date(parseClfTime('01/Jan/0000:00:00:00 +0000')).toISOString()).toBe('0000-01-01T00:00:00.000Z');
  expect(new Date(parseClfTime('29/Feb/0000:12:00:00 +0000')).toISOString()).toBe('0000-02-29T12:00:00.000Z'); // year 0 is a leap year, 1900 was not
  expect(new Date(parseIsoTime('0042-06-15T08:30:00+00:00')).toISOString()).toBe('0042-06-15T08:30:00.000Z');
  const e = parseErrorLogLine('0000/01/02 03:04:05 [error] 1#1: *1 user "bob" was not found in "/etc/nginx/.htpasswd", client: 192.0.2.1, server: x, request: "GET / HTTP/1.1"', 'e.log', 1, 0);
  expect('kind' in e && e.kind === 'auth_failure' && new Date(e.time).toISOString()).toBe('0000-01-02T03:04:05.000Z');
  // Ordinary years are untouched.
  expect(new Date(parseClfTime('10/Oct/2000:13:55:36 -0700')).toISOString()).toBe('2000-10-10T20:55:36.000Z');
});

describe('TimeOutlierFilter', () => {
  const MIN = 60_000;
  const T0 = Date.UTC(2026, 10, 20, 9);
  const run = (times: number[]) => {
    const kept: number[] = [];
    const aside: number[] = [];
    const f = new TimeOutlierFilter<{ time: number }>({ lookahead: 64, aheadMs: MIN, behindMs: DAY_MS }, (e) => kept.push(e.time), (e) => aside.push(e.time));
    for (const time of times) f.push({ time });
    f.end();
    return { kept, aside };
  };
  const steady = (n: number, from = T0, step = 1000) => Array.from({ length: n }, (_, i) => from + i * step);
  const Y9999 = Date.UTC(9999, 0, 1);
  const Y0000 = parseClfTime('01/Jan/0000:00:00:00 +0000');

  test('a lone line dated 9999 or 0000 is set aside wherever it is: first, in the middle, last', () => {
    for (const at of [0, 50, 100]) {
      for (const odd of [Y9999, Y0000]) {
        const times = steady(100);
        times.splice(at, 0, odd);
        const { kept, aside } = run(times);
        expect({ at, odd, aside }).toEqual({ at, odd, aside: [odd] });
        expect(kept).toEqual(steady(100));
      }
    }
  });

  test('traffic that really moves is kept: a quiet log, a gap of weeks between files, an older file read after a newer one, late lines', () => {
    // A quiet site: one request every 3 hours for a month, and a first request 2 days before the next.
    const quiet = [T0 - 2 * DAY_MS, ...steady(240, T0, 3 * 3_600_000)];
    expect(run(quiet).aside).toEqual([]);
    // Two files a month apart, read one after the other.
    expect(run([...steady(100), ...steady(100, T0 + 30 * DAY_MS)]).aside).toEqual([]);
    // A newer file first, then an older one (the engine calls those late; the report still counts them).
    expect(run([...steady(100, T0 + 10 * DAY_MS), ...steady(100)]).aside).toEqual([]);
    // Slow requests logged a few minutes behind the others.
    const jitter = steady(300).map((t, i) => (i % 7 === 0 ? t - 5 * MIN : t));
    expect(run(jitter).aside).toEqual([]);
    // Input shorter than the lookahead, and one line alone.
    expect(run(steady(3)).aside).toEqual([]);
    expect(run([Y9999]).aside).toEqual([]);
  });

  test('a few outliers together are still outliers; a sustained jump is traffic', () => {
    const three = steady(100);
    three.splice(40, 0, Y9999, Y9999 + 1000, Y9999 + 2000);
    expect(run(three).aside).toHaveLength(3);
    const jump = [...steady(50), ...steady(100, T0 + 3 * 3_600_000)];
    expect(run(jump).aside).toEqual([]);
  });
});

test('a batch report of 101 lines with one dated 9999: a normal range and timeline, the brute force found, the outlier counted and said', () => {
  const dir = tempDir();
  const file = path.join(dir, 'access.log');
  const t0 = Date.UTC(2026, 10, 20, 9, 0, 0);
  const lines = Array.from({ length: 100 }, (_, i) =>
    render({ time: t0 + i * 1000, ip: '203.0.113.7', user: '-', method: 'POST', target: '/login', status: 401, bytes: 10, referer: '-', userAgent: 'python-requests/2.32', host: 'h' }, 'combined'),
  );
  lines.splice(20, 0, '198.51.100.1 - - [01/Jan/9999:00:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "-"');
  writeFileSync(file, lines.join('\n') + '\n');
  const out = path.join(dir, 'report.json');
  const r = spawnSync(process.execPath, [CLI, 'report', file, '--output', 'json', '-o', out], { encoding: 'utf8' });
  expect(r.status).toBe(0);
  expect(r.stderr).toMatch(/1 event dated far from the events around it was set aside, not analysed \(first: .*access\.log:21, dated 9999-01-01T00:00:00\.000Z\)/);
  expect(statSync(out).size).toBeLessThan(100_000);
  const report = JSON.parse(execFileSync('cat', [out], { encoding: 'utf8' }));
  expect(report.range).toEqual({ from: '2026-11-20T09:00:00.000Z', to: '2026-11-20T09:01:39.000Z' });
  expect(report.unauthorized.timeline).toHaveLength(2);
  expect(report.analysis.late).toBe(0);
  expect(report.analysis.timeOutliers.count).toBe(1);
  expect(report.requests).toBe(100);
  expect(report.incidents.map((i: { fingerprint: string }) => i.fingerprint)).toEqual(['brute-force|203.0.113.7']);
});
