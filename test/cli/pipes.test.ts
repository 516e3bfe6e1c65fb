/**
 * Output into pipes that end early or read slowly, through real shell pipelines: the reader going away
 * ends the command quietly (no EPIPE stack trace), and a slow reader holds the producer back.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { PassThrough, Writable } from 'node:stream';
import path from 'node:path';
import { CLI, ROOT, tempDir } from '../support/paths';
import { runPiped } from '../support/cli';
import { lines } from '../support/lines';
import { Output } from '../../src/cli/output';

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first`);
});

const NO_ERROR = /EPIPE|Error|at .*\.js:\d+|Warning/;

describe('a reader that stops early ends the output quietly', () => {
  test('parse … | head -2', () => {
    const r = runPiped(['parse', 'samples/nginx-access.log'], 'head -2');
    expect(r.stdout.trim().split('\n').map((l) => JSON.parse(l).source)).toEqual(['samples/nginx-access.log:1', 'samples/nginx-access.log:2']);
    expect(r.stderr).not.toMatch(NO_ERROR);
    expect(r.code).toBe(0);
  });

  test('report --output json | head -c 10', () => {
    const r = runPiped(['report', 'samples/', '--output', 'json'], 'head -c 10');
    expect(r.stdout).toBe('{\n  "versi');
    expect(r.stderr).not.toMatch(NO_ERROR);
    expect(r.code).toBe(0);
  });

  test('the exit code still says what the report found when the reader left early', () => {
    const r = runPiped(['report', 'samples/', '--fail-on', 'high'], 'head -1');
    expect(r.stdout).toMatch(/^authwatch: /);
    expect(r.stderr).not.toMatch(NO_ERROR);
    expect(r.code).toBe(1);
  });

  test('stderr closed early too (2>&1 | head -1)', () => {
    const r = runPiped(['parse', 'samples/'], 'head -1', true);
    expect(r.stdout.split('\n')).toHaveLength(2);
    expect(r.code).toBe(0);
  });
});

test('watch … | head -1: the daemon stops as on SIGTERM once its reader has gone (checkpoint, exit 0)', async () => {
  const dir = tempDir();
  const log = path.join(dir, 'access.log');
  writeFileSync(log, readFileSync(path.join(ROOT, 'samples', 'nginx-access.log')));
  writeFileSync(path.join(dir, 'authwatch.yaml'), 'inputs:\n  - path: ./access.log\nstate_dir: ./state\npoll_interval: 100ms\n');
  // A daemon learns that its reader left only from its next write (as `tail -f | head` does): once
  // head has printed its line and gone, a new attack is appended until an alert about it is written.
  // `timeout` only so that a daemon which never notices cannot outlive the test; it is not a timing.
  const err = path.join(dir, 'stderr.log');
  const sh = spawn('bash', ['-c', `timeout 120 node "$CLI" watch -c authwatch.yaml --from-start 2>"$ERR" | head -1; echo "exit=\${PIPESTATUS[0]}" >>"$ERR"`], { cwd: dir, env: { ...process.env, NO_COLOR: '1', CLI, ERR: err } });
  let stdout = '';
  // head exits once it has printed its line (the pipe itself stays open: bash holds it).
  const headDone = new Promise<void>((resolve) =>
    sh.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (stdout.includes('\n')) resolve();
    }),
  );
  const exited = new Promise<void>((resolve) => sh.on('exit', () => resolve()));
  await headDone;
  let attacker = 0;
  let done = false;
  void exited.then(() => (done = true));
  while (!done) {
    attacker++;
    appendFileSync(log, lines(30, { ip: `198.51.100.${attacker}`, method: 'POST', target: '/login', status: 401, userAgent: 'hydra' }, 300) + lines(5, {}, 200));
    await Promise.race([exited, new Promise((r) => setTimeout(r, 1000))]);
  }
  const stderr = readFileSync(err, 'utf8');
  expect(JSON.parse(stdout)).toMatchObject({ rule: 'brute-force', status: 'firing' });
  expect(stderr).toContain('"msg":"stopped after a final checkpoint"');
  expect(stderr).not.toMatch(/EPIPE|at .*\.js:\d+/);
  expect(/exit=(\d+)\s*$/.exec(stderr)?.[1]).toBe('0');
});

describe('a slow reader gets everything, with one drain listener', () => {
  test('parse over a large input into a reader that starts late', () => {
    const dir = tempDir();
    const file = path.join(dir, 'big.log');
    const line = (i: number) => `198.51.100.${i % 250} - - [20/Nov/2026:09:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')} +0000] "GET /p/${i} HTTP/1.1" 200 512 "-" "curl/8.5.0"`;
    writeFileSync(file, Array.from({ length: 60_000 }, (_, i) => line(i)).join('\n') + '\n');
    // The reader starts after a pause, so the pipe is full for a while (not a timing assertion: any pause fills it).
    const r = runPiped(['parse', file], '(sleep 1; cat) | wc -l');
    expect(Number(r.stdout.trim())).toBe(60_000);
    expect(r.stderr).not.toMatch(/MaxListenersExceededWarning|drain/);
    expect(r.code).toBe(0);
  });

  test('Output waits on one shared drain whatever the number of waiting writes, and resolves false once the reader is gone', async () => {
    let full = true;
    const sink = new Writable({ highWaterMark: 4, write: (_c, _e, cb) => (full ? setImmediate(cb) : cb()) });
    const out = new Output(sink, 'test');
    const writes = Array.from({ length: 30 }, (_, i) => out.write(`chunk ${i}\n`));
    expect(sink.listenerCount('drain')).toBe(1);
    full = false;
    expect(await Promise.all(writes)).toEqual(Array(30).fill(true));
    const pipe = new PassThrough({ highWaterMark: 1 });
    const gone = new Output(pipe, 'test');
    const pending = gone.write('x'.repeat(10));
    pipe.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    expect(await pending).toBe(false);
    expect(await gone.write('more')).toBe(false);
    expect(gone.open).toBe(false);
  });
});
