/**
 * Against the real thing: Debian's Apache with AuthType Basic, mod_remoteip taking the client from
 * X-Forwarded-For (a test can only use 127.0.0.1), its access log written to a file and piped
 * through logger(1) to authwatch's syslog input (RFC 5424 over TCP, octet counting), its error log
 * to a file. Real requests, then real `logrotate -f` runs over the files, first `create` (rename +
 * graceful restart) and then `copytruncate`, with requests in flight: the daemon following the files
 * must read every line exactly once, and keep going to catch the password file disappearing.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { tempDir } from '../support/paths';
import { killDaemons, startDaemon, totalWhere, total, waitFor } from '../support/daemon';
import { freeTcpPort } from '../support/ports';
import { alertsIn, get, giveToNobody, htpasswdLine, killServers, mkdirs, runAsNobody, startOfQuietBucket } from '../support/webservers';

jest.setTimeout(120_000);
afterAll(async () => {
  killDaemons();
  await killServers();
});

const APACHE = '/usr/sbin/apache2';
const LOGROTATE = '/usr/sbin/logrotate';
const MODULES = '/usr/lib/apache2/modules';
const LOG_FORMAT = '%a %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"';
const run = promisify(execFile);

function apacheConf(dir: string, port: number, syslogPort: number): string {
  const modules = ['mpm_event', 'authn_core', 'authn_file', 'authz_core', 'authz_user', 'auth_basic', 'remoteip', 'dir'];
  return `ServerRoot ${dir}
ServerName localhost
Listen 127.0.0.1:${port}
PidFile ${dir}/run/httpd.pid
DefaultRuntimeDir ${dir}/run
Mutex file:${dir}/run default
${modules.map((m) => `LoadModule ${m}_module ${MODULES}/mod_${m}.so`).join('\n')}
StartServers 1
ServerLimit 2
ThreadsPerChild 16
MaxRequestWorkers 32
ErrorLog ${dir}/logs/error.log
LogLevel warn auth_basic:info authn_file:info
# The load balancer in front is 127.0.0.1: %a and the error log's [client] are the X-Forwarded-For address.
RemoteIPHeader X-Forwarded-For
RemoteIPInternalProxy 127.0.0.1
LogFormat "${LOG_FORMAT.replace(/"/g, '\\"')}" xff
CustomLog ${dir}/logs/access.log xff
CustomLog "|/usr/bin/logger --server 127.0.0.1 --port ${syslogPort} --tcp --octet-count --rfc5424 --tag apache" xff
DocumentRoot ${dir}/www
DirectoryIndex index.html
<Directory ${dir}/www>
  Require all granted
</Directory>
<Location /login>
  AuthType Basic
  AuthName members
  AuthBasicProvider file
  AuthUserFile ${dir}/htpasswd
  Require valid-user
</Location>
`;
}

function logrotateConf(dir: string, mode: 'create' | 'copytruncate'): string {
  const files = `${dir}/logs/access.log ${dir}/logs/error.log`;
  if (mode === 'copytruncate') return `${files} {\n  copytruncate\n  rotate 5\n  nocompress\n  missingok\n}\n`;
  return `${files} {\n  create\n  rotate 5\n  nocompress\n  missingok\n  sharedscripts\n  postrotate\n    kill -USR1 $(cat ${dir}/run/httpd.pid)\n  endscript\n}\n`;
}

test('Apache: brute force with error-log reasons, a good client, logrotate create and copytruncate without losing a line, a vanished AuthUserFile — from files and syslog', async () => {
  for (const bin of [APACHE, LOGROTATE]) if (!existsSync(bin)) throw new Error(`${bin} is missing: scripts/ensure-test-deps.sh installs Debian's apache2 and logrotate`);
  const dir = tempDir('authwatch-apache-');
  mkdirs(dir, 'logs', 'run', 'www/login', 'state-files', 'state-syslog');
  writeFileSync(path.join(dir, 'www', 'login', 'index.html'), 'members only\n');
  writeFileSync(path.join(dir, 'htpasswd'), htpasswdLine('admin', 'correct horse'));
  const [port, syslogPort] = [await freeTcpPort(), await freeTcpPort()];

  const common = `poll_interval: 100ms\nallowed_lateness: 2s\n`;
  const syslogCfg = path.join(dir, 'authwatch-syslog.yaml');
  writeFileSync(syslogCfg, `inputs:\n  - syslog: { protocol: tcp, port: ${syslogPort} }\n    format: 'apache:${LOG_FORMAT}'\nstate_dir: ./state-syslog\noutputs:\n  - type: jsonl\n    path: ./alerts-syslog.jsonl\n${common}`);
  const viaSyslog = await startDaemon(syslogCfg);
  const conf = path.join(dir, 'httpd.conf');
  writeFileSync(conf, apacheConf(dir, port, syslogPort));
  giveToNobody(dir);
  const apache = await runAsNobody(APACHE, ['-f', conf, '-DFOREGROUND'], () => existsSync(path.join(dir, 'run', 'httpd.pid')), 'apache2');
  await waitFor(() => get(port, '/').then(() => true, () => undefined), 10_000, () => apache.output());

  const filesCfg = path.join(dir, 'authwatch-files.yaml');
  writeFileSync(filesCfg, `inputs:\n  - path: ./logs/access.log\n    format: 'apache:${LOG_FORMAT}'\n  - path: ./logs/error.log\nstate_dir: ./state-files\noutputs:\n  - type: jsonl\n    path: ./alerts-files.jsonl\n${common}`);
  const viaFiles = await startDaemon(filesCfg);
  const daemons = [
    { name: 'files', d: viaFiles, file: path.join(dir, 'alerts-files.jsonl') },
    { name: 'syslog', d: viaSyslog, file: path.join(dir, 'alerts-syslog.jsonl') },
  ];
  const alerts = (file: string) => (existsSync(file) ? alertsIn(readFileSync(file, 'utf8')) : []);
  let requests = 0; // after the file daemon started at the end of the log: the readiness probe is before it
  const send = async (n: number, o: Parameters<typeof get>[2]) => {
    const statuses = await Promise.all(Array.from({ length: n }, () => get(port, '/login/', o).then((r) => r.status)));
    requests += n;
    return statuses;
  };
  let lastRead = 0;
  const accessLinesRead = async () => (lastRead = await totalWhere(viaFiles.port, 'authwatch_lines_read_total', 'access.log'));
  const why = () => `sent ${requests}, read ${lastRead}\n${viaFiles.stderr().slice(-3000)}`;

  // A good client, challenged then authenticated; a brute force of 25 wrong passwords from one client.
  for (let i = 0; i < 3; i++) {
    expect(await send(1, { xff: '198.51.100.8', userAgent: 'good-client/1.0' })).toEqual([401]);
    expect(await send(1, { xff: '198.51.100.8', userAgent: 'good-client/1.0', auth: 'admin:correct horse' })).toEqual([200]);
  }
  await startOfQuietBucket(4_000); // the 25 inside one engine bucket
  for (let i = 0; i < 25; i++) expect(await send(1, { xff: '198.51.100.7', userAgent: 'python-requests/2.32', auth: `admin:guess${i}` })).toEqual([401]);
  for (const { name, d, file } of daemons) {
    await waitFor(() => (alerts(file).some((a) => a.rule === 'brute-force') ? true : undefined), 45_000, () => `${name}: ${JSON.stringify(alerts(file))}\n${d.stderr().slice(-3000)}`);
    const bf = alerts(file).filter((a) => a.rule === 'brute-force');
    expect(bf.map((a) => [a.status, a.group])).toEqual([['firing', { ip: '198.51.100.7' }]]);
    expect(alerts(file).filter((a) => a.rule !== 'brute-force')).toEqual([]);
    expect(JSON.stringify(alerts(file))).not.toContain('198.51.100.8');
  }
  // The error log is on file only: its reasons reach the file-following daemon.
  expect(alerts(daemons[0]!.file).find((a) => a.rule === 'brute-force')?.reasons).toEqual([
    expect.objectContaining({ reason: 'password_mismatch', count: 25, text: expect.stringContaining('password mismatch for user admin') }),
  ]);

  // logrotate `create`: rename, new file, graceful restart (USR1), with requests before, during and after.
  const rotate = async (mode: 'create' | 'copytruncate') => {
    const rc = path.join(dir, `logrotate-${mode}.conf`); // root-owned, as logrotate requires when run by root
    writeFileSync(rc, logrotateConf(dir, mode));
    await run(LOGROTATE, ['-f', '-s', path.join(dir, 'logrotate.state'), rc]);
  };
  await send(20, { xff: '203.0.113.50', userAgent: 'monitor/1.0', auth: 'admin:correct horse' });
  const [, during] = await Promise.all([rotate('create'), send(40, { xff: '203.0.113.51', userAgent: 'monitor/1.0', auth: 'admin:correct horse' })]);
  expect(during.every((s) => s === 200)).toBe(true);
  await send(20, { xff: '203.0.113.52', userAgent: 'monitor/1.0', auth: 'admin:correct horse' });
  await waitFor(async () => ((await accessLinesRead()) === requests ? true : undefined), 20_000, why);

  // copytruncate: lines written between logrotate's copy and its truncate are in neither file for
  // any reader (logrotate's own caveat), so the rotation runs with no request in flight.
  await rotate('copytruncate');
  await send(30, { xff: '203.0.113.53', userAgent: 'monitor/1.0', auth: 'admin:correct horse' });
  await waitFor(async () => ((await accessLinesRead()) === requests ? true : undefined), 20_000, why);

  // Apache wrote every request exactly once across the rotated files, and the daemon read exactly that.
  const written = readdirSync(path.join(dir, 'logs'))
    .filter((f) => f.startsWith('access.log'))
    .reduce((n, f) => n + readFileSync(path.join(dir, 'logs', f), 'utf8').split('\n').filter(Boolean).length, 0);
  expect(readdirSync(path.join(dir, 'logs')).filter((f) => f.startsWith('access.log')).sort()).toEqual(['access.log', 'access.log.1', 'access.log.2']);
  expect(written).toBe(requests + 1);
  await new Promise((r) => setTimeout(r, 1_000));
  expect(await accessLinesRead()).toBe(requests);
  expect(viaFiles.stderr()).toMatch(/was rotated or removed; finishing the old file/);
  expect(viaFiles.stderr()).toMatch(/truncated or replaced in place \(copytruncate\)/);
  // Through logger(1): every request once (the readiness probe too: this daemon started before Apache).
  await waitFor(async () => ((await total(viaSyslog.port, 'authwatch_syslog_messages_total')) === requests + 1 ? true : undefined), 20_000, () => viaSyslog.stderr().slice(-3000));

  // The password file disappears (a deploy moved it): Apache answers 500 and logs AH01620.
  renameSync(path.join(dir, 'htpasswd'), path.join(dir, 'htpasswd.old'));
  for (let i = 21; i < 26; i++) expect(await send(1, { xff: `198.51.100.${i}`, userAgent: 'shop-app/2.0', auth: 'admin:correct horse' })).toEqual([500]);
  await waitFor(() => (alerts(daemons[0]!.file).some((a) => a.rule === 'password-file-unreadable') ? true : undefined), 45_000, why);
  expect(alerts(daemons[0]!.file).find((a) => a.rule === 'password-file-unreadable')?.summary).toContain(path.join(dir, 'htpasswd'));
  for (const { d } of daemons) {
    d.proc.kill('SIGTERM');
    expect(await d.exited).toBe(0);
  }
});
