/**
 * `authwatch report DIR` over what a real log directory holds: one file authwatch cannot read or does
 * not recognise is skipped with one warning naming it, and is listed in the report's sources with its
 * status and reason, while the rest are reported (issue 19: "one odd file sinks a directory").
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { CLI, CORPUS, ROOT, tempDir } from '../support/paths';

const IS_ROOT = process.getuid?.() === 0;

/** The CLI as an unprivileged user when the tests run as root, so that mode 000 means unreadable. */
function run(args: string[]) {
  const argv = IS_ROOT ? ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, CLI, ...args] : [CLI, ...args];
  const r = spawnSync(IS_ROOT ? 'setpriv' : process.execPath, argv, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Source {
  path: string;
  status: string;
  reason: string | null;
  format: string;
  lines: number;
  parsed: number;
}

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first`);
});

describe('a directory with files authwatch cannot use', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir('authwatch-skip-');
    chmodSync(dir, 0o755);
    // A real access log (lnav's test suite) beside: a mod_ssl request log (Elastic Beats' fixture, no status
    // field: not an access log authwatch can read), a binary file, an unreadable log and a truncated gzip.
    copyFileSync(path.join(CORPUS, 'access', 'lnav-shop-access-xff.log'), path.join(dir, 'access.log'));
    copyFileSync(path.join(CORPUS, 'mixed', 'elastic-beats', 'apache__access__ssl-request.log'), path.join(dir, 'ssl_request_log'));
    writeFileSync(path.join(dir, 'core.bin'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0a, 0xff, 0xfe, 0x00, 0x0a]));
    writeFileSync(path.join(dir, 'secret.log'), readFileSync(path.join(dir, 'access.log')));
    chmodSync(path.join(dir, 'secret.log'), 0o000);
    const gz = gzipSync(readFileSync(path.join(dir, 'access.log')));
    writeFileSync(path.join(dir, 'access.log.2.gz'), gz.subarray(0, Math.floor(gz.length / 2)));
    for (const f of ['access.log', 'ssl_request_log', 'core.bin', 'access.log.2.gz']) chmodSync(path.join(dir, f), 0o644);
  });

  test('the readable log is reported; each other file is one warning and a source with a status', () => {
    const r = run(['report', dir, '--output', 'json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { sources: Source[]; lines: { parsed: number } };
    const byName = new Map(report.sources.map((s) => [path.basename(s.path), s]));
    expect(byName.get('access.log')).toMatchObject({ status: 'ok', reason: null, format: 'combined', lines: 1000, parsed: 1000 });
    expect(byName.get('ssl_request_log')).toMatchObject({ status: 'skipped', lines: 0, parsed: 0, reason: expect.stringMatching(/ssl_request_log: unknown log format/) });
    expect(byName.get('core.bin')).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/core\.bin: unknown log format/) });
    expect(byName.get('secret.log')).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/secret\.log: permission denied/) });
    // The first half of a gzip stream still holds whole lines: they count, and the source says it was cut.
    const cut = byName.get('access.log.2.gz') as Source;
    expect(cut).toMatchObject({ status: 'partial', reason: expect.stringMatching(/access\.log\.2\.gz: gzip data is corrupt or truncated/) });
    expect(cut.parsed).toBeGreaterThan(0);
    expect(cut.parsed).toBeLessThan(1000);
    expect(report.lines.parsed).toBe(1000 + cut.parsed);

    const warnings = r.stderr.split('\n').filter((l) => /skipped|read in part/.test(l));
    expect(warnings).toHaveLength(4);
    for (const name of ['ssl_request_log', 'core.bin', 'secret.log', 'access.log.2.gz']) expect(warnings.filter((w) => w.includes(name))).toHaveLength(1);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
  });

  test('a glob that matches only files authwatch cannot use exits 2 and says why', () => {
    const r = run(['report', path.join(dir, '{core.bin,ssl_request_log}'), '--output', 'json']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/skipped: .*core\.bin: unknown log format/);
    expect(r.stderr).toMatch(/skipped: .*ssl_request_log: unknown log format/);
    expect(r.stderr).toMatch(/nothing to report: none of the 2 inputs could be read/);
  });

  test('parse skips the same way', () => {
    const r = run(['parse', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').length).toBeGreaterThanOrEqual(1000);
    expect(r.stderr).toMatch(/skipped: .*core\.bin: unknown log format/);
  });
});
