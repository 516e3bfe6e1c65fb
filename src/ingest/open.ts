/** Opens an input (a file or '-' for stdin) as a stream of raw bytes, gunzipping when the bytes say gzip. */
import { createReadStream, promises as fs } from 'node:fs';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { UsageError } from '../errors';

const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;

export interface OpenedInput {
  name: string;
  compressed: boolean;
  /** Size on disk, when known (for progress). */
  size: number | null;
  /** Last modification (epoch ms), when known: the year of year-less syslog stamps in it. */
  mtimeMs: number | null;
  chunks: AsyncIterable<Buffer>;
  /** Bytes read from the file so far (compressed bytes for gzip): progress against `size`. */
  rawBytesRead(): number;
  /** Stops reading and releases the file (reading may end early: an input skipped after its first lines). */
  close(): void;
}

async function* withFirst(first: Buffer, rest: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  yield first;
  for (;;) {
    const r = await rest.next();
    if (r.done) return;
    yield r.value;
  }
}

async function* gunzipped(source: AsyncIterable<Buffer>, name: string): AsyncGenerator<Buffer> {
  const gunzip = Readable.from(source).pipe(createGunzip());
  try {
    for await (const chunk of gunzip) yield chunk as Buffer;
  } catch (e) {
    throw new UsageError(`${name}: gzip data is corrupt or truncated (${(e as Error).message})`);
  }
}

/** Peeks at the first chunk to decide gzip or plain: rotated files are named anything (`access.log.2.gz`, `access.log-20261101`). */
async function sniff(name: string, raw: Readable, size: number | null, mtimeMs: number | null): Promise<OpenedInput> {
  let bytes = 0;
  const rawBytesRead = () => bytes;
  // stdin is not ours to destroy: reading just stops.
  const close = () => {
    if (name !== '-') raw.destroy();
  };
  const counted = (async function* () {
    for await (const chunk of raw) {
      bytes += (chunk as Buffer).length;
      yield chunk as Buffer;
    }
  })();
  const first = await counted.next();
  if (first.done) return { name, compressed: false, size, chunks: (async function* () {})(), rawBytesRead, close, mtimeMs };
  const head = first.value;
  const source = withFirst(head, counted);
  if (head.length >= 2 && head[0] === GZIP_MAGIC_0 && head[1] === GZIP_MAGIC_1) {
    return { name, compressed: true, size, chunks: gunzipped(source, name), rawBytesRead, close, mtimeMs };
  }
  return { name, compressed: false, size, chunks: source, rawBytesRead, close, mtimeMs };
}

export async function openInput(path: string, stdin: Readable = process.stdin): Promise<OpenedInput> {
  if (path === '-') return sniff('-', stdin, null, null);
  let stat;
  try {
    stat = await fs.stat(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(`${path}: no such file (check the path, or quote a glob so authwatch expands it)`);
    if (code === 'EACCES') throw new UsageError(`${path}: permission denied (run as a user that can read the logs, e.g. in group adm)`);
    throw new UsageError(`${path}: cannot open (${(e as Error).message})`);
  }
  if (!stat.isFile()) throw new UsageError(`${path}: not a regular file`);
  const stream = createReadStream(path, { highWaterMark: 256 * 1024 });
  try {
    return await sniff(path, stream, stat.size, stat.mtimeMs);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EACCES') throw new UsageError(`${path}: permission denied (run as a user that can read the logs, e.g. in group adm)`);
    throw new UsageError(`${path}: cannot read (${(e as Error).message})`);
  }
}
