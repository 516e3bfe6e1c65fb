/**
 * Log bytes that reach a terminal: C0 (ESC, BEL, CR), DEL, C1 (U+009B, the one-byte CSI) and bidi
 * controls (U+202E, U+2066…) never come out raw, whichever way authwatch prints them: `parse` stdout
 * and its malformed reasons, the text report's malformed examples, `--output json`, the daemon's
 * stdout alerts and its log lines. JSON stays valid JSON that parses to the same data.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CLI, tempDir } from '../support/paths';
import { killDaemons, startDaemon, waitFor } from '../support/daemon';
import { lines } from '../support/lines';

jest.setTimeout(60_000);
afterEach(killDaemons);

/** Characters that must never be printed raw (newline and tab excepted where they separate output). */
const RAW = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

const UA = 'Mozilla\u009b2J\u202etxt.exe\u2066x\u2069\x7f';
const PATH = '/admin\u202e';

/** A log with hostile bytes in parsed fields and in lines that do not parse (whose reasons quote them). */
function hostileLog(dir: string): string {
  const file = path.join(dir, 'access.log');
  const now = Date.now();
  const t = (ms: number) => {
    const d = new Date(ms);
    const mon = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getUTCMonth()];
    return `${String(d.getUTCDate()).padStart(2, '0')}/${mon}/${d.getUTCFullYear()}:${d.toISOString().slice(11, 19)} +0000`;
  };
  const good = Array.from({ length: 30 }, (_, i) => `203.0.113.9 - - [${t(now - 900_000 + i * 1000)}] "POST ${PATH} HTTP/1.1" 401 5 "-" "${UA}"`);
  const bad = [
    `203.0.113.9 - - [20/Nov/2026:09:00\x1b[2J\x1b]0;owned\x07] "GET / HTTP/1.1" 200 1 "-" "-"`,
    `203.0.113.9 - - [${t(now - 800_000)}] "GET / HTTP/1.1" 200 1\u009b31m\u202e "-" "-"`,
  ];
  writeFileSync(file, Buffer.from([...good.slice(0, 10), ...bad, ...good.slice(10)].join('\n') + '\n', 'utf8'));
  return file;
}

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
}

test('parse: stdout is valid JSON with the same data and no raw control; malformed reasons on stderr are escaped', () => {
  const file = hostileLog(tempDir());
  const r = run(['parse', file, '--format', 'combined']);
  expect(r.status).toBe(0);
  expect(r.stdout).not.toMatch(RAW);
  expect(r.stderr).not.toMatch(RAW);
  const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  expect(events).toHaveLength(30);
  expect(events[0]).toMatchObject({ userAgent: UA, path: PATH });
  // Reasons quote the line's bytes (read as latin1, so U+202E's UTF-8 bytes show as â\x80®): controls as escapes.
  expect(r.stderr).toContain('access.log:11: malformed: bad timestamp "20/Nov/2026:09:00\\x1B[2J\\x1B"');
  expect(r.stderr).toContain('access.log:12: malformed: bad response size "1Â\\x9B31mâ\\x80®"');
});

test('report: the text report (malformed examples included) and --output json print no raw control; the JSON holds the same data', () => {
  const file = hostileLog(tempDir());
  const text = run(['report', file, '--format', 'combined']);
  expect(text.status).toBe(0);
  expect(text.stdout).toContain('Malformed lines: 2');
  expect(text.stdout).toContain('\\x1B[2J');
  expect(text.stdout).not.toMatch(RAW);
  const json = run(['report', file, '--format', 'combined', '--output', 'json']);
  expect(json.status).toBe(0);
  expect(json.stdout).not.toMatch(RAW);
  const report = JSON.parse(json.stdout);
  expect(report.unauthorized.top.client[0].key).toBe(UA);
  expect(report.unauthorized.top.path[0].key).toBe(PATH);
  expect(report.lines.examples[0].text).toContain('\x1b[2J');
});

test('watch: stdout alerts and the log lines on stderr print no raw control; the alert holds the same data', async () => {
  const dir = tempDir();
  const cfg = path.join(dir, 'authwatch.yaml');
  writeFileSync(cfg, 'inputs:\n  - path: ./logs/access.log\n    format: combined\nstate_dir: ./state\noutputs:\n  - type: stdout\npoll_interval: 100ms\ncheckpoint_interval: 200ms\n');
  mkdirSync(path.join(dir, 'logs'));
  const log = path.join(dir, 'logs', 'access.log');
  writeFileSync(log, '');
  const d = await startDaemon(cfg);
  appendFileSync(log, Buffer.from(lines(40, { ip: '203.0.113.9', method: 'POST', target: '/login', status: 401, userAgent: UA }, 900) + lines(5, {}, 600) + `x\u009b\u202e\x1b[2J malformed\n`, 'utf8'));
  await waitFor(() => (d.stdout().includes('"status":"firing"') && d.stderr().includes('malformed line') ? true : undefined), 15_000, () => d.stderr().slice(-2000));
  expect(d.stdout()).not.toMatch(RAW);
  expect(d.stderr()).not.toMatch(RAW);
  const alert = JSON.parse(d.stdout().trim().split('\n')[0] as string);
  expect(alert.top.client[0].key).toBe(UA);
  expect(alert.samples[0]).toContain(UA);
  d.proc.kill('SIGTERM');
  expect(await d.exited).toBe(0);
});
