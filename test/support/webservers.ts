/**
 * Real web servers for end-to-end tests: Debian's nginx and apache2 run as the unprivileged user
 * `nobody` with their own config in a temp dir, listening on 127.0.0.1 high ports; requests carry an
 * X-Forwarded-For to play many clients from 127.0.0.1.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chownSync, chmodSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { waitFor } from './daemon';

export const NOBODY = { uid: 65534, gid: 65534 };

const running = new Set<ChildProcess>();

/**
 * Stops every server started here. A server is its own process group (nginx and Apache fork
 * workers that hold our pipes open): TERM the group for a clean exit, then KILL what is left.
 */
export async function killServers(): Promise<void> {
  const procs = [...running];
  running.clear();
  await Promise.all(
    procs.map(async (p) => {
      const group = -(p.pid as number);
      const exited = new Promise<void>((r) => (p.exitCode !== null || p.signalCode !== null ? r() : p.once('exit', () => r())));
      signalGroup(group, 'SIGTERM');
      const timer = new Promise<void>((r) => setTimeout(r, 5_000).unref());
      await Promise.race([exited, timer]);
      signalGroup(group, 'SIGKILL');
    }),
  );
}

function signalGroup(group: number, signal: NodeJS.Signals): void {
  try {
    process.kill(group, signal);
  } catch {
    // The group has already gone.
  }
}

/** An htpasswd line nginx and Apache both accept ({SHA}: base64 of SHA-1). */
export function htpasswdLine(user: string, password: string): string {
  return `${user}:{SHA}${createHash('sha1').update(password).digest('base64')}\n`;
}

/** Servers drop to `nobody` when the tests run as root; otherwise they run as the current user. */
const asRoot = process.getuid?.() === 0;

/** The temp dir (and what is in it) handed to `nobody`, who runs the server. */
export function giveToNobody(dir: string): void {
  chmodSync(dir, 0o755);
  if (!asRoot) return;
  const walk = (p: string) => {
    chownSync(p, NOBODY.uid, NOBODY.gid);
    if (statSync(p).isDirectory()) for (const e of readdirSync(p)) walk(path.join(p, e));
  };
  walk(dir);
}

export interface RunningServer {
  proc: ChildProcess;
  output(): string;
}

export async function runAsNobody(cmd: string, args: string[], ready: () => boolean, what: string): Promise<RunningServer> {
  const proc = spawn(cmd, args, { ...(asRoot ? NOBODY : {}), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  running.add(proc);
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  await waitFor(() => (ready() ? true : proc.exitCode !== null ? Promise.reject(new Error(`${what} exited: ${out}`)) : undefined), 15_000, () => `${what} did not start: ${out}`);
  return { proc, output: () => out };
}

export function mkdirs(dir: string, ...subs: string[]): void {
  for (const s of subs) if (!existsSync(path.join(dir, s))) mkdirSync(path.join(dir, s), { recursive: true });
}

export interface Reply {
  status: number;
}

/** One GET with an X-Forwarded-For client and, optionally, Basic credentials. */
export function get(port: number, target: string, o: { xff?: string; auth?: string; userAgent?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'user-agent': o.userAgent ?? 'authwatch-e2e/1.0' };
    if (o.xff) headers['x-forwarded-for'] = o.xff;
    if (o.auth) headers.authorization = `Basic ${Buffer.from(o.auth).toString('base64')}`;
    const req = http.get({ host: '127.0.0.1', port, path: target, headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
    });
    req.on('error', reject);
  });
}

/**
 * Waits, if need be, so that the next `needMs` fit in one of the engine's 10 s buckets: a burst that
 * straddles a bucket boundary can fire at the first close with part of its count, which a test that
 * checks exact figures must not depend on.
 */
export async function startOfQuietBucket(needMs: number, bucketMs = 10_000): Promise<void> {
  const left = bucketMs - (Date.now() % bucketMs);
  if (left < needMs) await new Promise((r) => setTimeout(r, left + 50));
}

/** Alerts a daemon wrote to its jsonl output. */
export function alertsIn(text: string): Array<{ rule: string; status: string; group: Record<string, string>; reasons: Array<{ reason: string; count: number; text: string }>; summary: string }> {
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l));
}
