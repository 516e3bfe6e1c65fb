/**
 * Where commands write their output. Two things every writer to a pipe must do, kept in one place:
 * - a reader that stops early (`| head -2`) closes the pipe and the next write fails with EPIPE: that is
 *   the end of the output, not an error, so it ends the command quietly;
 * - a full pipe (a slow reader) makes `write` return false: the writer waits for one 'drain' (a single
 *   shared listener however many writes wait) instead of queueing output without bound.
 */
import type { Writable } from 'node:stream';
import { UsageError } from '../errors';
import { linesForTerminal } from '../report/sanitize';

/** Thrown to stop producing output nobody reads (caught by `main`, which exits quietly). */
export class ReaderGone extends Error {
  constructor() {
    super('the reader closed the output');
    this.name = 'ReaderGone';
  }
}

function readerWentAway(e: NodeJS.ErrnoException): boolean {
  return e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED';
}

export class Output {
  private gone = false;
  private failure: NodeJS.ErrnoException | undefined;
  private drained: Promise<void> | undefined;

  constructor(
    private readonly stream: Writable,
    private readonly name: string,
  ) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (readerWentAway(e)) this.gone = true;
      else this.failure ??= e;
    });
  }

  /** False once the reader has closed the pipe. */
  get open(): boolean {
    return !this.gone;
  }

  /** Writes and waits while the stream is full. Resolves to false once the reader has gone (the text is dropped). */
  async write(text: string): Promise<boolean> {
    this.check();
    if (this.gone) return false;
    if (!this.stream.write(text)) await this.drain();
    this.check();
    return !this.gone;
  }

  /** Like write, but a reader that has gone stops the caller (ReaderGone): for output produced while reading input. */
  async writeOrStop(text: string): Promise<void> {
    if (!(await this.write(text))) throw new ReaderGone();
  }

  private check(): void {
    if (this.failure) throw new UsageError(`cannot write to ${this.name}: ${this.failure.code ?? this.failure.message}`);
  }

  private drain(): Promise<void> {
    this.drained ??= new Promise<void>((resolve) => {
      const done = () => {
        this.stream.off('drain', done);
        this.stream.off('close', done);
        this.stream.off('error', done);
        this.drained = undefined;
        resolve();
      };
      this.stream.on('drain', done);
      this.stream.on('close', done);
      this.stream.on('error', done);
    });
    return this.drained;
  }
}

let stdoutOutput: Output | undefined;

/** The process's stdout, guarded (one Output for the whole process: one error listener, one drain listener). */
export function stdout(): Output {
  stdoutOutput ??= new Output(process.stdout, 'stdout');
  return stdoutOutput;
}

/**
 * Messages on stderr must not crash the process either when stderr is a pipe that closed early
 * (`authwatch … 2>&1 | head`): its EPIPE is ignored, and so are the messages after it.
 */
export function guardStderr(): void {
  process.stderr.on('error', () => undefined);
}

/** One line for the user on stderr. Messages may quote log bytes (a first line that no format reads): their controls are shown as escapes. */
export function say(msg: string): void {
  process.stderr.write(`authwatch: ${linesForTerminal(msg)}\n`);
}

/** One line per input that is skipped or cut short; the reason already names the file. */
export function sayInputProblem(_path: string, status: 'skipped' | 'partial', reason: string): void {
  say(`${status === 'skipped' ? 'skipped' : 'read in part'}: ${reason}`);
}
