/**
 * The operator's view (issue 19, "inputs people have"): `authwatch report DIR` over a directory of
 * real logs in every format and envelope authwatch reads, each detected by itself and said on
 * stderr; and `authwatch watch` reading a container log through the same decoder.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CLI, CORPUS, ROOT, tempDir } from '../support/paths';
import { killDaemons, startDaemon, totalWhere, waitFor } from '../support/daemon';

jest.setTimeout(120_000);
afterEach(killDaemons);

const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'formats');

function run(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first`);
});

test('report over a directory of Caddy, Traefik, ECS, ALB, CloudFront, Docker, CRI and syslog logs: each detected and read', () => {
  const dir = tempDir('authwatch-inputs-');
  for (const f of readdirSync(FIXTURES).filter((f) => f !== 'SOURCES.md')) copyFileSync(path.join(FIXTURES, f), path.join(dir, f));
  copyFileSync(path.join(CORPUS, 'mixed', 'crowdsec-http-bf-wordpress-bf__http-bf-wordpress-bf.log'), path.join(dir, 'syslog-nginx.log'));
  const r = run(['report', dir, '--output', 'json']);
  expect(r.code).toBe(0);
  const report = JSON.parse(r.stdout) as { sources: Array<{ path: string; status: string; format: string; parsed: number; malformed: number }> };
  const byName = Object.fromEntries(report.sources.map((s) => [path.basename(s.path), { status: s.status, format: s.format, parsed: s.parsed, malformed: s.malformed }]));
  expect(byName).toEqual({
    'alb.log': { status: 'ok', format: 'alb', parsed: 6, malformed: 0 },
    'caddy.log': { status: 'ok', format: 'caddy', parsed: 3, malformed: 0 },
    'cloudfront-noheader.log': { status: 'ok', format: 'cloudfront', parsed: 1, malformed: 0 },
    'cloudfront.log': { status: 'ok', format: 'cloudfront', parsed: 6, malformed: 1 },
    'cri-nginx.log': { status: 'ok', format: 'combined', parsed: 4, malformed: 0 },
    'docker-nginx-json.log': { status: 'ok', format: 'nginx_error', parsed: 11, malformed: 8 },
    'ecs-nginx.ndjson': { status: 'ok', format: 'ecs', parsed: 3, malformed: 0 },
    'syslog-nginx.log': { status: 'ok', format: 'combined', parsed: 9, malformed: 0 },
    'traefik.common.log': { status: 'ok', format: 'traefik', parsed: 7, malformed: 1 },
    'traefik.json.log': { status: 'ok', format: 'traefik', parsed: 7, malformed: 0 },
  });
  // What was picked is said, file by file.
  expect(r.stderr).toContain('cri-nginx.log: detected format combined in Kubernetes CRI records, with nginx_error lines');
  expect(r.stderr).toContain('syslog-nginx.log: detected format combined in syslog lines');
  expect(r.stderr).toContain('caddy.log: detected format caddy');
});

test('--format names a preset; an unknown name lists them', () => {
  const caddy = run(['parse', path.join(FIXTURES, 'caddy.log'), '--format', 'caddy']);
  expect(caddy.code).toBe(0);
  expect(caddy.stdout.trim().split('\n').map((l) => JSON.parse(l).status)).toEqual([200, 404, 200]);
  const bad = run(['report', path.join(FIXTURES, 'caddy.log'), '--format', 'cady']);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/--format: expected auto, common, combined, vhost_combined, json, caddy, traefik, ecs, alb, cloudfront, nginx_error, apache_error/);
});

test('watch reads a CRI container log through the shared decoder: access and error lines both parsed', async () => {
  const dir = tempDir('authwatch-watch-cri-');
  mkdirSync(path.join(dir, 'logs'));
  const log = path.join(dir, 'logs', '0.log');
  writeFileSync(log, '');
  const cfg = path.join(dir, 'authwatch.yaml');
  writeFileSync(cfg, `inputs:\n  - path: ./logs/*.log\nstate_dir: ./state\noutputs:\n  - type: jsonl\n    path: ./alerts.jsonl\npoll_interval: 100ms\ncheckpoint_interval: 200ms\n`);
  const d = await startDaemon(cfg);
  appendFileSync(log, readFileSync(path.join(FIXTURES, 'cri-nginx.log')));
  await waitFor(async () => ((await totalWhere(d.port, 'authwatch_lines_parsed_total', '0.log')) === 4 ? true : undefined), 15_000, () => d.stderr().slice(-2000));
  expect(await totalWhere(d.port, 'authwatch_lines_malformed_total', '0.log')).toBe(0);
  expect(d.stderr()).toContain('detected format combined in Kubernetes CRI records, with nginx_error lines');
  d.proc.kill('SIGTERM');
  expect(await d.exited).toBe(0);
});
