/** Runs the built `authwatch watch` as a real child process and reads its /metrics. */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { CLI } from './paths';

export interface Daemon {
  proc: ChildProcess;
  port: number;
  stderr(): string;
  /** What the daemon printed on stdout (the stdout output's alerts). */
  stdout(): string;
  exited: Promise<number | null>;
}

const running = new Set<ChildProcess>();

/** For afterEach: a failed test must not leave a daemon behind (jest would never exit). */
export function killDaemons(): void {
  for (const p of running) p.kill('SIGKILL');
  running.clear();
}

export async function startDaemon(config: string, args: string[] = [], env: Record<string, string> = {}): Promise<Daemon> {
  // The environment is passed explicitly: a test's process.env is jest's copy, not the one a child inherits.
  const proc = spawn(process.execPath, [CLI, 'watch', '-c', config, '--metrics', '127.0.0.1:0', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  running.add(proc);
  proc.on('exit', () => running.delete(proc));
  let err = '';
  let out = '';
  proc.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  // Ready means every input is open and positioned: lines appended after this are read.
  const port = await waitFor(() => {
    const m = /"port":(\d+),"msg":"metrics listening"/.exec(err);
    return m && err.includes('"msg":"ready: following"') ? Number(m[1]) : undefined;
  }, 15_000, () => `daemon did not start: ${err}`);
  return { proc, port, stderr: () => err, stdout: () => out, exited };
}

export async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number, what: () => string): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > until) throw new Error(`timed out: ${what()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function metrics(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/metrics' }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

/** The sum of a metric's samples whose labels contain `labelText` (e.g. an input's path); '' sums them all. */
export async function totalWhere(port: number, name: string, labelText: string): Promise<number> {
  const text = await metrics(port);
  let sum = 0;
  for (const line of text.split('\n')) {
    const labels = line.startsWith(name + '{') ? line.slice(name.length, line.lastIndexOf(' ')) : line.startsWith(name + ' ') ? '' : null;
    if (labels !== null && labels.includes(labelText)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** Sum of a counter over all its label sets. */
export function total(port: number, name: string): Promise<number> {
  return totalWhere(port, name, '');
}
