/**
 * One authwatch for a fleet: three web servers send their access logs over syslog (UDP, RFC 3164, the
 * way nginx's `access_log syslog:` does). A brute force spread over them stays under the per-server
 * bar on each and is seen only across the fleet; `group_by: [host, ...]` gives the per-server view.
 * Bad datagrams are counted in /metrics, never silently lost.
 */
import dgram from 'node:dgram';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { format } from 'date-fns';
import { ROOT, tempDir } from '../support/paths';
import { killDaemons, startDaemon, totalWhere, waitFor } from '../support/daemon';

jest.setTimeout(60_000);
afterEach(killDaemons);

const RULES = `rules:
  - id: fleet-brute-force
    title: Brute force across the fleet
    kind: attack
    severity: high
    where: { status: [401], path: ["**/login*"] }
    group_by: [ip]
    window: 5m
    when: { count: { gte: 20 } }
    summary: "{count} failed logins from {group.ip}"
    likely_cause: "One address guesses passwords on every server."
    checks: ["Block {group.ip} at the edge."]
  - id: per-server-brute-force
    title: Brute force on one server
    kind: attack
    severity: high
    where: { status: [401], path: ["**/login*"] }
    group_by: [host, ip]
    window: 5m
    when: { count: { gte: 20 } }
    summary: "{count} failed logins from {group.ip} on {group.host}"
    likely_cause: "One address guesses passwords on one server."
    checks: ["Block {group.ip} on {group.host}."]
  - id: per-server-activity
    title: Failed logins on one server
    kind: attack
    severity: low
    where: { status: [401], path: ["**/login*"] }
    group_by: [host]
    window: 5m
    when: { count: { gte: 5 } }
    summary: "{count} failed logins on {group.host}"
    likely_cause: "Failed logins on {group.host}."
    checks: ["Look at {group.host}."]
`;

function datagram(host: string, t: Date, ip: string, status: number): string {
  const clf = format(t, 'dd/MMM/yyyy:HH:mm:ss') + ' +0000';
  const header = `<190>${format(t, 'MMM')} ${String(t.getUTCDate()).padStart(2, ' ')} ${t.toISOString().slice(11, 19)} ${host} nginx: `;
  return `${header}${ip} - admin [${clf}] "POST /login HTTP/1.1" ${status} 12 "-" "python-requests/2.32"`;
}

test('a brute force spread over three servers fires across the fleet, not per server; each server shows in the alert; bad datagrams and streams over the limit are counted', async () => {
  const dir = tempDir('authwatch-fleet-');
  mkdirSync(path.join(dir, 'rules'));
  writeFileSync(path.join(dir, 'rules', 'fleet.yaml'), RULES);
  cpSync(path.join(ROOT, 'rules', 'schema.json'), path.join(dir, 'rules', 'schema.json'));
  const cfg = path.join(dir, 'authwatch.yaml');
  writeFileSync(cfg, `inputs:\n  - syslog: { protocol: udp, port: 0, max_message_bytes: 2048 }\n    format: combined\nrules: ./rules\nstate_dir: ./state\noutputs:\n  - type: jsonl\n    path: ./alerts.jsonl\npoll_interval: 100ms\nallowed_lateness: 1s\nlimits: { max_files: 3 }\n`, { mode: 0o600 });
  const d = await startDaemon(cfg, [], { TZ: 'UTC' });
  const port = Number(/"port":(\d+),"msg":"syslog listening"/.exec(d.stderr())?.[1]);
  expect(port).toBeGreaterThan(0);

  const socket = dgram.createSocket('udp4');
  const send = (text: string) => new Promise<void>((resolve, reject) => socket.send(text, port, '127.0.0.1', (e) => (e ? reject(e) : resolve())));
  // All in one 10 s bucket (event time may be a little in the past): the alert fires with all 24 counted.
  const start = Math.floor(Date.now() / 10_000) * 10_000;
  // 8 failures on each of web-1, web-2, web-3 from one address: 24 across the fleet, 8 per server.
  for (let i = 0; i < 24; i++) await send(datagram(`web-${(i % 3) + 1}`, new Date(start + i * 100), '203.0.113.7', 401));
  await send('no syslog header at all');
  // A fourth host name is a fourth stream, over limits.max_files: its messages are counted drops.
  for (let i = 0; i < 2; i++) await send(datagram('web-4', new Date(start), '203.0.113.9', 401));
  await send(datagram('web-1', new Date(start), '203.0.113.8', 401) + ' "' + 'x'.repeat(3000) + '"');

  const alertsFile = path.join(dir, 'alerts.jsonl');
  type Alert = { rule: string; group: Record<string, string>; top: { host?: Array<{ key: string; count: number }> } };
  const alerts = (): Alert[] => (existsSync(alertsFile) ? readFileSync(alertsFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Alert) : []);
  await waitFor(() => (alerts().filter((a) => a.rule === 'per-server-activity').length === 3 && alerts().some((a) => a.rule === 'fleet-brute-force') ? true : undefined), 20_000, () => JSON.stringify(alerts()) + d.stderr().slice(-2000));
  await new Promise((r) => setTimeout(r, 1_500));
  socket.close();

  const fleet = alerts().filter((a) => a.rule === 'fleet-brute-force');
  expect(fleet.map((a) => a.group)).toEqual([{ ip: '203.0.113.7' }]);
  expect(fleet[0]?.top.host).toEqual([{ key: 'web-1', count: 8 }, { key: 'web-2', count: 8 }, { key: 'web-3', count: 8 }]);
  expect(alerts().filter((a) => a.rule === 'per-server-brute-force')).toEqual([]);
  expect(alerts().filter((a) => a.rule === 'per-server-activity').map((a) => a.group.host).sort()).toEqual(['web-1', 'web-2', 'web-3']);

  expect(await totalWhere(d.port, 'authwatch_syslog_messages_total', '')).toBe(24);
  expect(await totalWhere(d.port, 'authwatch_syslog_dropped_total', 'reason="malformed"')).toBe(1);
  expect(await totalWhere(d.port, 'authwatch_syslog_dropped_total', 'reason="over_limit"')).toBe(1);
  expect(await totalWhere(d.port, 'authwatch_syslog_dropped_total', 'reason="stream_limit"')).toBe(2);
  expect(d.stderr()).toMatch(/"reason":"over_limit".*"msg":"syslog message dropped"/);
  expect(d.stderr().match(/syslog stream not read: limits.max_files/g)).toHaveLength(1);
  d.proc.kill('SIGTERM');
  expect(await d.exited).toBe(0);
});
