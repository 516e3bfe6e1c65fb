/**
 * The email notifier against a real SMTP server on 127.0.0.1, fed with the incidents authwatch finds
 * in the bundled samples (the built CLI's JSON report): retries on 451, dead letters on 550, the
 * rate limit's digest, what the email says, and that nothing from a log reaches a header raw.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Alert } from '../../src/daemon/outputs';
import type { Incident } from '../../src/rules/incident';
import type { EmailConfig } from '../../src/config/schema';
import { EmailNotifier, type NotifierLog } from '../../src/notify/email';
import { createSmtpSender } from '../../src/notify/smtp';
import { CLI, ROOT, tempDir } from '../support/paths';
import { TestSmtpServer } from '../support/smtp';
import { freeTcpPort } from '../support/ports';
import { waitFor } from '../support/daemon';

jest.setTimeout(60_000);

let incidents: Incident[];
beforeAll(() => {
  const r = spawnSync(process.execPath, [CLI, 'report', 'samples/', '--output', 'json'], { cwd: ROOT, encoding: 'utf8' });
  incidents = JSON.parse(r.stdout).incidents;
  expect(incidents.map((i) => i.rule).sort()).toEqual(['auth-broken-on-path', 'brute-force', 'credential-stuffing', 'scanner', 'stale-credential']);
});

const firing = (rule: string): Alert => ({ ...(incidents.find((i) => i.rule === rule) as Incident), status: 'firing' });

class Log implements NotifierLog {
  lines: string[] = [];
  info = (f: object, m: string) => this.lines.push(`info ${m} ${JSON.stringify(f)}`);
  warn = (f: object, m: string) => this.lines.push(`warn ${m} ${JSON.stringify(f)}`);
  error = (f: object, m: string) => this.lines.push(`error ${m} ${JSON.stringify(f)}`);
}

const servers: TestSmtpServer[] = [];
const notifiers: EmailNotifier[] = [];
afterEach(async () => {
  for (const n of notifiers.splice(0)) await n.stop();
  for (const s of servers.splice(0)) await s.stop();
});

async function setUp(server: TestSmtpServer, extra: Partial<EmailConfig> = {}, limits: { outboxMax?: number } = {}): Promise<{ notifier: EmailNotifier; log: Log; stateDir: string }> {
  servers.push(server);
  const config: EmailConfig = {
    smtp: { host: '127.0.0.1', port: server.port, starttls: 'never', timeout: '2s' },
    from: 'authwatch <authwatch@example.test>',
    to: ['oncall@example.test'],
    group_wait: '0s',
    group_interval: '0s',
    retry: { initial: '100ms', max: '400ms' },
    timezone: 'Europe/Paris',
    ...extra,
  };
  const stateDir = tempDir();
  const log = new Log();
  const notifier = new EmailNotifier(config, await createSmtpSender(config.smtp), stateDir, log, { tickMs: 50, ...limits });
  await notifier.start();
  notifiers.push(notifier);
  return { notifier, log, stateDir };
}

test('the email says what, which kind and why, the evidence, top lists, sample lines with file:line and the checks', async () => {
  const server = await TestSmtpServer.start();
  const { notifier } = await setUp(server);
  const alert = firing('brute-force');
  await notifier.accept([alert]);
  const [mail] = await server.waitForMessages(1);
  expect(mail?.subject).toBe(`[authwatch] HIGH attack: ${alert.summary}`);
  expect(mail?.subject).toMatch(/^\[authwatch\] HIGH attack: 240 failed attempts on \/login from 203\.0\.113\.7/);
  const text = mail?.text ?? '';
  expect(text).toContain('[FIRING] HIGH attack: Brute force on a protected resource');
  expect(text).toMatch(/Why attack: .*Rule brute-force matched: count 240 ≥ 20; distinct paths 1 ≤ 5/);
  expect(text).toMatch(/When: .* UTC .*\(Europe\/Paris: .*GMT\+1/);
  expect(text).toMatch(/Per minute: +[▁▂▃▄▅▆▇█ ]+ +\(\d+ min from/);
  expect(text).toContain('Top IPs:      203.0.113.7 (240)');
  for (const check of alert.checks) expect(text).toContain(check);
  expect(text).toMatch(/Sample lines:\n {2}samples\/.*access\.log.*:\d+ 203\.0\.113\.7 /);
  // The HTML part: the same content, no remote resource anywhere.
  const html = String(mail?.html);
  expect(html).toContain('Brute force on a protected resource');
  expect(html).toContain(alert.checks[0]?.replace(/"/g, '&quot;').replace(/'/g, '&#39;'));
  expect(html).not.toMatch(/\b(?:src|href)=["']?(?:https?:)?\/\//i);
  expect(mail?.messageId).toMatch(/^<authwatch\.00000000-[0-9a-f]{16}@example\.test>$/);
  await waitFor(() => (notifier.stats.sent === 1 ? true : undefined), 5_000, () => JSON.stringify(notifier.stats));
  expect(notifier.stats).toEqual(expect.objectContaining({ sent: 1, queued: 0, failedAttempts: 0 }));
});

test('a log value with CR/LF and HTML cannot reach a header raw nor inject markup', async () => {
  const server = await TestSmtpServer.start();
  const { notifier } = await setUp(server);
  const evil = firing('brute-force');
  evil.summary = 'x\r\nBcc: victim@example.test\r\n\r\n<script>document.title="pwned"</script>';
  evil.top = { ...evil.top, client: [{ key: '<img src=x onerror=alert(1)>', count: 3 }] };
  await notifier.accept([evil]);
  const [mail] = await server.waitForMessages(1);
  expect(mail?.headers.has('bcc')).toBe(false);
  expect(mail?.subject).not.toMatch(/[\r\n]/);
  expect(mail?.subject).toContain('x Bcc: victim@example.test <script>');
  const html = String(mail?.html);
  expect(html).not.toContain('<script>');
  expect(html).not.toContain('<img src=x');
  expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
});

test('451 (try later) is retried with backoff until accepted: one message, the same Message-ID', async () => {
  const server = await TestSmtpServer.start({ transientFailures: 2 });
  const { notifier, log, stateDir } = await setUp(server);
  await notifier.accept([firing('scanner')]);
  await server.waitForMessages(1);
  expect(server.attempts).toBe(3);
  // The server has the message before the client reads its 250: wait for the notifier's bookkeeping.
  await waitFor(() => (notifier.stats.sent === 1 ? true : undefined), 5_000, () => JSON.stringify(notifier.stats));
  expect(notifier.stats).toEqual(expect.objectContaining({ sent: 1, failedAttempts: 2, deadLetters: 0, queued: 0 }));
  expect(log.lines.filter((l) => l.startsWith('warn email not sent, will retry'))).toHaveLength(2);
  expect(readdirSync(path.join(stateDir, 'outbox')).filter((f) => f.endsWith('.json'))).toEqual([]);
  await new Promise((r) => setTimeout(r, 500));
  expect(server.received).toHaveLength(1);
});

test('a 550 for the recipient goes to the dead-letter folder with the reason, and is not retried', async () => {
  const server = await TestSmtpServer.start({ refuse: (a) => a.startsWith('oncall@') });
  const { notifier, log, stateDir } = await setUp(server);
  await notifier.accept([firing('stale-credential')]);
  const dead = path.join(stateDir, 'outbox', 'dead');
  // Done when the notifier has counted it and holds nothing more to send (so nothing will be retried);
  // until then the folder may show the atomic write's temp file.
  await waitFor(() => (notifier.stats.deadLetters === 1 && notifier.stats.queued === 0 ? true : undefined), 10_000, () => log.lines.join('\n'));
  // More rounds: nothing is tried again.
  for (let i = 0; i < 3; i++) await notifier.tick();
  const files = readdirSync(dead);
  expect(files).toEqual([expect.stringMatching(/\.json$/)]);
  const letter = JSON.parse(readFileSync(path.join(dead, files[0] as string), 'utf8'));
  expect(letter.reason).toMatch(/refused the sender or a recipient .*550.*mailbox unavailable/);
  expect(letter.mail.subject).toMatch(/LOW misconfiguration|MEDIUM misconfiguration|HIGH misconfiguration/);
  expect(notifier.stats).toEqual(expect.objectContaining({ sent: 0, deadLetters: 1, failedAttempts: 1, queued: 0 }));
  expect(readdirSync(path.join(stateDir, 'outbox')).filter((f) => f.endsWith('.json'))).toEqual([]);
  expect(log.lines.some((l) => l.startsWith('error email refused for good'))).toBe(true);
});

test('rate limit: a storm of alerts yields at most max_per_hour emails, the rest folded into a digest', async () => {
  const server = await TestSmtpServer.start();
  const { notifier } = await setUp(server, { max_per_hour: 2 });
  await notifier.accept(incidents.map((i) => ({ ...i, status: 'firing' as const })));
  await server.waitForMessages(2);
  // More alerts within the hour: they wait, nothing more is sent.
  await notifier.accept(incidents.map((i) => ({ ...i, status: 'resolved' as const })));
  await new Promise((r) => setTimeout(r, 600));
  expect(server.received).toHaveLength(2);
  const [single, digest] = server.received;
  expect(single?.subject).not.toContain('digest');
  expect(digest?.subject).toBe('[authwatch] digest: 4 firing (2 emails/h limit reached)');
  // Every alert of the storm is in one of the two emails.
  for (const i of incidents) expect(`${single?.text}\n${digest?.text}`).toContain(i.summary);
  expect(notifier.stats.digests).toBe(1);
});

test('a full outbox (limits.outbox_max) holds new alerts back, says so once, and sends them as it drains', async () => {
  const port = await freeTcpPort();
  const server = new TestSmtpServer(port);
  const { notifier, log, stateDir } = await setUp(server, {}, { outboxMax: 1 });
  await notifier.accept([firing('brute-force'), firing('scanner')]);
  await waitFor(() => (log.lines.some((l) => l.startsWith('error email outbox full')) ? true : undefined), 5_000, () => log.lines.join('\n'));
  await new Promise((r) => setTimeout(r, 500));
  expect(readdirSync(path.join(stateDir, 'outbox')).filter((f) => f.endsWith('.json'))).toHaveLength(1);
  expect(log.lines.filter((l) => l.startsWith('error email outbox full'))).toHaveLength(1);
  await server.listen();
  const mails = await server.waitForMessages(2, 10_000, () => log.lines.join('\n'));
  await new Promise((r) => setTimeout(r, 300));
  const subjects = mails.map((m) => m.subject ?? '');
  expect(subjects).toHaveLength(2);
  expect(subjects.filter((s) => s.includes('from 203.0.113.7'))).toHaveLength(1);
  expect(subjects.filter((s) => s.includes('192.0.2.200'))).toHaveLength(1);
});
