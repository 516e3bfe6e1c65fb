#!/usr/bin/env node
/** The authwatch command line: runs the program (program.ts) and turns what happened into an exit code. */
import { CommanderError } from 'commander';
import v8 from 'node:v8';
import { EXIT, FailureError, ProblemListError, UsageError, type ExitCode } from '../errors';
import { buildProgram, type RunState } from './program';
import { guardStderr, ReaderGone, say } from './output';
import { linesForTerminal } from '../report/sanitize';

export { BUNDLED_RULES } from './program';

export async function main(argv: string[]): Promise<ExitCode> {
  guardStderr();
  const state: RunState = { exitCode: EXIT.ok };
  const program = buildProgram(state);
  try {
    await program.parseAsync(argv);
    return state.exitCode;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    // The reader closed the pipe (`| head`): the output ends there, and so does the command.
    if (e instanceof ReaderGone) return state.exitCode;
    if (e instanceof ProblemListError) {
      process.stderr.write(linesForTerminal(e.message) + '\n');
      return e.exitCode;
    }
    if (e instanceof UsageError || e instanceof FailureError) {
      say(e.message);
      return e.exitCode;
    }
    say(`internal error: ${(e as Error).stack ?? String(e)}`);
    return EXIT.internal;
  }
}

/**
 * V8 lets the old generation grow to up to 4x what survived the last full collection before the
 * next one. authwatch's live set is small (tens of MB: bounded key tables), but under a flood much
 * of it is short-lived state that outlives a scavenge (a first failure remembered for a window, a
 * top-list key until its trim): peak RSS was mostly garbage waiting for a mark-compact. Growing by
 * 2x keeps a million-address flood at ~180 MB instead of ~255 MB; the extra mark-compacts of a small
 * heap cost too little to measure. Set here, for the CLI process only, not for code that imports it.
 */
const OLD_GENERATION_GROWTH_PERCENT = 100;

if (require.main === module) {
  v8.setFlagsFromString(`--heap-growing-percent=${OLD_GENERATION_GROWTH_PERCENT}`);
  main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
