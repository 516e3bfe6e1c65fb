/**
 * The package as users get it: `npm pack` (its prepack builds dist/ from a clean copy of the sources),
 * then the real `npm install -g` of the tarball into a temp prefix, with dependencies from a registry on
 * 127.0.0.1 that holds this lockfile's packages. The installed `authwatch` then runs on the samples.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, tempDir } from '../support/paths';
import { startLocalRegistry, type LocalRegistry } from '../support/registry';

jest.setTimeout(600_000);

const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string; files: string[] };
let tmp: string;
let tarball: string;
let prefix: string;
let registry: LocalRegistry;
let bin: string;

/** npm, run without blocking this process: the registry it talks to is served from here. */
async function npm(args: string[], cwd: string): Promise<void> {
  // A cache of its own: nothing comes from the user's cache, and nothing is left in it.
  const child = spawn('npm', [...args, '--cache', path.join(tmp, 'npm-cache'), '--registry', registry.url, '--no-audit', '--no-fund', '--no-update-notifier'], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, npm_config_loglevel: 'error' },
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`npm ${args.join(' ')} exited ${code}:\n${output}`);
}

beforeAll(async () => {
  tmp = tempDir('authwatch-pack-');
  registry = await startLocalRegistry(ROOT);
  // A copy of what a clean clone holds (no dist/), so the tarball is what prepack builds from sources.
  const src = path.join(tmp, 'checkout');
  for (const f of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'README.md', 'LICENSE', 'src', 'rules', 'scripts']) cpSync(path.join(ROOT, f), path.join(src, f), { recursive: true });
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(src, 'node_modules'));
  await npm(['pack', '--pack-destination', tmp], src);
  tarball = path.join(tmp, `authwatch-${pkg.version}.tgz`);
  prefix = path.join(tmp, 'prefix');
  await npm(['install', '--global', '--prefix', prefix, tarball], tmp);
  bin = path.join(prefix, 'bin', 'authwatch');
});

afterAll(async () => {
  await registry?.close();
});

test('the tarball holds what runs: dist (no source maps, no generators), rules, README, LICENSE', () => {
  const files = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).trim().split('\n').map((f) => f.replace(/^package\//, ''));
  const top = [...new Set(files.map((f) => f.split('/')[0]))].sort();
  expect(top).toEqual(['LICENSE', 'README.md', 'dist', 'package.json', 'rules']);
  expect(files).toContain('dist/cli/main.js');
  expect(files).toContain('dist/authwatch.1');
  // The HTML report's stylesheet and script, read at run time beside the compiled module.
  expect(files.filter((f) => f.startsWith('dist/report/assets/')).length).toBeGreaterThan(0);
  expect(files.filter((f) => f.endsWith('.map') || f.endsWith('.ts') || f.startsWith('dist/synth/'))).toEqual([]);
  expect(files.filter((f) => f.startsWith('rules/')).sort()).toEqual(readdirSync(path.join(ROOT, 'rules')).map((f) => `rules/${f}`).sort());
});

test('npm install -g puts authwatch on the PATH and its man page in the prefix; --version is the package version', () => {
  expect(existsSync(bin)).toBe(true);
  expect(execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim()).toBe(pkg.version);
  // Only what authwatch depends on was fetched: dev dependencies are not installed.
  expect([...registry.requested]).toContain('commander');
  expect([...registry.requested]).not.toContain('typescript');
  const man = path.join(prefix, 'share', 'man', 'man1', 'authwatch.1');
  expect(readFileSync(man, 'utf8')).toBe(execFileSync(bin, ['man'], { encoding: 'utf8' }));
});

test('the installed authwatch reports on the samples: text, JSON (with the bundled rules) and HTML', () => {
  const summary = spawnSync(bin, ['report', path.join(ROOT, 'samples'), '--summary'], { encoding: 'utf8', cwd: tmp });
  expect(summary.status).toBe(0);
  expect(summary.stdout).toMatch(/^authwatch: \d+ attacks?, \d+ misconfigurations? in /);
  const json = JSON.parse(execFileSync(bin, ['report', path.join(ROOT, 'samples'), '--output', 'json'], { encoding: 'utf8', cwd: tmp, stdio: ['ignore', 'pipe', 'ignore'] }));
  expect(json.analysis.rules.length).toBeGreaterThanOrEqual(6);
  expect(json.incidents.map((i: { rule: string }) => i.rule)).toEqual(expect.arrayContaining(['brute-force', 'credential-stuffing', 'scanner']));
  const html = path.join(tmp, 'report.html');
  expect(spawnSync(bin, ['report', path.join(ROOT, 'samples'), '--output', 'html', '-o', html], { cwd: tmp }).status).toBe(0);
  expect(readFileSync(html, 'utf8')).toMatch(/^<!doctype html>/i);
  const check = spawnSync(bin, ['rules', 'check'], { encoding: 'utf8', cwd: tmp });
  expect(check.status).toBe(0);
  writeFileSync(path.join(tmp, 'authwatch.yaml'), 'inputs:\n  - path: ./access.log\nstate_dir: ./state\n');
  expect(spawnSync(bin, ['config', 'check', path.join(tmp, 'authwatch.yaml')], { cwd: tmp }).status).toBe(0);
});
