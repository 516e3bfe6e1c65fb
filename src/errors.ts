/** A mistake the user can fix (bad option, missing file, unknown format): printed as one line, exit code 2. */
export class UsageError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The command ran and the answer is "no" (e.g. the SMTP server refused the test message): one line, exit code 1. */
export class FailureError extends Error {
  readonly exitCode = 1;
  constructor(message: string) {
    super(message);
    this.name = 'FailureError';
  }
}
