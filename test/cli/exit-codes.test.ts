/** Exit codes for cron and CI, and what a parse failure and an unwritable -o say. The real CLI on real files. */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CLI, ROOT, tempDir } from '../support/paths';
import { runCli } from '../support/cli';

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first`);
});

// One high-severity brute force (rules/brute-force.yaml) in a small real-looking log.
const SMALL = 'test/fixtures/small-access.log';

describe('--fail-on SEVERITY', () => {
  test.each([
    [[], 0],
    [['--fail-on', 'low'], 1],
    [['--fail-on', 'medium'], 1],
    [['--fail-on', 'high'], 1],
    [['--fail-on', 'critical'], 0],
  ])('report %j exits %i', (flags, code) => {
    const r = runCli(['report', SMALL, '--output', 'json', ...flags]);
    expect(JSON.parse(r.stdout).incidents.map((i: { severity: string }) => i.severity)).toEqual(['high']);
    expect(r.code).toBe(code);
  });

  test('a severity that does not exist is a usage error', () => {
    const r = runCli(['report', SMALL, '--fail-on', 'severe']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--fail-on <severity>' argument 'severe' is invalid. Allowed choices are low, medium, high, critical/);
  });
});

describe('nothing parsed: exit 3, and the failure says where and what', () => {
  // The samples are plain `combined`: they have no $request_time, so this format matches none of their lines.
  const WITH_REQUEST_TIME = 'nginx:$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time';

  test('report: the field expected, the column, and an excerpt that contains the column', () => {
    const r = runCli(['report', 'samples/nginx-access.log', '--format', WITH_REQUEST_TIME]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('authwatch: nothing parsed: all 4,321 lines malformed (check --format)');
    const lines = r.stdout.split('\n');
    // 4,321 lines failing alike are one count, not twenty copies.
    expect(lines).toContain('  4,321 × expected "\\" " (after $http_user_agent, before $request_time)');
    const examples = lines.filter((l) => / at column \d+: /.test(l));
    expect(examples).toHaveLength(3);
    const sample = readFileSync(path.join(ROOT, 'samples/nginx-access.log'), 'utf8').split('\n');
    for (const ex of examples) {
      const m = /samples\/nginx-access\.log:(\d+) .* at column (\d+): (?:…)?(.*)‸(.*)$/.exec(ex);
      expect(m).not.toBeNull();
      const [, lineNo, column, before, after] = m as unknown as string[];
      const line = sample[Number(lineNo) - 1] as string;
      // What the excerpt shows just before ‸ is what the line holds just before that column.
      expect(line.slice(0, Number(column) - 1).endsWith(before as string)).toBe(true);
      expect(line.slice(Number(column) - 1).startsWith((after as string).replace(/…$/, ''))).toBe(true);
    }
  });

  test('parse: three lines per reason on stderr, the rest counted', () => {
    const r = runCli(['parse', 'samples/nginx-access.log', '--format', WITH_REQUEST_TIME]);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr.match(/: malformed: /g)).toHaveLength(3);
    expect(r.stderr).toContain('authwatch: 4,318 more malformed lines not shown: 4,318 × expected "\\" " (after $http_user_agent, before $request_time)');
  });

  test('some lines parsed, or no lines at all, is not exit 3', () => {
    const dir = tempDir();
    const mixed = path.join(dir, 'mixed.log');
    writeFileSync(mixed, readFileSync(path.join(ROOT, SMALL), 'utf8') + 'not a log line\n');
    expect(runCli(['report', mixed]).code).toBe(0);
    const empty = path.join(dir, 'empty.log');
    writeFileSync(empty, '');
    expect(runCli(['report', empty]).code).toBe(0);
    expect(runCli(['parse', empty]).code).toBe(0);
  });

  test('a line too long for the excerpt: the column is still inside what is shown', () => {
    const dir = tempDir();
    const file = path.join(dir, 'long.log');
    const ua = 'A'.repeat(5000);
    writeFileSync(file, `203.0.113.7 - - [20/Nov/2026:09:10:00 +0100] "GET / HTTP/1.1" 401 17 "-" "${ua}"\n`);
    const r = runCli(['parse', file, '--format', WITH_REQUEST_TIME]);
    expect(r.code).toBe(3);
    const m = /at column (\d+): (.*)$/m.exec(r.stderr);
    expect(Number(m?.[1])).toBeGreaterThan(5000);
    expect(m?.[2]).toBe(`…${'A'.repeat(30)}‸"`);
  });
});

describe('an unwritable -o is said before any input is read', () => {
  test('a directory that does not exist: path and reason, exit 2, no stack, with stdin still open', async () => {
    const out = path.join(tempDir(), 'no', 'such', 'dir', 'report.html');
    // stdin stays open: the command must not wait for input it will not be able to report on.
    const child = spawn(process.execPath, [CLI, 'report', '-', '--output', 'html', '-o', out], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.stdin.destroy();
    expect(code).toBe(2);
    expect(stderr).toBe(`authwatch: -o ${out}: cannot write: no such directory (ENOENT)\n`);
  });

  test('a directory as -o', () => {
    const dir = tempDir();
    const r = runCli(['report', SMALL, '-o', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`authwatch: -o ${dir}: cannot write: is a directory (EISDIR)\n`);
  });

  test('a path under a file', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'file'), '');
    const r = runCli(['report', SMALL, '-o', path.join(dir, 'file', 'r.txt')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot write: a part of the path is not a directory \(ENOTDIR\)\n$/);
  });

  test('a run that fails leaves the previous report whole, and no temp file behind', () => {
    const dir = tempDir();
    const out = path.join(dir, 'report.txt');
    writeFileSync(out, 'the previous report\n');
    mkdirSync(path.join(dir, 'empty-rules'));
    const r = runCli(['report', SMALL, '-o', out, '--rules', path.join(dir, 'empty-rules')]);
    expect(r.code).toBe(2);
    expect(readFileSync(out, 'utf8')).toBe('the previous report\n');
    expect(readdirSync(dir).sort()).toEqual(['empty-rules', 'report.txt']);
    expect(runCli(['report', SMALL, '-o', out]).code).toBe(0);
    expect(readFileSync(out, 'utf8')).toMatch(/^authwatch: 1 attack/);
    expect(readdirSync(dir).sort()).toEqual(['empty-rules', 'report.txt']);
  });
});

test('--help lists the exit codes, and the README says the same', () => {
  const help = runCli(['--help']).stdout;
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Exit codes'));
  for (const [code, what] of [['0', 'success'], ['1', '--fail-on'], ['2', 'usage or input error'], ['3', 'nothing parsed'], ['70', 'internal error']] as const) {
    expect(help).toMatch(new RegExp(`^  ${code} +.*${what.replace(/[-]/g, '\\-')}`, 'm'));
    expect(section).toMatch(new RegExp(`^\\| \`${code}\` \\|.*${what.replace(/[-]/g, '\\-')}`, 'mi'));
  }
  expect(runCli(['report', '--help']).stdout).toContain('Exit codes:');
});
