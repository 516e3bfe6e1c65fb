/**
 * Against the real thing: Debian's nginx with auth_basic writes its access log to a file and to
 * authwatch's syslog port, and its error log to a file and to another syslog port. Two authwatch
 * daemons run as child processes, one following the files, one listening for syslog. Real HTTP
 * requests: a brute force with wrong passwords from one client, a client that answers the Basic-auth
 * challenge correctly, then a reload pointing auth_basic_user_file at a missing file. Both daemons
 * must raise the brute force with the error log's reasons, stay quiet on the good client, and raise
 * the password-file misconfiguration. Clients are told apart by X-Forwarded-For (realip module in
 * nginx, trusted_proxies in authwatch), since a test can only use 127.0.0.1.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from '../support/paths';
import { killDaemons, startDaemon, total, waitFor, type Daemon } from '../support/daemon';
import { freeTcpPort, freeUdpPort } from '../support/ports';
import { alertsIn, get, giveToNobody, htpasswdLine, killServers, mkdirs, runAsNobody, startOfQuietBucket } from '../support/webservers';

jest.setTimeout(120_000);
afterAll(async () => {
  killDaemons();
  await killServers();
});

const NGINX = '/usr/sbin/nginx';
const XFF_FORMAT = `$realip_remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_x_forwarded_for"`;

function nginxConf(dir: string, port: number, accessPort: number, errorPort: number, userFile: string): string {
  return `worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/logs/error.log info;
error_log syslog:server=127.0.0.1:${errorPort},tag=nginx_error info;
events { worker_connections 64; }
http {
  client_body_temp_path ${dir}/tmp/body; proxy_temp_path ${dir}/tmp/proxy; fastcgi_temp_path ${dir}/tmp/fcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi; scgi_temp_path ${dir}/tmp/scgi;
  # The load balancer in front is 127.0.0.1: the client is the X-Forwarded-For address (error log too).
  set_real_ip_from 127.0.0.1;
  real_ip_header X-Forwarded-For;
  log_format xff '${XFF_FORMAT}';
  access_log ${dir}/logs/access.log xff;
  access_log syslog:server=127.0.0.1:${accessPort},tag=nginx xff;
  server {
    listen 127.0.0.1:${port};
    root ${dir}/www;
    location /login {
      auth_basic "members";
      auth_basic_user_file ${userFile};
    }
  }
}
`;
}

test('nginx: brute force (with error-log reasons), a good Basic-auth client, a missing auth_basic_user_file — from files and from syslog alike', async () => {
  if (!existsSync(NGINX)) throw new Error(`${NGINX} is missing: scripts/ensure-test-deps.sh installs Debian's nginx`);
  const dir = tempDir('authwatch-nginx-');
  mkdirs(dir, 'logs', 'tmp', 'www', 'www/login', 'state-files', 'state-syslog');
  writeFileSync(path.join(dir, 'www', 'login', 'index.html'), 'members only\n');
  writeFileSync(path.join(dir, 'htpasswd'), htpasswdLine('admin', 'correct horse'));
  const [port, accessPort, errorPort] = [await freeTcpPort(), await freeUdpPort(), await freeUdpPort()];

  // authwatch over syslog: one listener per nginx log (each has its own format).
  const syslogCfg = path.join(dir, 'authwatch-syslog.yaml');
  writeFileSync(
    syslogCfg,
    `inputs:\n  - syslog: { protocol: udp, port: ${accessPort} }\n    format: 'nginx:${XFF_FORMAT}'\n  - syslog: { protocol: udp, port: ${errorPort} }\n    format: nginx_error\n` +
      `state_dir: ./state-syslog\ntrusted_proxies: [127.0.0.1/32]\noutputs:\n  - type: jsonl\n    path: ./alerts-syslog.jsonl\npoll_interval: 100ms\nallowed_lateness: 2s\n`,
  );
  const viaSyslog = await startDaemon(syslogCfg);
  const conf = path.join(dir, 'nginx.conf');
  writeFileSync(conf, nginxConf(dir, port, accessPort, errorPort, path.join(dir, 'htpasswd')));
  giveToNobody(dir);
  const nginx = await runAsNobody(NGINX, ['-p', dir, '-c', conf, '-e', path.join(dir, 'logs', 'error.log'), '-g', 'daemon off;'], () => existsSync(path.join(dir, 'nginx.pid')), 'nginx');
  await waitFor(() => get(port, '/').then(() => true, () => undefined), 10_000, () => nginx.output());

  const filesCfg = path.join(dir, 'authwatch-files.yaml');
  writeFileSync(
    filesCfg,
    `inputs:\n  - path: ./logs/access.log\n    format: 'nginx:${XFF_FORMAT}'\n  - path: ./logs/error.log\n` +
      `state_dir: ./state-files\ntrusted_proxies: [127.0.0.1/32]\noutputs:\n  - type: jsonl\n    path: ./alerts-files.jsonl\npoll_interval: 100ms\nallowed_lateness: 2s\n`,
  );
  const viaFiles = await startDaemon(filesCfg);
  const daemons: Array<[string, Daemon, string]> = [
    ['files', viaFiles, path.join(dir, 'alerts-files.jsonl')],
    ['syslog', viaSyslog, path.join(dir, 'alerts-syslog.jsonl')],
  ];
  const alerts = (file: string) => (existsSync(file) ? alertsIn(readFileSync(file, 'utf8')) : []);

  // A good client: challenged, then answers with the right password.
  for (let i = 0; i < 3; i++) {
    expect((await get(port, '/login/', { xff: '198.51.100.8', userAgent: 'good-client/1.0' })).status).toBe(401);
    expect((await get(port, '/login/', { xff: '198.51.100.8', userAgent: 'good-client/1.0', auth: 'admin:correct horse' })).status).toBe(200);
  }
  // The brute force: 25 wrong passwords from one client, inside one engine bucket.
  await startOfQuietBucket(4_000);
  for (let i = 0; i < 25; i++) expect((await get(port, '/login/', { xff: '198.51.100.7', userAgent: 'python-requests/2.32', auth: `admin:guess${i}` })).status).toBe(401);

  for (const [name, d, file] of daemons) {
    await waitFor(() => (alerts(file).some((a) => a.rule === 'brute-force') ? true : undefined), 45_000, () => `${name}: ${JSON.stringify(alerts(file))}\n${d.stderr().slice(-3000)}`);
    const bf = alerts(file).filter((a) => a.rule === 'brute-force');
    expect(bf.map((a) => [a.status, a.group])).toEqual([['firing', { ip: '198.51.100.7' }]]);
    expect(bf[0]?.reasons).toEqual([expect.objectContaining({ reason: 'password_mismatch', count: 25, text: expect.stringContaining('password mismatch for user admin') })]);
    // Quiet on the good client: nothing about it, nothing else at all.
    expect(alerts(file).filter((a) => a.rule !== 'brute-force')).toEqual([]);
    expect(JSON.stringify(alerts(file))).not.toContain('198.51.100.8');
  }
  // Every access line reached both: 31 requests (and nginx's own start-up lines in the error log).
  expect(await total(viaFiles.port, 'authwatch_lines_read_total')).toBeGreaterThanOrEqual(31);
  expect(await total(viaSyslog.port, 'authwatch_syslog_messages_total')).toBeGreaterThanOrEqual(31 + 25);
  expect(await total(viaSyslog.port, 'authwatch_syslog_dropped_total')).toBe(0);

  // A deploy points auth_basic_user_file at a file that is not there; nginx reloads (SIGHUP).
  writeFileSync(conf, nginxConf(dir, port, accessPort, errorPort, path.join(dir, 'htpasswd.missing')));
  const pid = Number(readFileSync(path.join(dir, 'nginx.pid'), 'utf8'));
  process.kill(pid, 'SIGHUP');
  // nginx answers 403 when the user file is missing (500 when it cannot read it), not 401.
  await waitFor(async () => ((await get(port, '/login/', { xff: '198.51.100.20', auth: 'admin:correct horse' })).status === 403 ? true : undefined), 10_000, () => nginx.output());
  for (let i = 21; i < 26; i++) await get(port, '/login/', { xff: `198.51.100.${i}`, userAgent: 'shop-app/2.0', auth: 'admin:correct horse' });
  for (const [name, d, file] of daemons) {
    await waitFor(() => (alerts(file).some((a) => a.rule === 'password-file-unreadable') ? true : undefined), 45_000, () => `${name}: ${JSON.stringify(alerts(file))}\n${d.stderr().slice(-3000)}`);
    const pf = alerts(file).find((a) => a.rule === 'password-file-unreadable');
    expect(pf?.summary).toContain(path.join(dir, 'htpasswd.missing'));
  }
  for (const [, d] of daemons) {
    d.proc.kill('SIGTERM');
    expect(await d.exited).toBe(0);
  }
});
