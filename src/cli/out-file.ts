/**
 * `-o FILE`: opened before any input is read, so an unwritable path is said at once (path and reason,
 * exit 2) rather than after minutes of reading. A regular file is written to a temp file beside it and
 * renamed over it at the end: a run that fails leaves the previous report whole. Anything else that
 * exists (/dev/stdout, a FIFO) is written in place.
 */
import { promises as fs, constants } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors';

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOENT: 'no such directory',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'is a directory',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
};

function cannotWrite(file: string, e: unknown): UsageError {
  const code = (e as NodeJS.ErrnoException).code ?? '';
  return new UsageError(`-o ${file}: cannot write: ${REASONS[code] ?? (e as Error).message}${code ? ` (${code})` : ''}`);
}

export class OutFile {
  private constructor(
    private readonly file: string,
    private readonly handle: fs.FileHandle,
    /** The temp file to rename over `target`; undefined when writing in place. */
    private readonly temp: string | undefined,
    private readonly target: string,
  ) {}

  static async open(file: string): Promise<OutFile> {
    let st: import('node:fs').Stats | undefined;
    try {
      st = await fs.stat(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw cannotWrite(file, e);
    }
    try {
      if (st?.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
      if (st && !st.isFile()) return new OutFile(file, await fs.open(file, 'w'), undefined, file);
      // Through a symlink, the file it points to is replaced, not the link.
      const target = st ? await fs.realpath(file) : path.resolve(file);
      if (st) await fs.access(target, constants.W_OK);
      const temp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.tmp`);
      return new OutFile(file, await fs.open(temp, 'w', st ? st.mode & 0o777 : 0o666), temp, target);
    } catch (e) {
      throw cannotWrite(file, e);
    }
  }

  async commit(text: string): Promise<void> {
    try {
      await this.handle.writeFile(text);
      await this.handle.close();
      if (this.temp !== undefined) await fs.rename(this.temp, this.target);
    } catch (e) {
      await this.discard();
      throw cannotWrite(this.file, e);
    }
  }

  /** Removes the temp file (the run failed: the previous file stays as it was). */
  async discard(): Promise<void> {
    await this.handle.close().catch(() => undefined);
    if (this.temp !== undefined) await fs.unlink(this.temp).catch(() => undefined);
  }
}
