/**
 * scripts/demo-watch.sh as the README runs it: the daemon is following the log before the feeder
 * writes its first line, so every line of the sample is read, and /metrics is on a free port.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../support/paths';
import { totalWhere, waitFor } from '../support/daemon';

jest.setTimeout(180_000);

test('every line of the sample is read, the brute force is alerted, and Ctrl-C stops the daemon', async () => {
  const lines = readFileSync(path.join(ROOT, 'samples', 'nginx-access.log'), 'utf8').trimEnd().split('\n').length;
  // Its own process group, so the whole demo (script, daemon, feeder) can be stopped as Ctrl-C would.
  const demo = spawn(path.join(ROOT, 'scripts', 'demo-watch.sh'), [], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  demo.stdout.on('data', (d: Buffer) => (out += d.toString()));
  demo.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => demo.on('close', resolve));
  try {
    const port = await waitFor(() => /metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics/.exec(err)?.[1], 60_000, () => err);
    await waitFor(() => err.includes(`fed ${lines} lines`), 120_000, () => err.slice(-2000));
    // All of them, the first chunk included (the daemon used to start after the feeder and skip it).
    await waitFor(async () => (await totalWhere(Number(port), 'authwatch_lines_read_total', '')) === lines || undefined, 60_000, () => err.slice(-2000));
    await waitFor(() => out.includes('"rule":"brute-force"'), 60_000, () => out);
  } finally {
    process.kill(-(demo.pid as number), 'SIGINT');
  }
  await exited;
  // The daemon checkpointed and stopped: nothing of the demo is left running.
  expect(err).toContain('"msg":"stopped after a final checkpoint"');
});
