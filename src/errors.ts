/**
 * Exit codes, the same for every command (README "Exit codes", `authwatch --help`), so cron and CI can
 * branch on them: 1 is an answer ("incidents at or above --fail-on", "the SMTP server refused"), 2 a
 * mistake the user can fix, 3 input that held nothing authwatch could read. 70 (sysexits' EX_SOFTWARE)
 * is a bug in authwatch, kept apart from 1 so a crash is never read as "incidents found".
 */
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  nothingParsed: 3,
  internal: 70,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A mistake the user can fix (bad option, missing file, unknown format): printed as one line, exit code 2. */
export class UsageError extends Error {
  readonly exitCode: ExitCode = EXIT.usage;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The command ran and the answer is "no" (e.g. the SMTP server refused the test message): one line, exit code 1. */
export class FailureError extends Error {
  readonly exitCode: ExitCode = EXIT.failed;
  constructor(message: string) {
    super(message);
    this.name = 'FailureError';
  }
}

/** Several problems found at once (a config or rule file), one `file:line:column: …` line each: exit code 2. */
export class ProblemListError extends UsageError {
  constructor(readonly lines: string[]) {
    super(lines.join('\n'));
    this.name = 'ProblemListError';
  }
}
