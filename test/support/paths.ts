import path from 'node:path';
import os from 'node:os';
import { mkdtempSync } from 'node:fs';

export const ROOT = path.resolve(__dirname, '..', '..');
export const CORPUS = path.resolve(ROOT, '..', 'shared', 'corpus');
export const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');

export function tempDir(prefix = 'authwatch-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}
