/**
 * `authwatch watch` with a webhook on 127.0.0.1 that is down, hangs, refuses or fills up: every
 * notification goes through the output's outbox on disk and its own sending loop. Down while the
 * attack fires → queued, retried, delivered once when it is back, then its resolution; a receiver
 * that accepts the request and never answers does not hold up reading, and gets no duplicate while it
 * hangs; 503 and 429 are retried, a 400 is dead-lettered with the answer; kill -9 while it is down
 * loses nothing; limits.outbox_max bounds the queue and says so.
 */
import { appendFileSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from '../support/paths';
import { killDaemons, metrics, startDaemon, total, totalWhere, waitFor, type Daemon } from '../support/daemon';
import { freeTcpPort } from '../support/ports';
import { lines } from '../support/lines';
import { TestReceiver } from '../support/receiver';

jest.setTimeout(120_000);

const receivers: TestReceiver[] = [];
afterEach(async () => {
  killDaemons();
  for (const r of receivers.splice(0)) await r.stop();
});

async function receiver(answer?: ConstructorParameters<typeof TestReceiver>[1], port = 0): Promise<TestReceiver> {
  const r = await TestReceiver.start(answer, port);
  receivers.push(r);
  return r;
}

function config(dir: string, url: string, o: { timeout?: string; outboxMax?: number } = {}): string {
  const file = path.join(dir, 'authwatch.yaml');
  writeFileSync(
    file,
    `inputs:\n  - path: ./logs/access.log\n    format: combined\nstate_dir: ./state\npoll_interval: 100ms\ncheckpoint_interval: 200ms\n` +
      `outputs:\n  - type: webhook\n    url: ${url}\n    timeout: ${o.timeout ?? '2s'}\n    retry: { initial: 200ms, max: 1s }\n` +
      (o.outboxMax ? `limits:\n  outbox_max: ${o.outboxMax}\n` : ''),
  );
  mkdirSync(path.join(dir, 'logs'), { recursive: true });
  writeFileSync(path.join(dir, 'logs', 'access.log'), '');
  return file;
}

/** Failed logins from `ip`, `agoSec` seconds ago, one a second; then ordinary traffic a minute later, which closes the attack's buckets. */
const failures = (ip: string) => lines(30, { ip, method: 'POST', target: '/login', status: 401, userAgent: 'python-requests/2.32' }, 1500);
const attack = (...ips: string[]) => ips.map(failures).join('') + lines(5, {}, 1400);
/** Traffic well past the attack's end (resolve_after): it resolves. */
const later = () => lines(3, {}, 5);

type Posted = { status: string; fingerprint: string };
const queuedFiles = (dir: string) => readdirSync(path.join(dir, 'state', 'outputs', 'webhook')).filter((f) => f.endsWith('.json'));
const metric = (d: Daemon, name: string) => totalWhere(d.port, name, 'output="webhook"');

test('webhook down during the attack: queued on disk, retried with backoff, delivered once when it is back, then the resolution', async () => {
  const port = await freeTcpPort();
  const dir = tempDir();
  const d = await startDaemon(config(dir, `http://127.0.0.1:${port}/hook`));
  const log = path.join(dir, 'logs', 'access.log');
  appendFileSync(log, attack('198.51.100.77'));
  // Nobody listens: attempts fail and are counted; the notification waits in the outbox.
  await waitFor(async () => ((await metric(d, 'authwatch_output_failed_attempts_total')) >= 3 ? true : undefined), 20_000, () => d.stderr().slice(-2000));
  expect(d.stderr()).toMatch(/webhook notification not sent, will retry: cannot reach http:\/\/127\.0\.0\.1:\d+: connection refused/);
  expect(await metric(d, 'authwatch_output_queued')).toBe(1);
  expect(await metric(d, 'authwatch_output_oldest_queued_seconds')).toBeGreaterThan(0);
  expect(queuedFiles(dir)).toHaveLength(1);

  const r = await receiver(() => 204, port);
  await waitFor(() => (r.received.length >= 1 ? true : undefined), 20_000, () => d.stderr().slice(-2000));
  appendFileSync(log, later());
  await waitFor(() => (r.received.length >= 2 ? true : undefined), 20_000, () => d.stderr().slice(-2000));
  await waitFor(async () => ((await metric(d, 'authwatch_output_sent_total')) === 2 ? true : undefined), 5_000, () => d.stderr().slice(-2000));
  expect(r.bodies<Posted>().map((b) => [b.status, b.fingerprint])).toEqual([
    ['firing', 'brute-force|198.51.100.77'],
    ['resolved', 'brute-force|198.51.100.77'],
  ]);
  expect(new Set(r.received.map((q) => q.headers['idempotency-key'])).size).toBe(2);
  expect(await metric(d, 'authwatch_output_queued')).toBe(0);
  expect(queuedFiles(dir)).toEqual([]);
  d.proc.kill('SIGTERM');
  expect(await d.exited).toBe(0);
  expect(r.received).toHaveLength(2);
});

test('a webhook that accepts and never answers: reading goes on, no duplicate while it hangs, SIGTERM exits, the restart delivers it', async () => {
  // The timeout is far longer than the test: if anything waited on the request, the lines below would never be counted.
  const r = await receiver(() => 'hang');
  const dir = tempDir();
  const cfg = config(dir, r.url(), { timeout: '10m' });
  const d = await startDaemon(cfg);
  const log = path.join(dir, 'logs', 'access.log');
  appendFileSync(log, attack('198.51.100.78'));
  let written = 35;
  await waitFor(() => (r.hanging.size === 1 ? true : undefined), 20_000, () => d.stderr().slice(-2000));
  for (let i = 0; i < 5; i++) {
    appendFileSync(log, lines(100, {}, 1300));
    written += 100;
  }
  appendFileSync(log, later());
  written += 3;
  await waitFor(async () => ((await total(d.port, 'authwatch_lines_read_total')) === written ? true : undefined), 20_000, () => d.stderr().slice(-2000));
  // Read and the resolution queued while the first request is still held open: one POST so far.
  await waitFor(async () => ((await metric(d, 'authwatch_output_queued')) === 2 ? true : undefined), 20_000, () => d.stderr().slice(-2000));
  expect(r.hanging.size).toBe(1);
  expect(r.received).toHaveLength(1);
  const key = r.received[0]?.headers['idempotency-key'];

  d.proc.kill('SIGTERM');
  expect(await d.exited).toBe(0);
  expect(queuedFiles(dir)).toHaveLength(2);
  r.answer = () => 204;
  const d2 = await startDaemon(cfg);
  await waitFor(() => (r.received.length >= 3 ? true : undefined), 20_000, () => d2.stderr().slice(-2000));
  expect(r.bodies<Posted>().map((b) => b.status)).toEqual(['firing', 'firing', 'resolved']);
  // The resend is recognisably the same notification.
  expect(r.received[1]?.headers['idempotency-key']).toBe(key);
  d2.proc.kill('SIGTERM');
  expect(await d2.exited).toBe(0);
});

test('503 and 429 are retried (Retry-After honoured), a 400 is dead-lettered with the answer', async () => {
  const answers = [503, { status: 429, headers: { 'retry-after': '1' } }, 204, { status: 400, body: 'unknown field "fingerprint"' }];
  const r = await receiver((n) => answers[n] ?? 204);
  const dir = tempDir();
  const d = await startDaemon(config(dir, r.url()));
  const log = path.join(dir, 'logs', 'access.log');
  appendFileSync(log, attack('198.51.100.79'));
  await waitFor(() => (r.received.length >= 3 ? true : undefined), 20_000, () => d.stderr().slice(-2000));
  appendFileSync(log, later());
  await waitFor(async () => ((await metric(d, 'authwatch_output_dead_letters_total')) === 1 ? true : undefined), 20_000, () => d.stderr().slice(-2000));
  expect(d.stderr()).toMatch(/webhook notification not sent, will retry: answered 503/);
  expect(d.stderr()).toMatch(/"retryInMs":1000,.*will retry: answered 429/);
  expect(d.stderr()).toMatch(/webhook notification refused for good: kept in the dead-letter folder/);
  const deadDir = path.join(dir, 'state', 'outputs', 'webhook', 'dead');
  const dead = readdirSync(deadDir).filter((f) => f.endsWith('.json'));
  expect(dead).toHaveLength(1);
  const letter = JSON.parse(readFileSync(path.join(deadDir, dead[0] as string), 'utf8'));
  expect(letter.reason).toBe('answered 400: unknown field "fingerprint"');
  expect(JSON.parse(letter.body)).toMatchObject({ status: 'resolved', fingerprint: 'brute-force|198.51.100.79' });
  expect(await metric(d, 'authwatch_output_failed_attempts_total')).toBe(3);
  expect(await metric(d, 'authwatch_output_sent_total')).toBe(1);
  expect(r.received).toHaveLength(4);
  d.proc.kill('SIGTERM');
  expect(await d.exited).toBe(0);
});

test('webhook down and the daemon killed -9 with the alert in the outbox: delivered after the restart, once', async () => {
  const port = await freeTcpPort();
  const dir = tempDir();
  const cfg = config(dir, `http://127.0.0.1:${port}/hook`);
  const d1 = await startDaemon(cfg);
  appendFileSync(path.join(dir, 'logs', 'access.log'), attack('198.51.100.80'));
  await waitFor(() => (/webhook notification not sent, will retry/.test(d1.stderr()) ? true : undefined), 20_000, () => d1.stderr().slice(-2000));
  d1.proc.kill('SIGKILL');
  await d1.exited;
  expect(queuedFiles(dir)).toHaveLength(1);

  const r = await receiver(() => 204, port);
  const d2 = await startDaemon(cfg);
  expect(d2.stderr()).toContain('notifications left in the outbox by the previous run');
  await waitFor(() => (r.received.length >= 1 ? true : undefined), 20_000, () => d2.stderr().slice(-2000));
  await waitFor(async () => ((await metric(d2, 'authwatch_output_sent_total')) === 1 ? true : undefined), 5_000, () => d2.stderr().slice(-2000));
  d2.proc.kill('SIGTERM');
  expect(await d2.exited).toBe(0);
  expect(r.bodies<Posted>().map((b) => [b.status, b.fingerprint])).toEqual([['firing', 'brute-force|198.51.100.80']]);
  expect(queuedFiles(dir)).toEqual([]);
});

test('limits.outbox_max: past it a notification is refused, counted and named in the log', async () => {
  const port = await freeTcpPort();
  const dir = tempDir();
  const d = await startDaemon(config(dir, `http://127.0.0.1:${port}/hook`, { outboxMax: 1 }));
  appendFileSync(path.join(dir, 'logs', 'access.log'), attack('198.51.100.81', '198.51.100.82'));
  await waitFor(async () => ((await metric(d, 'authwatch_output_dropped_total')) === 1 ? true : undefined), 20_000, () => d.stderr().slice(-2000));
  expect(await metric(d, 'authwatch_output_queued')).toBe(1);
  expect(await totalWhere(d.port, 'authwatch_limit_hits_total', 'limit="outbox_max"')).toBe(1);
  expect(d.stderr()).toMatch(/"fingerprints":\["brute-force\|198\.51\.100\.8[12]"\].*outbox full \(limits\.outbox_max\): notification not queued/);
  d.proc.kill('SIGTERM');
  expect(await d.exited).toBe(0);
});

test('a bearer token and a secret webhook path are sent but never printed, exported or stored; the outbox is 0700, its files 0600', async () => {
  const TOKEN = 'tok-d0-not-leak';
  const PATH_SECRET = 'T0/B0/path-d0-not-leak';
  const r = await receiver(() => ({ status: 401, body: 'invalid token' }));
  const dir = tempDir();
  const cfg = config(dir, r.url(`/services/${PATH_SECRET}`));
  writeFileSync(cfg, readFileSync(cfg, 'utf8').replace('    retry:', '    auth: { token_env: AW_HOOK_TOKEN }\n    retry:'));
  const d = await startDaemon(cfg, [], { AW_HOOK_TOKEN: TOKEN });
  appendFileSync(path.join(dir, 'logs', 'access.log'), attack('198.51.100.83'));
  await waitFor(async () => ((await metric(d, 'authwatch_output_dead_letters_total')) === 1 ? true : undefined), 20_000, () => d.stderr().slice(-2000));
  expect(r.received[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
  expect(r.received[0]?.path).toBe(`/services/${PATH_SECRET}`);
  const exposed = [await metrics(d.port)];
  // Stopped before the state dir is read: no checkpoint is being written (and renamed) meanwhile.
  d.proc.kill('SIGTERM');
  expect(await d.exited).toBe(0);
  const state = path.join(dir, 'state');
  const files = readdirSync(state, { recursive: true }).map((f) => path.join(state, String(f)));
  exposed.push(d.stderr(), ...files.filter((f) => statSync(f).isFile()).map((f) => readFileSync(f, 'utf8')));
  for (const text of exposed) {
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain('path-d0-not-leak');
  }
  expect(files.map((f) => path.relative(state, f))).toEqual(expect.arrayContaining(['outputs', 'outputs/webhook', 'outputs/webhook/dead', 'outputs/webhook/notified.nflog']));
  for (const f of files) expect({ f, mode: (statSync(f).mode & 0o777).toString(8) }).toEqual({ f, mode: statSync(f).isDirectory() ? '700' : '600' });
});

test('SIGHUP with a corrected webhook URL: what waited in the outbox goes to the new one; an unset token variable is refused and changes nothing', async () => {
  const deadPort = await freeTcpPort();
  const dir = tempDir();
  const cfg = config(dir, `http://127.0.0.1:${deadPort}/hook`);
  const d = await startDaemon(cfg);
  appendFileSync(path.join(dir, 'logs', 'access.log'), attack('198.51.100.84'));
  await waitFor(async () => ((await metric(d, 'authwatch_output_failed_attempts_total')) >= 1 ? true : undefined), 20_000, () => d.stderr().slice(-2000));
  const r = await receiver(() => 204);
  const original = readFileSync(cfg, 'utf8');
  writeFileSync(cfg, original.replace(`127.0.0.1:${deadPort}`, `127.0.0.1:${r.port}`).replace('    retry:', '    auth: { token_env: AW_UNSET_TOKEN }\n    retry:'));
  d.proc.kill('SIGHUP');
  await waitFor(() => (d.stderr().includes('SIGHUP: the new configuration or rules are invalid') ? true : undefined), 10_000, () => d.stderr().slice(-2000));
  expect(d.stderr()).toContain('AW_UNSET_TOKEN is not set');
  writeFileSync(cfg, original.replace(`127.0.0.1:${deadPort}`, `127.0.0.1:${r.port}`));
  d.proc.kill('SIGHUP');
  await waitFor(() => (r.received.length >= 1 ? true : undefined), 20_000, () => d.stderr().slice(-2000));
  expect(r.bodies<Posted>().map((b) => [b.status, b.fingerprint])).toEqual([['firing', 'brute-force|198.51.100.84']]);
  d.proc.kill('SIGTERM');
  expect(await d.exited).toBe(0);
});
