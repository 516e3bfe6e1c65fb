/**
 * `authwatch watch` as a real process over real files: appends, rename rotation, copytruncate,
 * gzip of a rotated file, delete and recreate, a new file matching the glob; kill -9 in the middle
 * of a burst; SIGHUP with a broken rule file; missing and unreadable inputs. After each step the
 * lines the daemon has read (from /metrics) equal the lines written, no more, no less.
 */
import { appendFileSync, writeFileSync, renameSync, truncateSync, copyFileSync, unlinkSync, readFileSync, existsSync, mkdirSync, cpSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { lines } from '../support/lines';
import { ROOT, tempDir } from '../support/paths';
import { killDaemons, startDaemon, total, waitFor, type Daemon } from '../support/daemon';

jest.setTimeout(120_000);
afterEach(killDaemons);

function config(dir: string, extra = ''): string {
  const file = path.join(dir, 'authwatch.yaml');
  writeFileSync(file, `inputs:\n  - path: ./logs/*.log\nstate_dir: ./state\noutputs:\n  - type: jsonl\n    path: ./alerts.jsonl\npoll_interval: 100ms\ncheckpoint_interval: 200ms\n${extra}`);
  mkdirSync(path.join(dir, 'logs'), { recursive: true });
  return file;
}

async function expectRead(d: Daemon, expected: number): Promise<void> {
  await waitFor(async () => ((await total(d.port, 'authwatch_lines_read_total')) === expected ? true : undefined), 15_000, () => `lines read ≠ ${expected}\n${d.stderr().slice(-2000)}`);
  // ...and stays there: nothing read twice a moment later.
  await new Promise((r) => setTimeout(r, 700));
  expect(await total(d.port, 'authwatch_lines_read_total')).toBe(expected);
}

async function stop(d: Daemon): Promise<void> {
  d.proc.kill('SIGTERM');
  expect(await d.exited).toBe(0);
}

test('appends, rename rotation, copytruncate, gzip, delete + recreate, a new file: every line read exactly once', async () => {
  const dir = tempDir();
  const cfg = config(dir);
  const log = path.join(dir, 'logs', 'access.log');
  writeFileSync(log, lines(30)); // there before the start: skipped (no checkpoint, so start at the end)
  const d = await startDaemon(cfg);
  let written = 0;
  appendFileSync(log, lines(200));
  await expectRead(d, (written += 200));

  // logrotate `create`: rename, the server still writes a few lines to the old file, then a new one appears.
  renameSync(log, path.join(dir, 'logs', 'access.log.1'));
  appendFileSync(path.join(dir, 'logs', 'access.log.1'), lines(50));
  writeFileSync(log, lines(100));
  await expectRead(d, (written += 150));

  // copytruncate
  copyFileSync(log, path.join(dir, 'logs', 'access.log.2'));
  truncateSync(log, 0);
  appendFileSync(log, lines(80));
  await expectRead(d, (written += 80));

  // the rotated file is compressed: nothing to read twice
  execFileSync('gzip', [path.join(dir, 'logs', 'access.log.1')]);
  writeFileSync(path.join(dir, 'logs', 'old.log'), readFileSync(path.join(dir, 'logs', 'access.log.1.gz'))); // a .log that is gzip: not followed
  await expectRead(d, written);

  // deleted and recreated
  unlinkSync(log);
  await new Promise((r) => setTimeout(r, 300));
  writeFileSync(log, lines(60));
  await expectRead(d, (written += 60));

  // a new file matching the glob is read from its beginning
  writeFileSync(path.join(dir, 'logs', 'new.log'), lines(40));
  await expectRead(d, (written += 40));
  expect(await total(d.port, 'authwatch_lines_malformed_total')).toBe(0);
  await stop(d);
  expect(d.stderr()).toContain('stopped after a final checkpoint');
});

test('kill -9 in the middle of a burst: totals stay exact after the restart, and the incident is alerted once', async () => {
  const dir = tempDir();
  const cfg = config(dir);
  const log = path.join(dir, 'logs', 'access.log');
  writeFileSync(log, '');
  const attack = { ip: '203.0.113.7', method: 'POST', target: '/login', status: 401, userAgent: 'python-requests/2.32' };
  let d = await startDaemon(cfg);
  let written = 0;
  appendFileSync(log, lines(100, {}, 900));
  appendFileSync(log, lines(40, attack, 800));
  appendFileSync(log, lines(5, {}, 30)); // newer traffic moves the watermark past the burst
  written += 145;
  await expectRead(d, written);
  const alertsFile = path.join(dir, 'alerts.jsonl');
  await waitFor(() => (existsSync(alertsFile) && readFileSync(alertsFile, 'utf8').includes('"status":"firing"') ? true : undefined), 15_000, () => `no firing alert\n${d.stderr().slice(-1500)}`);

  // The attack goes on; the daemon is killed while the burst is being written.
  appendFileSync(log, lines(30, attack, 700));
  d.proc.kill('SIGKILL');
  await d.exited;
  appendFileSync(log, lines(30, attack, 650));
  appendFileSync(log, lines(5, {}, 20));
  written += 65;
  d = await startDaemon(cfg);
  await expectRead(d, written);
  await new Promise((r) => setTimeout(r, 1500));
  const firing = readFileSync(alertsFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((a) => a.status === 'firing');
  expect(firing.map((a) => a.fingerprint)).toEqual(['brute-force|203.0.113.7']);
  expect(d.stderr()).toContain('not announced again');
  await stop(d);
});

test('SIGHUP with a broken rule file: the old rules keep working and the error is logged', async () => {
  const dir = tempDir();
  cpSync(path.join(ROOT, 'rules'), path.join(dir, 'rules'), { recursive: true });
  const cfg = config(dir, 'rules: ./rules\n');
  const log = path.join(dir, 'logs', 'access.log');
  writeFileSync(log, '');
  const d = await startDaemon(cfg);
  appendFileSync(path.join(dir, 'rules', 'attacks.yaml'), '\n  - id: broken\n    kind: nonsense\n');
  d.proc.kill('SIGHUP');
  await waitFor(() => (d.stderr().includes('SIGHUP: the new configuration or rules are invalid') ? true : undefined), 10_000, () => d.stderr());
  expect(d.stderr()).toMatch(/attacks\.yaml.*kind/);
  appendFileSync(log, lines(40, { ip: '203.0.113.9', method: 'POST', target: '/login', status: 401 }, 800) + lines(3, {}, 10));
  const alertsFile = path.join(dir, 'alerts.jsonl');
  await waitFor(() => (existsSync(alertsFile) && readFileSync(alertsFile, 'utf8').includes('brute-force|203.0.113.9') ? true : undefined), 15_000, () => d.stderr().slice(-1500));
  await stop(d);
});

test('a missing input and a directory in place of a file are logged and retried; the other input keeps going', async () => {
  const dir = tempDir();
  const cfg = path.join(dir, 'authwatch.yaml');
  mkdirSync(path.join(dir, 'logs', 'dir.log'), { recursive: true });
  writeFileSync(cfg, 'inputs:\n  - path: ./logs/missing.log\n  - path: ./logs/dir.log\n  - path: ./logs/ok.log\nstate_dir: ./state\npoll_interval: 100ms\ncheckpoint_interval: 200ms\noutputs: [{ type: jsonl, path: ./alerts.jsonl }]\n');
  writeFileSync(path.join(dir, 'logs', 'ok.log'), '');
  const d = await startDaemon(cfg);
  appendFileSync(path.join(dir, 'logs', 'ok.log'), lines(25));
  await expectRead(d, 25);
  expect(d.stderr()).toMatch(/missing\.log does not exist \(yet\); waiting for it/);
  expect(d.stderr()).toMatch(/dir\.log is not a regular file; retrying/);
  writeFileSync(path.join(dir, 'logs', 'missing.log'), lines(10));
  await expectRead(d, 35);
  await stop(d);
});

test('a config error names the file, line and field, and exits 2', () => {
  const dir = tempDir();
  const cfg = path.join(dir, 'authwatch.yaml');
  writeFileSync(cfg, 'inputs:\n  - path: ./x.log\n    format: bogus\nstate_dir: ./s\n');
  let err = '';
  try {
    execFileSync(process.execPath, [path.join(ROOT, 'dist', 'cli', 'main.js'), 'watch', '-c', cfg], { stdio: 'pipe' });
  } catch (e) {
    err = String((e as { stderr: Buffer }).stderr);
    expect((e as { status: number }).status).toBe(2);
  }
  expect(err).toMatch(/authwatch\.yaml:3:\d+: inputs\[0\]\.format: expected auto/);
});

test('trusted proxies, ignore lists, --from-start, webhook output with firing and resolved alerts', async () => {
  const http = await import('node:http');
  const received: Array<{ status: string; group: Record<string, string>; fingerprint: string }> = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      received.push(JSON.parse(body));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  try {
    const dir = tempDir();
    const cfg = path.join(dir, 'authwatch.yaml');
    const format = `nginx:$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_x_forwarded_for"`;
    writeFileSync(
      cfg,
      `inputs:\n  - path: ./logs/access.log\n    format: '${format}'\nstate_dir: ./state\ntrusted_proxies: [10.0.0.0/8]\n` +
        `ignore:\n  user_agents: ["kube-probe/*"]\npoll_interval: 100ms\ncheckpoint_interval: 200ms\noutputs:\n  - type: webhook\n    url: http://127.0.0.1:${port}/hook\n`,
    );
    mkdirSync(path.join(dir, 'logs'));
    const viaLb = (n: number, agoSec: number, client: string, ua = 'python-requests/2.32') =>
      lines(n, { ip: '10.1.2.3', method: 'POST', target: '/login', status: 401, userAgent: ua }, agoSec)
        .trim()
        .split('\n')
        .map((l) => `${l} "${client}, 10.9.9.9"`)
        .join('\n') + '\n';
    // Written before the start: read anyway with --from-start.
    writeFileSync(
      path.join(dir, 'logs', 'access.log'),
      viaLb(30, 1500, '198.51.100.77') + viaLb(40, 1400, '198.51.100.88', 'kube-probe/1.29') + lines(3, {}, 5).trim().split('\n').map((l) => `${l} "-"`).join('\n') + '\n',
    );
    const d = await startDaemon(cfg, ['--from-start']);
    await expectRead(d, 73);
    await waitFor(() => (received.some((a) => a.status === 'resolved') ? true : undefined), 15_000, () => `${JSON.stringify(received)}\n${d.stderr().slice(-1500)}`);
    // The client behind the trusted load balancer is the one alerted on; the probe is ignored.
    expect(received.map((a) => [a.status, a.fingerprint])).toEqual([
      ['firing', 'brute-force|198.51.100.77'],
      ['resolved', 'brute-force|198.51.100.77'],
    ]);
    await stop(d);
  } finally {
    server.close();
  }
});

test('follows an access log and an error log together: a missing password file is alerted', async () => {
  const dir = tempDir();
  const cfg = config(dir);
  const access = path.join(dir, 'logs', 'access.log');
  const error = path.join(dir, 'logs', 'error.log');
  writeFileSync(access, '');
  writeFileSync(error, '');
  const d = await startDaemon(cfg);
  // Error-log times are local time without a zone: the daemon reads them in this machine's offset.
  const local = (ms: number) => {
    const t = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000).toISOString();
    return `${t.slice(0, 10).replace(/-/g, '/')} ${t.slice(11, 19)}`;
  };
  const at = Date.now() - 600_000;
  appendFileSync(access, lines(3, { ip: '10.8.0.15', method: 'GET', target: '/admin/', status: 401, userAgent: 'Mozilla/5.0' }, 600));
  appendFileSync(error, [0, 1, 2].map((i) => `${local(at + i * 1000)} [crit] 812#812: *${i + 1} open() "/etc/nginx/.htpasswd" failed (2: No such file or directory), client: 10.8.0.15, server: shop, request: "GET /admin/ HTTP/1.1", host: "shop"`).join('\n') + '\n');
  await expectRead(d, 6);
  // Later traffic moves event time on (the two files advance together, as they do live).
  appendFileSync(access, lines(2, {}, 5));
  await expectRead(d, 8);
  expect(await total(d.port, 'authwatch_auth_failures_total')).toBe(3);
  const alertsFile = path.join(dir, 'alerts.jsonl');
  await waitFor(() => (existsSync(alertsFile) && readFileSync(alertsFile, 'utf8').includes('password-file-unreadable') ? true : undefined), 15_000, () => d.stderr().slice(-1500));
  const alert = JSON.parse(readFileSync(alertsFile, 'utf8').trim().split('\n')[0] as string);
  expect(alert).toMatchObject({ status: 'firing', rule: 'password-file-unreadable', kind: 'misconfiguration', severity: 'critical' });
  expect(alert.summary).toContain('/etc/nginx/.htpasswd');
  await stop(d);
});
