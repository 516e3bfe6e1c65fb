/** Turns command-line inputs (files, directories, quoted globs, '-') into an ordered list of files. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import picomatch from 'picomatch';
import { UsageError } from '../errors';

/**
 * Oldest first for rotated sets: `access.log.3.gz`, `access.log.2.gz`, `access.log.1`, `access.log`,
 * so a directory is read in time order and event-time windows see traffic as it happened.
 */
export function rotationOrder(a: string, b: string): number {
  const key = (name: string): [string, number] => {
    const base = name.replace(/\.gz$/, '');
    const m = /^(.*)\.(\d+)$/.exec(base);
    return m ? [m[1] as string, Number(m[2])] : [base, 0];
  };
  const [sa, na] = key(a);
  const [sb, nb] = key(b);
  if (sa !== sb) return sa < sb ? -1 : 1;
  return nb - na;
}

async function listDirectory(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort(rotationOrder)
    .map((n) => path.join(dir, n));
}

async function walk(dir: string, depth: number, out: string[]): Promise<void> {
  if (depth > 8) return;
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) await walk(full, depth + 1, out);
    else if (e.isFile()) out.push(full);
  }
}

/** Files a pattern matches now (none is not an error: a follower waits for them). A plain path is itself. */
export async function matchFiles(pattern: string): Promise<string[]> {
  const scan = picomatch.scan(pattern);
  if (!scan.isGlob) return [pattern];
  const matcher = picomatch(pattern, { dot: false });
  const found: string[] = [];
  await walk(scan.base === '' ? '.' : scan.base, 0, found);
  return found.filter((f) => matcher(f)).sort(rotationOrder);
}

export async function expandInputs(inputs: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const input of inputs) {
    if (input === '-') {
      files.push('-');
      continue;
    }
    const scan = picomatch.scan(input);
    if (scan.isGlob) {
      const matcher = picomatch(input, { dot: false });
      const found: string[] = [];
      await walk(scan.base === '' ? '.' : scan.base, 0, found);
      const matched = found.filter((f) => matcher(f) || matcher(path.relative('.', f))).sort(rotationOrder);
      if (matched.length === 0) throw new UsageError(`${input}: the pattern matches no file`);
      files.push(...matched);
      continue;
    }
    let stat;
    try {
      stat = await fs.stat(input);
    } catch {
      throw new UsageError(`${input}: no such file or directory`);
    }
    if (stat.isDirectory()) {
      const listed = await listDirectory(input);
      if (listed.length === 0) throw new UsageError(`${input}: the directory holds no files`);
      files.push(...listed);
    } else files.push(input);
  }
  return files;
}
