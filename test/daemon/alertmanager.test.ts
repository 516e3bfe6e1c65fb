/**
 * `authwatch watch` with the alertmanager output against a real Prometheus Alertmanager (Debian's
 * prometheus-alertmanager on 127.0.0.1, a temp config whose webhook receiver posts back to this
 * test): a brute force is one firing alert there with the right labels and one notification, re-sent
 * without a second notification, resolved after the attack; a silence made through the API keeps its
 * alert out of the notification; Alertmanager down during the attack and started later gets it once;
 * kill -9 while it is down loses nothing; when authwatch dies, Alertmanager's resolve_timeout ends the
 * alert; both Alertmanagers of an HA pair get it. The webhook in Alertmanager's format is read by the
 * same parser as Alertmanager's own posts, and says the same.
 */
import { appendFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { fingerprintOf } from '../../src/notify/alertmanager';
import { tempDir } from '../support/paths';
import { killDaemons, startDaemon, totalWhere, waitFor, type Daemon } from '../support/daemon';
import { lines } from '../support/lines';
import { TestReceiver } from '../support/receiver';
import { killAlertmanagers, parseAlertmanagerWebhook, TestAlertmanager, type AlertmanagerWebhook } from '../support/alertmanager';

/** How long Alertmanager stays down in the outage test (the 30 s; AUTHWATCH_AM_OUTAGE_SECONDS to change it). */
const OUTAGE_SECONDS = Number(process.env.AUTHWATCH_AM_OUTAGE_SECONDS ?? 30);

jest.setTimeout(120_000 + OUTAGE_SECONDS * 1000);

const receivers: TestReceiver[] = [];
afterEach(async () => {
  killDaemons();
  killAlertmanagers();
  for (const r of receivers.splice(0)) await r.stop();
});

async function receiver(): Promise<TestReceiver> {
  const r = await TestReceiver.start(() => 200);
  receivers.push(r);
  return r;
}

function config(dir: string, outputs: object[]): string {
  const file = path.join(dir, 'authwatch.yaml');
  writeFileSync(file, stringify({ inputs: [{ path: './logs/access.log', format: 'combined' }], state_dir: './state', poll_interval: '100ms', checkpoint_interval: '200ms', outputs }));
  mkdirSync(path.join(dir, 'logs'), { recursive: true });
  writeFileSync(path.join(dir, 'logs', 'access.log'), '');
  return file;
}

const amOutput = (urls: string[], extra: object = {}) => ({ type: 'alertmanager', urls, resend_interval: '500ms', retry: { initial: '200ms', max: '1s' }, ...extra });

const failures = (ip: string) => lines(30, { ip, method: 'POST', target: '/login', status: 401, userAgent: 'python-requests/2.32' }, 1500);
/** Failed logins from each address, then ordinary traffic a minute later, which closes the attack's buckets: it fires. */
const attack = (...ips: string[]) => ips.map(failures).join('') + lines(5, {}, 1400);
/** Traffic well past the attack's end (resolve_after): it resolves. */
const later = () => lines(3, {}, 5);

const notifications = (r: TestReceiver): AlertmanagerWebhook[] => r.received.filter((q) => q.path === '/am').map((q) => parseAlertmanagerWebhook(q.body));
const sent = (d: Daemon) => totalWhere(d.port, 'authwatch_output_sent_total', 'output="alertmanager"');
const failed = (d: Daemon) => totalWhere(d.port, 'authwatch_output_failed_attempts_total', 'output="alertmanager"');
const context = (d: Daemon, am?: TestAlertmanager) => () => `${d.stderr().slice(-2000)}\n${am?.output() ?? ''}`;

/** Several re-sends accepted after `from`: by then a duplicate notification would have been posted. */
async function resent(d: Daemon, from: number, am?: TestAlertmanager): Promise<void> {
  await waitFor(async () => ((await sent(d)) >= from + 3 ? true : undefined), 20_000, context(d, am));
}

test('a brute force: one firing alert with the right labels, one notification though re-sent; resolved after the attack; the webhook in Alertmanager format says the same', async () => {
  const r = await receiver();
  const am = await TestAlertmanager.start({ webhookUrl: r.url('/am') });
  const dir = tempDir();
  const generator = 'https://reports.example.test/authwatch?rule={rule}';
  const d = await startDaemon(
    config(dir, [
      amOutput([am.url], { labels: { team: 'web', severity: 'ignored: the alert says its own' }, generator_url: generator }),
      { type: 'webhook', name: 'am-format', url: r.url('/direct'), format: 'alertmanager', receiver: 'test', labels: { team: 'web' }, generator_url: generator },
    ]),
  );
  const log = path.join(dir, 'logs', 'access.log');
  appendFileSync(log, attack('198.51.100.90'));

  const [alert] = await waitFor(async () => ((await am.alerts()).length > 0 ? am.alerts() : undefined), 20_000, context(d, am));
  expect(await am.alerts()).toHaveLength(1);
  expect(alert?.labels).toEqual({ alertname: 'brute-force', kind: 'attack', severity: 'high', ip: '198.51.100.90', team: 'web' });
  expect(alert?.fingerprint).toBe(fingerprintOf(alert?.labels ?? {}));
  expect(alert?.annotations.summary).toMatch(/^\d\d failed attempts on \/login from 198\.51\.100\.90/);
  expect(alert?.annotations.likely_cause).toBeTruthy();
  expect(alert?.annotations.checks).toMatch(/^1\. .*\n2\. /);
  expect(alert?.annotations.evidence).toMatch(/^\d\d failures in all; busiest window: count \d+.*Rule brute-force matched: count \d+ ≥ 20/);
  expect(alert?.annotations.samples?.split('\n')[0]).toMatch(/access\.log:\d+ 198\.51\.100\.90 - - \[/);
  expect(alert?.generatorURL).toBe('https://reports.example.test/authwatch?rule=brute-force');
  expect(alert?.status.state).toBe('active');

  const [firing] = await waitFor(() => (notifications(r).length > 0 ? notifications(r) : undefined), 20_000, context(d, am));
  expect(firing?.status).toBe('firing');
  expect(firing?.alerts.map((a) => a.labels)).toEqual([alert?.labels]);
  await resent(d, await sent(d), am);
  expect(notifications(r)).toHaveLength(1);

  // The same incident as authwatch's own webhook in Alertmanager's format: parsed by the same code, the same content.
  const direct = r.received.filter((q) => q.path === '/direct').map((q) => parseAlertmanagerWebhook(q.body));
  expect(direct).toHaveLength(1);
  const [mine] = direct;
  for (const k of ['receiver', 'status', 'groupLabels', 'commonLabels', 'commonAnnotations', 'version', 'groupKey', 'truncatedAlerts'] as const) expect(mine?.[k]).toEqual(firing?.[k]);
  const comparable = (w?: AlertmanagerWebhook) => w?.alerts.map((a) => ({ ...a, startsAt: Date.parse(a.startsAt), endsAt: Date.parse(a.endsAt) }));
  expect(comparable(mine)).toEqual(comparable(firing));

  appendFileSync(log, later());
  await waitFor(async () => ((await am.alerts()).length === 0 ? true : undefined), 20_000, context(d, am));
  const resolved = await waitFor(() => notifications(r).find((n) => n.status === 'resolved'), 20_000, context(d, am));
  expect(resolved.alerts.map((a) => [a.status, a.labels.ip])).toEqual([['resolved', '198.51.100.90']]);
  expect(Date.parse(resolved.alerts[0]?.endsAt ?? '')).toBeLessThanOrEqual(Date.now());
  const directResolved = await waitFor(() => r.received.filter((q) => q.path === '/direct').map((q) => parseAlertmanagerWebhook(q.body))[1], 20_000, context(d, am));
  expect(comparable(directResolved)).toEqual(comparable(resolved));
  expect(notifications(r).map((n) => n.status)).toEqual(['firing', 'resolved']);
  d.proc.kill('SIGTERM');
  expect(await d.exited).toBe(0);
});

test('a silence created through the API keeps its alert out of the notification', async () => {
  const r = await receiver();
  const am = await TestAlertmanager.start({ webhookUrl: r.url('/am') });
  const silence = await am.silence({ alertname: 'brute-force', ip: '198.51.100.91' });
  const dir = tempDir();
  const d = await startDaemon(config(dir, [amOutput([am.url])]));
  appendFileSync(path.join(dir, 'logs', 'access.log'), attack('198.51.100.91', '198.51.100.92'));
  // The group's notification, once sent, would hold both alerts but for the silence.
  const [n] = await waitFor(() => (notifications(r).length > 0 ? notifications(r) : undefined), 20_000, context(d, am));
  expect(n?.alerts.map((a) => a.labels.ip)).toEqual(['198.51.100.92']);
  const alerts = await am.alerts();
  expect(alerts.map((a) => [a.labels.ip, a.status.state, a.status.silencedBy]).sort()).toEqual([
    ['198.51.100.91', 'suppressed', [silence]],
    ['198.51.100.92', 'active', []],
  ]);
  await resent(d, await sent(d), am);
  expect(notifications(r).flatMap((x) => x.alerts.map((a) => a.labels.ip))).toEqual(['198.51.100.92']);
});

test(`Alertmanager down during the attack and started ${OUTAGE_SECONDS} s later: the alert arrives once`, async () => {
  const r = await receiver();
  const am = await TestAlertmanager.start({ webhookUrl: r.url('/am') });
  await am.stop();
  const dir = tempDir();
  const d = await startDaemon(config(dir, [amOutput([am.url])]));
  appendFileSync(path.join(dir, 'logs', 'access.log'), attack('198.51.100.93'));
  await waitFor(async () => ((await failed(d)) >= 1 ? true : undefined), 20_000, context(d));
  expect(d.stderr()).toMatch(/Alertmanager alerts not sent, will retry: cannot reach http:\/\/127\.0\.0\.1:\d+: connection refused/);
  // The outage itself: the scenario's length, not a wait for something to happen.
  await new Promise((resolve) => setTimeout(resolve, OUTAGE_SECONDS * 1000));
  expect(await totalWhere(d.port, 'authwatch_output_oldest_queued_seconds', 'output="alertmanager"')).toBeGreaterThanOrEqual(OUTAGE_SECONDS - 1);
  await am.listen();
  await waitFor(() => (notifications(r).length > 0 ? true : undefined), 20_000, context(d, am));
  await resent(d, await sent(d), am);
  expect(notifications(r).map((n) => [n.status, n.alerts.map((a) => a.labels.ip)])).toEqual([['firing', ['198.51.100.93']]]);
  expect((await am.alerts()).map((a) => a.labels.ip)).toEqual(['198.51.100.93']);
});

test('kill -9 while Alertmanager is down: delivered after the restart; then authwatch dies and resolve_timeout ends the alert there', async () => {
  const r = await receiver();
  const am = await TestAlertmanager.start({ webhookUrl: r.url('/am'), resolveTimeout: '4s' });
  await am.stop();
  const dir = tempDir();
  const cfg = config(dir, [amOutput([am.url])]);
  const d1 = await startDaemon(cfg);
  appendFileSync(path.join(dir, 'logs', 'access.log'), attack('198.51.100.94'));
  await waitFor(async () => ((await failed(d1)) >= 1 ? true : undefined), 20_000, context(d1));
  d1.proc.kill('SIGKILL');
  await d1.exited;
  const queued = readdirSync(path.join(dir, 'state', 'outputs', 'alertmanager'), { recursive: true }).filter((f) => String(f).endsWith('.json') && !String(f).includes('dead'));
  expect(queued).toHaveLength(1);

  const d2 = await startDaemon(cfg);
  expect(d2.stderr()).toContain('notifications left in the outbox by the previous run');
  await am.listen();
  await waitFor(() => (notifications(r).length > 0 ? true : undefined), 20_000, context(d2, am));
  await resent(d2, await sent(d2), am);
  expect(notifications(r).map((n) => [n.status, n.alerts.map((a) => a.labels.ip)])).toEqual([['firing', ['198.51.100.94']]]);

  // authwatch dies for good: no more re-sends, and Alertmanager's resolve_timeout (4 s here) ends the alert.
  d2.proc.kill('SIGKILL');
  await d2.exited;
  const resolved = await waitFor(() => notifications(r).find((n) => n.status === 'resolved'), 30_000, () => am.output());
  expect(resolved.alerts.map((a) => a.labels.ip)).toEqual(['198.51.100.94']);
  expect(await am.alerts()).toEqual([]);
});

test('an HA pair: each Alertmanager gets every alert, and the one that is down does not hold up the other', async () => {
  const r1 = await receiver();
  const r2 = await receiver();
  const am1 = await TestAlertmanager.start({ webhookUrl: r1.url('/am') });
  const am2 = await TestAlertmanager.start({ webhookUrl: r2.url('/am') });
  await am2.stop();
  const dir = tempDir();
  const d = await startDaemon(config(dir, [amOutput([am1.url, am2.url])]));
  appendFileSync(path.join(dir, 'logs', 'access.log'), attack('198.51.100.95'));
  await waitFor(() => (notifications(r1).length > 0 ? true : undefined), 20_000, context(d, am1));
  expect(await totalWhere(d.port, 'authwatch_output_queued', `target="${am2.url}"`)).toBe(1);
  await am2.listen();
  await waitFor(() => (notifications(r2).length > 0 ? true : undefined), 20_000, context(d, am2));
  for (const am of [am1, am2]) expect((await am.alerts()).map((a) => a.labels.ip)).toEqual(['198.51.100.95']);
  expect(notifications(r1)).toHaveLength(1);
  expect(notifications(r2)).toHaveLength(1);
});
