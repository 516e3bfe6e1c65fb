/** Runs the built CLI as an operator does: as a child process, or inside a real shell pipeline. */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI, ROOT } from './paths';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], input?: string | Buffer, env: NodeJS.ProcessEnv = {}): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, input, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env }, maxBuffer: 256 * 1024 * 1024 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Runs `authwatch ARGS` at the head of a real shell pipeline (`| head -2`, a slow reader…), with its
 * stderr and exit status kept apart from the rest of the pipeline's.
 */
export function runPiped(args: string[], tail: string, stderrToo = false, wrapper = ''): { code: number; stdout: string; stderr: string } {
  const quoted = args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const script = stderrToo
    ? `${wrapper} node "$CLI" ${quoted} 2>&1 | ${tail}; echo "exit=\${PIPESTATUS[0]}" >&2`
    : `${wrapper} node "$CLI" ${quoted} 2>"$ERR" | ${tail}; echo "exit=\${PIPESTATUS[0]}" >>"$ERR"; cat "$ERR" >&2`;
  const err = path.join(os.tmpdir(), `authwatch-pipe-${process.pid}-${Math.random().toString(36).slice(2)}.err`);
  const r = spawnSync('bash', ['-c', script], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', CLI, ERR: err }, maxBuffer: 256 * 1024 * 1024 });
  rmSync(err, { force: true });
  const m = /exit=(\d+)\s*$/.exec(r.stderr);
  if (!m) throw new Error(`no exit status from the pipeline: ${r.stderr}`);
  return { code: Number(m[1]), stdout: r.stdout, stderr: r.stderr.slice(0, m.index) };
}
