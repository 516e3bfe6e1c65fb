/** `authwatch parse`: one JSON event a line on stdout, malformed lines on stderr; for checking a format. */
import { z } from 'zod';
import { EXIT, type ExitCode } from '../../errors';
import { expandInputs } from '../../ingest/expand';
import { assertSomethingRead, readInput, type MalformedLine, type SourceStats } from '../../ingest/read';
import { sourceOf } from '../../parse/event';
import { FormatSpecSchema } from '../../decode/formats';
import { printableJson } from '../../report/sanitize';
import { int, plural } from '../../present/numbers';
import { positiveInt, validated } from '../options';
import { say, sayInputProblem, stdout } from '../output';

const ParseOptionsSchema = z.object({ format: FormatSpecSchema, maxLineBytes: positiveInt });

/** Output is handed to stdout in pieces of this size (one write a chunk of input at most). */
const FLUSH_CHARS = 1 << 16;
/** Lines failing for the same reason are said this many times; the rest are counted at the end. */
const SHOWN_PER_REASON = 3;

/** Tells malformed lines on stderr: a few per reason, then how many more there were of each. */
class MalformedNotes {
  private readonly byReason = new Map<string, number>();
  private total = 0;

  add(m: MalformedLine): void {
    this.total++;
    const seen = this.byReason.get(m.reason) ?? 0;
    this.byReason.set(m.reason, seen + 1);
    if (seen < SHOWN_PER_REASON) say(`${m.file}:${m.line}: malformed: ${m.detail === undefined ? m.reason : `${m.reason} ${m.detail}`}`);
  }

  get count(): number {
    return this.total;
  }

  summary(): void {
    const unsaid = [...this.byReason].filter(([, n]) => n > SHOWN_PER_REASON).sort((a, b) => b[1] - a[1]);
    if (unsaid.length === 0) return;
    const more = unsaid.reduce((s, [, n]) => s + n - SHOWN_PER_REASON, 0);
    say(`${plural(more, 'more malformed line')} not shown: ${unsaid.slice(0, 5).map(([reason, n]) => `${int(n - SHOWN_PER_REASON)} × ${reason}`).join('; ')}`);
  }
}

export async function parseCommand(inputs: string[], raw: unknown): Promise<ExitCode> {
  const opts = validated(ParseOptionsSchema, raw);
  const files = await expandInputs(inputs);
  const out = stdout();
  const notes = new MalformedNotes();
  let parsed = 0;
  let buffered = '';
  const flush = async () => {
    if (buffered === '') return;
    const chunk = buffered;
    buffered = '';
    await out.writeOrStop(chunk);
  };
  const print = (e: { file: string; line: number; raw: string; time: number }) => {
    parsed++;
    const { file, line, raw: _raw, ...rest } = e;
    buffered += printableJson({ ...rest, time: new Date(e.time).toISOString(), source: sourceOf({ file, line }) }) + '\n';
  };
  const read: SourceStats[] = [];
  for (const file of files) {
    const stats = await readInput(
      file,
      { format: opts.format, maxLineBytes: opts.maxLineBytes, backpressure: () => (buffered.length >= FLUSH_CHARS ? flush() : undefined) },
      {
        event: print,
        authFailure: print,
        malformed: (m) => notes.add(m),
        format: (path, format, detected) => detected && say(`${path}: detected format ${format}`),
        problem: sayInputProblem,
      },
    );
    read.push(stats);
  }
  await flush();
  assertSomethingRead(read);
  notes.summary();
  if (parsed === 0 && notes.count > 0) {
    say(`nothing parsed: all ${plural(notes.count, 'line')} malformed (check --format)`);
    return EXIT.nothingParsed;
  }
  return EXIT.ok;
}
