/**
 * Follows one log path like `tail -F`, with exact byte offsets for checkpoints.
 *
 * Written here rather than taken from a package: the tail libraries measured on this machine lost
 * lines on rename-while-writing and on copytruncate (see DESIGN.md). The rules:
 * - rename rotation (logrotate `create`): the renamed file keeps its descriptor and is read to EOF
 *   until it has been idle for a while, since the server writes to it until it reopens its logs;
 * - copytruncate: the file shrinks below our position, so reading starts again at 0;
 * - a new file at the same inode (deleted and recreated) is told apart by a fingerprint of its first bytes;
 * - a compressed file (gzip magic) is not followed: it is a finished rotation.
 */
import { createHash } from 'node:crypto';
import { promises as fs, type Stats } from 'node:fs';
import path from 'node:path';
import { LineSplitter } from './lines';

const FINGERPRINT_BYTES = 256;
const READ_CHUNK = 256 * 1024;
/** A rotated file is closed once it has given nothing for this long. */
const ROTATED_IDLE_MS = 5_000;

export interface FileCheckpoint {
  dev: number;
  ino: number;
  /** Byte position just past the last complete line read. */
  offset: number;
  /** Lines read before `offset` (so line numbers stay right after a restart). */
  lines: number;
  fingerprint: string;
  fingerprintBytes: number;
}

export interface FollowSink {
  /** `plain`: as LineSink's. */
  line(text: string, lineNo: number, file: string, plain: boolean): void;
  overflow(head: string, lineNo: number, length: number, file: string): void;
  /** Something worth an operator's attention (rotation, truncation, unreadable file). */
  notice(level: 'info' | 'warn' | 'error', msg: string, fields: Record<string, unknown>): void;
}

async function fingerprintOf(fd: fs.FileHandle, bytes: number): Promise<string> {
  if (bytes === 0) return '';
  const buf = Buffer.alloc(bytes);
  const { bytesRead } = await fd.read(buf, 0, bytes, 0);
  return createHash('sha1').update(buf.subarray(0, bytesRead)).digest('hex');
}

class Cursor {
  splitter: LineSplitter;
  fingerprint = '';
  fingerprintBytes = 0;
  lastDataAt = Date.now();

  constructor(
    readonly fd: fs.FileHandle,
    readonly dev: number,
    readonly ino: number,
    public readPos: number,
    firstLine: number,
    readonly label: string,
    sink: FollowSink,
    maxLineBytes: number,
  ) {
    this.splitter = new LineSplitter(
      { line: (t, n, plain) => sink.line(t, n, label, plain), overflow: (h, n, len) => sink.overflow(h, n, len, label) },
      maxLineBytes,
      firstLine,
    );
  }

  get offset(): number {
    return this.readPos - this.splitter.heldBytes;
  }

  /** Reads what is there; returns the bytes read. */
  async drain(buf: Buffer): Promise<number> {
    let total = 0;
    for (;;) {
      const { bytesRead } = await this.fd.read(buf, 0, buf.length, this.readPos);
      if (bytesRead === 0) break;
      this.readPos += bytesRead;
      total += bytesRead;
      // The splitter keeps references to partial lines: give it its own copy of the bytes.
      this.splitter.push(Buffer.from(buf.subarray(0, bytesRead)));
    }
    if (total > 0) this.lastDataAt = Date.now();
    await this.updateFingerprint();
    return total;
  }

  async updateFingerprint(): Promise<void> {
    const want = Math.min(FINGERPRINT_BYTES, this.readPos);
    if (want > this.fingerprintBytes) {
      this.fingerprint = await fingerprintOf(this.fd, want);
      this.fingerprintBytes = want;
    }
  }

  checkpoint(): FileCheckpoint {
    return { dev: this.dev, ino: this.ino, offset: this.offset, lines: this.splitter.linesSeen, fingerprint: this.fingerprint, fingerprintBytes: this.fingerprintBytes };
  }
}

async function countLines(fd: fs.FileHandle, upTo: number): Promise<number> {
  const buf = Buffer.alloc(READ_CHUNK);
  let n = 0;
  for (let pos = 0; pos < upTo; ) {
    const { bytesRead } = await fd.read(buf, 0, Math.min(buf.length, upTo - pos), pos);
    if (bytesRead === 0) break;
    for (let i = buf.indexOf(10, 0); i !== -1 && i < bytesRead; i = buf.indexOf(10, i + 1)) n++;
    pos += bytesRead;
  }
  return n;
}

export type StartAt = 'start' | 'end';

export class Follower {
  private current: Cursor | null = null;
  private rotated: Cursor[] = [];
  private readonly buf = Buffer.alloc(READ_CHUNK);
  private lastError = '';
  private skippedCompressed = false;
  /** Bytes behind the end of the current file (for the lag metric). */
  lagBytes = 0;

  constructor(
    readonly path: string,
    private readonly sink: FollowSink,
    private startAt: StartAt,
    private resumeFrom: FileCheckpoint | null,
    private readonly maxLineBytes: number,
  ) {}

