/**
 * `authwatch watch` sending email to a real SMTP server on 127.0.0.1: one incident gives one firing
 * and one resolved email (threaded); twenty brute-force addresses inside group_wait give one email;
 * with the server down and the daemon killed (-9) while the outbox holds the mail, it is delivered
 * after the restart exactly once. And `authwatch email test` with right and wrong settings.
 */
import { appendFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { CLI, ROOT, tempDir } from '../support/paths';
import { parse, stringify } from 'yaml';
import { killDaemons, startDaemon, total, totalWhere, waitFor } from '../support/daemon';
import { TestSmtpServer } from '../support/smtp';
import { freeTcpPort } from '../support/ports';
import { lines } from '../support/lines';

jest.setTimeout(120_000);

const servers: TestSmtpServer[] = [];
afterEach(async () => {
  killDaemons();
  for (const s of servers.splice(0)) await s.stop();
});

function config(dir: string, smtpPort: number, o: { groupWait?: string; smtpAuth?: string } = {}): string {
  const file = path.join(dir, 'authwatch.yaml');
  writeFileSync(
    file,
    `inputs:\n  - path: ./logs/access.log\n    format: combined\nstate_dir: ./state\noutputs: []\npoll_interval: 100ms\ncheckpoint_interval: 200ms\n` +
      `email:\n  smtp: { host: 127.0.0.1, port: ${smtpPort}, starttls: never, timeout: 2s${o.smtpAuth ? `, auth: ${o.smtpAuth}` : ''} }\n` +
      `  from: authwatch@example.test\n  to: [oncall@example.test]\n  group_wait: ${o.groupWait ?? '1s'}\n  group_interval: 1s\n  retry: { initial: 200ms, max: 1s }\n`,
  );
  mkdirSync(path.join(dir, 'logs'), { recursive: true });
  writeFileSync(path.join(dir, 'logs', 'access.log'), '');
  return file;
}

/** Failed logins from `ip`, `agoSec` seconds ago, one a second. */
const bruteForce = (ip: string, n: number, agoSec: number) => lines(n, { ip, method: 'POST', target: '/login', status: 401, userAgent: 'python-requests/2.32' }, agoSec);

test('one incident: exactly one firing email, then one resolved email in the same thread', async () => {
  const server = await TestSmtpServer.start();
  servers.push(server);
  const dir = tempDir();
  const d = await startDaemon(config(dir, server.port));
  const log = path.join(dir, 'logs', 'access.log');
  // The attack, then ordinary traffic a minute later: the attack's buckets close and the alert fires.
  appendFileSync(log, bruteForce('198.51.100.77', 30, 1500) + lines(5, {}, 1400));
  const [firing] = await server.waitForMessages(1, 20_000, () => d.stderr().slice(-2000));
  expect(firing?.subject).toMatch(/^\[authwatch\] HIGH attack: \d\d failed attempts on \/login from 198\.51\.100\.77/);
  expect(firing?.text).toContain('[FIRING] HIGH attack: Brute force on a protected resource');
  expect(firing?.text).toMatch(/Why attack: .*Rule brute-force matched: count \d\d ≥ 20/);
  expect(firing?.text).toMatch(/Sample lines:\n {2}.*access\.log:\d+ 198\.51\.100\.77 - - \[/);
  expect(firing?.text).toContain('Block or rate-limit 198.51.100.77');
  // Traffic 10 minutes past the attack's end (resolve_after): resolved.
  appendFileSync(log, lines(3, {}, 5));
  const [, resolved] = await server.waitForMessages(2, 20_000, () => d.stderr().slice(-2000));
  expect(resolved?.subject).toMatch(/^\[authwatch\] RESOLVED attack: 30 failed attempts on \/login from 198\.51\.100\.77/);
  expect(resolved?.text).toContain('[RESOLVED] HIGH attack');
  expect(resolved?.inReplyTo).toBe(firing?.messageId);
  await new Promise((r) => setTimeout(r, 1500));
  expect(server.received).toHaveLength(2);
  expect(await total(d.port, 'authwatch_emails_sent_total')).toBe(2);
  expect(await totalWhere(d.port, 'authwatch_output_sent_total', 'output="email"')).toBe(2);
  d.proc.kill('SIGTERM');
  expect(await d.exited).toBe(0);
});

test('twenty brute-force addresses inside group_wait: one grouped email', async () => {
  // Twenty subnets, one address each: twenty addresses of one /24 are one subnet incident (brute-force-subnet).
  const server = await TestSmtpServer.start();
  servers.push(server);
  const dir = tempDir();
  const d = await startDaemon(config(dir, server.port, { groupWait: '3s' }));
  const log = path.join(dir, 'logs', 'access.log');
  let burst = '';
  for (let i = 1; i <= 20; i++) burst += bruteForce(`198.51.${i}.7`, 25, 1500);
  appendFileSync(log, burst + lines(5, {}, 1400));
  const [mail] = await server.waitForMessages(1, 20_000, () => d.stderr().slice(-2000));
  await new Promise((r) => setTimeout(r, 2500));
  expect(server.received).toHaveLength(1);
  expect(mail?.subject).toMatch(/^\[authwatch\] HIGH attack: Brute force on a protected resource: 20 firing \(ip=198\.51\.\d+\.7; ip=198\.51\.\d+\.7; ip=198\.51\.\d+\.7; …\)$/);
  for (let i = 1; i <= 20; i++) expect(mail?.text).toContain(`from 198.51.${i}.7 `);
});

test('SMTP down, daemon killed -9 with mail in the outbox: delivered after the restart, exactly once', async () => {
  const port = await freeTcpPort();
  const dir = tempDir();
  const cfg = config(dir, port);
  const d1 = await startDaemon(cfg);
  appendFileSync(path.join(dir, 'logs', 'access.log'), bruteForce('198.51.100.99', 30, 1500) + lines(5, {}, 1400));
  // Tried and refused (nobody listens): the email waits in the outbox.
  await waitFor(() => (/email not sent, will retry: cannot connect to 127\.0\.0\.1:\d+: connection refused/.test(d1.stderr()) ? true : undefined), 20_000, () => d1.stderr().slice(-2000));
  const outbox = path.join(dir, 'state', 'outbox');
  expect(readdirSync(outbox).filter((f) => f.endsWith('.json'))).toHaveLength(1);
  d1.proc.kill('SIGKILL');
  await d1.exited;

  const d2 = await startDaemon(cfg);
  expect(d2.stderr()).toContain('emails left in the outbox by the previous run');
  const server = await TestSmtpServer.start({}, port);
  servers.push(server);
  const [mail] = await server.waitForMessages(1, 20_000, () => d2.stderr().slice(-2000));
  expect(mail?.subject).toMatch(/HIGH attack: \d\d failed attempts on \/login from 198\.51\.100\.99/);
  await new Promise((r) => setTimeout(r, 2000));
  expect(server.received).toHaveLength(1);
  expect(readdirSync(outbox).filter((f) => f.endsWith('.json'))).toEqual([]);
  d2.proc.kill('SIGTERM');
  expect(await d2.exited).toBe(0);
});

test("the example config's email section over the nginx sample (fed in chunks like a live log): the brute force's alert, then its resolved notice", async () => {
  const server = await TestSmtpServer.start();
  servers.push(server);
  const dir = tempDir();
  const example = parse(readFileSync(path.join(ROOT, 'authwatch.example.yaml'), 'utf8'));
  // Only where the server is and the timers change: a test cannot wait 30 s for group_wait.
  const email = { ...example.email, smtp: { ...example.email.smtp, port: server.port, starttls: 'never' }, group_wait: '0s', group_interval: '500ms' };
  const cfg = path.join(dir, 'authwatch.yaml');
  writeFileSync(cfg, stringify({ inputs: [{ path: './logs/access.log' }], state_dir: './state', outputs: [], poll_interval: '100ms', email }));
  mkdirSync(path.join(dir, 'logs'));
  const log = path.join(dir, 'logs', 'access.log');
  writeFileSync(log, '');
  const d = await startDaemon(cfg);
  const sample = readFileSync(path.join(ROOT, 'samples', 'nginx-access.log'), 'utf8').split(/(?<=\n)/);
  // Each chunk is read before the next, and a brute force that fired is emailed before more traffic can
  // resolve it: on a loaded machine one poll would otherwise take several chunks, both transitions would
  // reach the email queue together and be told in one email.
  const firedHere = /"fingerprint":"[^"]*203\.0\.113\.7[^"]*","status":"firing"/;
  let fed = 0;
  for (let i = 0; i < sample.length; i += 300) {
    const chunk = sample.slice(i, i + 300);
    appendFileSync(log, chunk.join(''));
    fed += chunk.length;
    await waitFor(async () => ((await total(d.port, 'authwatch_lines_read_total')) >= fed ? true : undefined), 20_000, () => d.stderr().slice(-2000));
    if (firedHere.test(d.stderr())) await waitFor(() => (server.received.some((m) => m.subject?.includes('203.0.113.7')) ? true : undefined), 20_000, () => d.stderr().slice(-2000));
  }
  const isBruteForce = (subject = '') => subject.includes('failed attempts on /login from 203.0.113.7');
  await waitFor(() => (server.received.filter((m) => isBruteForce(m.subject)).length >= 2 ? true : undefined), 20_000, () => `${server.received.map((m) => m.subject).join('\n')}\n${d.stderr().slice(-2000)}`);
  const about = server.received.filter((m) => isBruteForce(m.subject));
  expect(about).toHaveLength(2);
  expect(about[0]?.subject).toMatch(/^\[authwatch\] HIGH attack: \d+ failed attempts on \/login from 203\.0\.113\.7 /);
  expect(about[1]?.subject).toMatch(/^\[authwatch\] RESOLVED attack: 240 failed attempts on \/login from 203\.0\.113\.7 /);
  expect(about[0]?.text).toMatch(/\(Europe\/Paris: /);
  expect(about[1]?.inReplyTo).toBe(about[0]?.messageId);
});

describe('authwatch email test', () => {
  /** Asynchronous: the SMTP server answering it lives in this process's event loop. */
  function run(cfg: string, env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(process.execPath, [CLI, 'email', 'test', '--config', cfg], { encoding: 'utf8', env: { ...process.env, ...env } }, (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
      });
    });
  }

  test('sends one message and prints what the server answered', async () => {
    const server = await TestSmtpServer.start({ auth: { user: 'alerts', pass: 's3cret' } });
    servers.push(server);
    const cfg = config(tempDir(), server.port, { smtpAuth: '{ user: alerts, pass_env: AUTHWATCH_TEST_SMTP_PASS }' });
    const ok = await run(cfg, { AUTHWATCH_TEST_SMTP_PASS: 's3cret' });
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^sent through 127\.0\.0\.1:\d+ to oncall@example\.test; the server said: 250 /);
    expect(server.received[0]?.subject).toBe('[authwatch] test message');

    const wrong = await run(cfg, { AUTHWATCH_TEST_SMTP_PASS: 'wrong-password' });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr.trim().split('\n')).toHaveLength(1);
    expect(wrong.stderr).toMatch(/email test failed: the server at 127\.0\.0\.1:\d+ refused the login for user alerts .*535.*check email\.smtp\.auth\.user and the password in \$AUTHWATCH_TEST_SMTP_PASS/);
    expect(wrong.stderr).not.toContain('wrong-password');

    const unset = await run(cfg, { AUTHWATCH_TEST_SMTP_PASS: '' });
    expect(unset.code).toBe(2);
    expect(unset.stderr).toContain('email.smtp.auth.pass_env: the environment variable AUTHWATCH_TEST_SMTP_PASS is not set');
  });

  test('nobody listening: one line that says so; a password inline in the config is refused', async () => {
    const port = await freeTcpPort();
    const cfg = config(tempDir(), port);
    const r = await run(cfg);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^authwatch: email test failed: cannot connect to 127\.0\.0\.1:\d+: connection refused; is the SMTP server running/);
    const inline = await run(config(tempDir(), port, { smtpAuth: '{ user: a, pass: hunter2 }' }));
    expect(inline.code).toBe(2);
    expect(inline.stderr).toMatch(/authwatch\.yaml:\d+:\d+: email\.smtp\.auth\.pass: unknown key "pass"/);
    expect(inline.stderr).not.toContain('hunter2');
  });
});
