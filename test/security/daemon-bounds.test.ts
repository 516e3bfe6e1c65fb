/**
 * The daemon with hostile surroundings: the SMTP password never shows in logs, metrics, state files or
 * --help, even when the server refuses it; the state dir is 0700 and its files 0600; more files on a
 * glob than limits.max_files are skipped, counted and said, never silently.
 */
import { appendFileSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { CLI, tempDir } from '../support/paths';
import { killDaemons, metrics, startDaemon, total, waitFor } from '../support/daemon';
import { TestSmtpServer } from '../support/smtp';
import { lines } from '../support/lines';

jest.setTimeout(60_000);

const servers: TestSmtpServer[] = [];
afterEach(async () => {
  killDaemons();
  for (const s of servers.splice(0)) await s.stop();
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? [path.join(dir, e.name), ...filesUnder(path.join(dir, e.name))] : [path.join(dir, e.name)]));
}

test('a refused SMTP password is never printed, exported or stored; the state dir is 0700 and its files 0600', async () => {
  const SECRET = 'hunter2-d0-not-leak';
  const server = await TestSmtpServer.start({ auth: { user: 'alerts', pass: 'the-right-one' } });
  servers.push(server);
  const dir = tempDir();
  const cfg = path.join(dir, 'authwatch.yaml');
  writeFileSync(
    cfg,
    `inputs:\n  - path: ./logs/access.log\n    format: combined\nstate_dir: ./state\noutputs: []\npoll_interval: 100ms\ncheckpoint_interval: 200ms\n` +
      `email:\n  smtp: { host: 127.0.0.1, port: ${server.port}, starttls: never, timeout: 2s, auth: { user: alerts, pass_env: AW_SMTP_PASS } }\n` +
      `  from: authwatch@example.test\n  to: [oncall@example.test]\n  group_wait: 0s\n  retry: { initial: 200ms, max: 1s }\n`,
  );
  mkdirSync(path.join(dir, 'logs'));
  writeFileSync(path.join(dir, 'logs', 'access.log'), '');
  const d = await startDaemon(cfg, [], { AW_SMTP_PASS: SECRET });
  appendFileSync(path.join(dir, 'logs', 'access.log'), lines(30, { ip: '198.51.100.5', method: 'POST', target: '/login', status: 401 }, 1500) + lines(5, {}, 1400));
  await waitFor(() => (d.stderr().includes('refused the login for user alerts') ? true : undefined), 15_000, () => d.stderr().slice(-2000));
  const exposed = [d.stderr(), await metrics(d.port)];
  for (const f of filesUnder(path.join(dir, 'state'))) if (statSync(f).isFile()) exposed.push(readFileSync(f, 'utf8'));
  exposed.push(spawnSync(process.execPath, [CLI, 'email', 'test', '--help'], { encoding: 'utf8' }).stdout, spawnSync(process.execPath, [CLI, 'watch', '--help'], { encoding: 'utf8' }).stdout);
  for (const text of exposed) expect(text).not.toContain(SECRET);
  expect(server.received).toEqual([]);
  // Permissions: the directory and what is in it.
  const state = path.join(dir, 'state');
  expect(statSync(state).mode & 0o777).toBe(0o700);
  const entries = filesUnder(state);
  expect(entries.map((f) => path.relative(state, f)).sort()).toEqual(expect.arrayContaining(['email.json', 'outbox', 'outbox/dead', 'state.json']));
  for (const f of entries) expect({ f, mode: (statSync(f).mode & 0o777).toString(8) }).toEqual({ f, mode: statSync(f).isDirectory() ? '700' : '600' });
});

test('limits.max_files: files past the bound are skipped, counted in /metrics and said once each', async () => {
  const dir = tempDir();
  const cfg = path.join(dir, 'authwatch.yaml');
  writeFileSync(cfg, `inputs:\n  - path: ./logs/*.log\n    format: combined\nstate_dir: ./state\noutputs: []\npoll_interval: 100ms\nlimits: { max_files: 2 }\n`);
  mkdirSync(path.join(dir, 'logs'));
  for (const n of ['a', 'b', 'c']) writeFileSync(path.join(dir, 'logs', `${n}.log`), '');
  const d = await startDaemon(cfg);
  await new Promise((r) => setTimeout(r, 1500)); // a rescan of the glob or two
  expect(await total(d.port, 'authwatch_limit_hits_total')).toBe(1);
  expect(d.stderr().match(/not followed: limits\.max_files/g)).toHaveLength(1);
  expect(d.stderr()).toMatch(/"input":"[^"]*c\.log","maxFiles":2/);
  d.proc.kill('SIGTERM');
  expect(await d.exited).toBe(0);
});