  private async open(st: Stats): Promise<Cursor | null> {
    let fd: fs.FileHandle;
    try {
      fd = await fs.open(this.path, 'r');
    } catch (e) {
      this.report('error', `cannot open ${this.path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; retrying`, {});
      return null;
    }
    const magic = Buffer.alloc(2);
    await fd.read(magic, 0, 2, 0);
    if (magic[0] === 0x1f && magic[1] === 0x8b) {
      if (!this.skippedCompressed) this.sink.notice('info', `${this.path} is gzip-compressed: a finished rotation, not followed`, { path: this.path });
      this.skippedCompressed = true;
      await fd.close();
      return null;
    }
    let pos = 0;
    let firstLine = 1;
    const cp = this.resumeFrom;
    this.resumeFrom = null;
    if (cp && cp.dev === st.dev && cp.ino === st.ino && st.size >= cp.offset && (await fingerprintOf(fd, cp.fingerprintBytes)) === cp.fingerprint) {
      pos = cp.offset;
      firstLine = cp.lines + 1;
    } else if (cp) {
      await this.resumeRotated(cp);
    } else if (this.startAt === 'end') {
      pos = st.size;
      firstLine = (await countLines(fd, st.size)) + 1;
    }
    this.startAt = 'start'; // files that appear later are read from their beginning
    const c = new Cursor(fd, st.dev, st.ino, pos, firstLine, this.path, this.sink, this.maxLineBytes);
    await c.updateFingerprint();
    return c;
  }

  /** After a restart the checkpointed file may have been rotated away: finish it first, from the checkpoint. */
  private async resumeRotated(cp: FileCheckpoint): Promise<void> {
    const dir = path.dirname(this.path);
    let names: string[] = [];
    try {
      names = await fs.readdir(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const full = path.join(dir, name);
      let st: Stats;
      try {
        st = await fs.stat(full);
      } catch {
        continue;
      }
      if (st.dev !== cp.dev || st.ino !== cp.ino || full === this.path) continue;
      const fd = await fs.open(full, 'r');
      if ((await fingerprintOf(fd, cp.fingerprintBytes)) !== cp.fingerprint || st.size < cp.offset) {
        await fd.close();
        continue;
      }
      this.sink.notice('info', `${this.path} was rotated to ${full} while authwatch was stopped: reading the rest of it first`, { path: this.path, rotated: full });
      const c = new Cursor(fd, st.dev, st.ino, cp.offset, cp.lines + 1, this.path, this.sink, this.maxLineBytes);
      await c.updateFingerprint();
      this.rotated.push(c);
      return;
    }
    this.sink.notice('warn', `${this.path}: the file of the last checkpoint is gone (compressed or deleted while authwatch was stopped); lines written to it after the checkpoint are lost`, { path: this.path });
  }

  private report(level: 'warn' | 'error', msg: string, fields: Record<string, unknown>): void {
    if (msg === this.lastError) return; // said once per episode, not once per poll
    this.lastError = msg;
    this.sink.notice(level, msg, { path: this.path, ...fields });
  }

  async poll(): Promise<void> {
    // Rotated files first: their lines are older.
    for (const r of [...this.rotated]) {
      await r.drain(this.buf);
      if (Date.now() - r.lastDataAt > ROTATED_IDLE_MS) {
        r.splitter.end();
        await r.fd.close();
        this.rotated = this.rotated.filter((x) => x !== r);
      }
    }
    let st: Stats | null = null;
    try {
      st = await fs.stat(this.path);
      if (!st.isFile()) {
        this.report('error', `${this.path} is not a regular file; retrying`, {});
        st = null;
      }
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') this.report('error', `cannot stat ${this.path}: ${code}; retrying`, {});
      else if (this.current === null) {
        this.report('warn', `${this.path} does not exist (yet); waiting for it`, {});
        this.startAt = 'start'; // when it appears, all of it is new
      }
    }
    const cur = this.current;
    if (cur) {
      if (st === null || st.ino !== cur.ino || st.dev !== cur.dev) {
        // Renamed or deleted: keep reading the old file until it goes quiet.
        this.sink.notice('info', `${this.path} was rotated or removed; finishing the old file`, { path: this.path });
        this.rotated.push(cur);
        this.current = null;
        await cur.drain(this.buf);
      } else if (st.size < cur.readPos || (cur.fingerprintBytes > 0 && st.size >= cur.fingerprintBytes && (await fingerprintOf(cur.fd, cur.fingerprintBytes)) !== cur.fingerprint)) {
        this.sink.notice('info', `${this.path} was truncated or replaced in place (copytruncate); reading from the start`, { path: this.path });
        cur.readPos = 0;
        cur.fingerprint = '';
        cur.fingerprintBytes = 0;
        cur.splitter = new LineSplitter(
          { line: (t, n, plain) => this.sink.line(t, n, this.path, plain), overflow: (h, n, len) => this.sink.overflow(h, n, len, this.path) },
          this.maxLineBytes,
        );
      }
    }
    if (this.current === null && st !== null) {
      this.current = await this.open(st);
      if (this.current) this.lastError = '';
    }
    if (this.current) {
      await this.current.drain(this.buf);
      this.lagBytes = Math.max(0, (st?.size ?? 0) - this.current.readPos);
    }
  }

  checkpoint(): FileCheckpoint | null {
    return this.current?.checkpoint() ?? null;
  }

  /** Lines of the current file read so far (for metrics). */
  async close(): Promise<void> {
    for (const c of [...this.rotated, ...(this.current ? [this.current] : [])]) await c.fd.close().catch(() => undefined);
    this.rotated = [];
    this.current = null;
  }
}
