/**
 * Splits a byte stream into lines. Written here rather than taken from split2: split2's
 * `skipOverflow` drops an overlong line without a trace, which would shift every later line
 * number in the evidence; this splitter reports it (line number, length, head) and keeps counting.
 *
 * Lines are decoded as latin1 (one char per byte, lossless and the fastest decoder); the parsers
 * turn the fields they keep into UTF-8 text.
 */
import { chunkNeedsNoDecoding } from '../parse/text';

export const DEFAULT_MAX_LINE_BYTES = 64 * 1024;

export interface LineSink {
  /** `plain`: the line is known to hold no escape and no byte >= 0x80 (see LineParser). */
  line(text: string, lineNo: number, plain: boolean): void;
  /** A line longer than the cap: its first bytes, for the malformed-line example. */
  overflow(head: string, lineNo: number, length: number): void;
}

const OVERFLOW_HEAD_BYTES = 200;
const NO_BYTES = Buffer.alloc(0);
/** The UTF-8 byte order mark, as latin1 text: files saved by Windows editors and some exporters start with it. */
const UTF8_BOM = '\u00ef\u00bb\u00bf';

export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private overflowing = false;
  private overflowHead = '';
  private lineNo = 0;
  /** Only a stream read from its first line can start with a byte order mark. */
  private readonly fromFirstLine: boolean;

  constructor(
    private readonly sink: LineSink,
    private readonly maxLineBytes = DEFAULT_MAX_LINE_BYTES,
    firstLineNo = 1,
  ) {
    this.lineNo = firstLineNo - 1;
    this.fromFirstLine = firstLineNo === 1;
  }

  get linesSeen(): number {
    return this.lineNo;
  }

  /** Bytes of an incomplete last line held back: a tailer's checkpoint is its read position minus these. */
  get heldBytes(): number {
    return this.pendingBytes;
  }

  push(chunk: Buffer): void {
    const plain = chunkNeedsNoDecoding(chunk);
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl === -1) {
        this.keepPartial(chunk, start, chunk.length);
        return;
      }
      this.endLine(chunk, start, nl, plain);
      start = nl + 1;
    }
  }

  /** Call at end of input: a last line without a newline is still a line. */
  end(): void {
    if (this.pendingBytes > 0 || this.overflowing) this.endLine(NO_BYTES, 0, 0, false);
  }

  private keepPartial(chunk: Buffer, start: number, end: number): void {
    if (end <= start) return;
    if (this.overflowing) {
      this.pendingBytes += end - start;
      return;
    }
    this.pending.push(chunk.subarray(start, end));
    this.pendingBytes += end - start;
    if (this.pendingBytes > this.maxLineBytes) {
      this.overflowing = true;
      this.overflowHead = Buffer.concat(this.pending).toString('latin1', 0, OVERFLOW_HEAD_BYTES);
      this.pending = [];
    }
  }

  /** `chunkPlain` holds for this chunk's bytes; a line continued from an earlier chunk is not known plain. */
  private endLine(chunk: Buffer, start: number, nl: number, chunkPlain: boolean): void {
    this.lineNo++;
    let end = nl;
    const total = this.pendingBytes + (end - start);
    if (this.overflowing || total > this.maxLineBytes) {
      const head = this.overflowing ? this.overflowHead : Buffer.concat([...this.pending, chunk.subarray(start, Math.min(end, start + OVERFLOW_HEAD_BYTES))]).toString('latin1', 0, OVERFLOW_HEAD_BYTES);
      this.reset();
      this.sink.overflow(head, this.lineNo, total);
      return;
    }
    let text: string;
    const plain = chunkPlain && this.pending.length === 0;
    if (this.pending.length === 0) {
      if (end > start && chunk[end - 1] === 13) end--;
      text = chunk.toString('latin1', start, end);
    } else {
      const whole = Buffer.concat([...this.pending, chunk.subarray(start, end)]);
      const len = whole.length > 0 && whole[whole.length - 1] === 13 ? whole.length - 1 : whole.length;
      text = whole.toString('latin1', 0, len);
    }
    this.reset();
    // Left in, the mark would be part of the first field: the first line's client address.
    if (this.lineNo === 1 && this.fromFirstLine && text.startsWith(UTF8_BOM)) text = text.slice(UTF8_BOM.length);
    this.sink.line(text, this.lineNo, plain);
  }

  private reset(): void {
    this.pending = [];
    this.pendingBytes = 0;
    this.overflowing = false;
    this.overflowHead = '';
  }
}
