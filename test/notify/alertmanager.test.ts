/**
 * Alerts in Alertmanager's shape, from the incidents authwatch finds in the bundled samples (the built
 * CLI's JSON report): labels, bounded and escaped values, Alertmanager's fingerprint, the webhook
 * message; and the outputs config refusing what it cannot use with a message naming the field.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Alert } from '../../src/daemon/outputs';
import type { Incident } from '../../src/rules/incident';
import { alertLabels, alertAnnotations, fingerprintOf, postableAlert, webhookMessage } from '../../src/notify/alertmanager';
import { loadConfig } from '../../src/config/schema';
import { CLI, ROOT, tempDir } from '../support/paths';
import { parseAlertmanagerWebhook } from '../support/alertmanager';

let incidents: Incident[];
beforeAll(() => {
  const r = spawnSync(process.execPath, [CLI, 'report', 'samples/', '--output', 'json'], { cwd: ROOT, encoding: 'utf8' });
  incidents = JSON.parse(r.stdout).incidents;
});

const alert = (rule: string, status: Alert['status'] = 'firing'): Alert => ({ ...(incidents.find((i) => i.rule === rule) as Incident), status });
const shape = { labels: { team: 'web' }, sampleLines: 3 };

test("the fingerprint is Alertmanager's (this label set measured against Alertmanager 0.25: 909284fd93508ae3)", () => {
  expect(fingerprintOf({ alertname: 'brute-force', ip: '203.0.113.7', kind: 'attack', severity: 'high' })).toBe('909284fd93508ae3');
  expect(fingerprintOf({ severity: 'high', kind: 'attack', ip: '203.0.113.7', alertname: 'brute-force' })).toBe('909284fd93508ae3');
  expect(fingerprintOf({ alertname: 'brute-force', ip: '203.0.113.8', kind: 'attack', severity: 'high' })).not.toBe('909284fd93508ae3');
});

test('labels: the rule, kind, severity and group key; static labels never override them', () => {
  const a = alert('brute-force');
  expect(alertLabels(a, { team: 'web', alertname: 'x', severity: 'low' })).toEqual({ alertname: 'brute-force', kind: 'attack', severity: 'high', ip: '203.0.113.7', team: 'web' });
  expect(alertLabels(alert('auth-broken-on-path'), {})).toMatchObject({ alertname: 'auth-broken-on-path', kind: 'misconfiguration' });
});

test('the host is a label when the failures came from one host, and not when from several', () => {
  const a = alert('brute-force');
  expect(alertLabels({ ...a, top: { ...a.top, host: [{ key: 'web-1', count: 240 }] } }, { host: 'from-config' }).host).toBe('web-1');
  expect(alertLabels({ ...a, top: { ...a.top, host: [{ key: 'web-1', count: 200 }, { key: 'web-2', count: 40 }] } }, {}).host).toBeUndefined();
});

test('log values in labels and annotations: control characters escaped, lengths bounded, two long values still two alerts', () => {
  const a = alert('scanner');
  const long = (tail: string) => ({ ...a, group: { path: `/${'a'.repeat(5000)}${tail}` } });
  const l1 = alertLabels(long('1'), {});
  const l2 = alertLabels(long('2'), {});
  expect(l1.path?.length).toBeLessThanOrEqual(256);
  expect(l1.path).not.toBe(l2.path);
  expect(fingerprintOf(l1)).not.toBe(fingerprintOf(l2));
  const hostile = { ...a, group: { path: '/x\x1b]2;owned\x07\r\nBcc: y' }, summary: `${'s'.repeat(10_000)}\x1b[2J`, samples: Array.from({ length: 50 }, () => 'l'.repeat(2000)) };
  const labels = alertLabels(hostile, {});
  expect(labels.path).toBe('/x\\x1B]2;owned\\x07\\x0D\\x0ABcc: y');
  const annotations = alertAnnotations(hostile, 5);
  for (const v of Object.values(annotations)) expect(v.length).toBeLessThanOrEqual(4096);
  expect(annotations.summary).not.toMatch(/\x1b/);
  expect(annotations.samples?.split('\n')).toHaveLength(5);
  expect(annotations.checks).toMatch(/^1\. .+\n2\. /);
});

test('a postable alert: no endsAt while firing; once resolved, endsAt at the end of the failures, never past now nor before the start', () => {
  const firing = postableAlert(alert('brute-force'), shape, Date.now());
  expect(firing.endsAt).toBeUndefined();
  expect(firing.startsAt).toBe(new Date(alert('brute-force').start).toISOString());
  const r = alert('brute-force', 'resolved');
  expect(postableAlert(r, shape, Date.now()).endsAt).toBe(new Date(r.end).toISOString());
  expect(postableAlert(r, shape, Date.parse(r.start) - 60_000).endsAt).toBe(new Date(r.start).toISOString());
});

test("the webhook message is what Alertmanager's webhook posts: version 4, grouped by alertname, common labels, Go's zero time while firing", () => {
  const a = alert('brute-force');
  const b = { ...a, group: { ip: '203.0.113.99' }, fingerprint: 'brute-force|203.0.113.99', status: 'resolved' as const };
  const message = parseAlertmanagerWebhook(JSON.stringify(webhookMessage([a, b], { ...shape, receiver: 'ops', externalUrl: 'https://authwatch.example.test/' }, Date.now())));
  expect(message).toMatchObject({ version: '4', receiver: 'ops', status: 'firing', groupKey: '{}:{alertname="brute-force"}', groupLabels: { alertname: 'brute-force' }, truncatedAlerts: 0, externalURL: 'https://authwatch.example.test/' });
  expect(message.commonLabels).toEqual({ alertname: 'brute-force', kind: 'attack', severity: 'high', team: 'web' });
  expect(message.alerts.map((x) => [x.status, x.labels.ip, x.endsAt === '0001-01-01T00:00:00Z'])).toEqual([
    ['firing', '203.0.113.7', true],
    ['resolved', '203.0.113.99', false],
  ]);
  expect(message.alerts[0]?.fingerprint).toBe(fingerprintOf(message.alerts[0]?.labels ?? {}));
});

describe('the outputs config says what is wrong, where', () => {
  async function error(outputs: string): Promise<string> {
    const file = path.join(tempDir(), 'authwatch.yaml');
    writeFileSync(file, `inputs:\n  - path: ./a.log\nstate_dir: ./s\noutputs:\n${outputs}`);
    return loadConfig(file).then(
      () => 'loaded',
      (e: Error) => e.message,
    );
  }

  test.each([
    ['  - type: alertmanager\n    urls: [ftp://am:9093]\n', /authwatch\.yaml:6:\d+: outputs\[0\]\.urls\[0\]: an http:\/\/ or https:\/\/ URL/],
    ['  - type: alertmanager\n    urls: [http://am:9093, http://am:9093/]\n', /outputs\[0\]\.urls: the same Alertmanager is listed twice/],
    ['  - type: alertmanager\n    urls: [http://am:9093]\n    labels: { team-name: web }\n', /authwatch\.yaml:7:\d+: outputs\[0\]\.labels\.team-name: not a label name/],
    ['  - type: alertmanager\n    urls: [http://am:9093]\n    auth: { user: a, pass_env: X, token_env: Y }\n', /outputs\[0\]\.auth: give user with one of pass_env or pass_file \(basic auth\), or one of token_env or token_file/],
    ['  - type: alertmanager\n    urls: [http://am:9093]\n    auth: { pass_env: X }\n', /outputs\[0\]\.auth: give user with/],
    ['  - type: webhook\n    url: http://a/hook\n  - type: webhook\n    url: http://b/hook\n', /outputs\[1\]\.name: two outputs are named webhook: give each its own name/],
    ['  - type: webhook\n    url: http://a/hook\n    labels: { team: web }\n', /outputs\[0\]\.labels: labels applies to format: alertmanager only/],
    ['  - type: webhook\n    url: http://a/hook\n    format: prometheus\n', /outputs\[0\]\.format: /],
  ])('%j', async (outputs, message) => {
    expect(await error(outputs)).toMatch(message);
  });

  test('two webhooks with names, an Alertmanager pair with credentials from a file: accepted, paths made absolute', async () => {
    const msg = await error('  - type: webhook\n    name: a\n    url: http://a/hook\n  - type: webhook\n    name: b\n    url: https://b/hook\n    format: alertmanager\n    labels: { team: web }\n  - type: alertmanager\n    urls: [http://am1:9093, http://am2:9093]\n    auth: { user: aw, pass_file: ./am.pass }\n    ca_file: ./ca.pem\n');
    expect(msg).toBe('loaded');
  });
});
