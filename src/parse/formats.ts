/** What a resolved format is to the code that reads lines with it (presets and detection: decode/). */
import type { LineParser } from './event';

/** An access-log format; `header` sees the comment lines that define columns (W3C `#Fields:`). */
export interface AccessFormat {
  name: string;
  kind: 'access';
  parse: LineParser;
  header?(line: string): void;
}

export type ErrorFormatName = 'nginx_error' | 'apache_error';

/** What the report says was used (`combined`, `nginx:$remote_addr ...`, `nginx_error`) and how lines are read. */
export type ResolvedFormat = AccessFormat | { name: ErrorFormatName; kind: 'error' };

/** Lines that carry no log record in test fixtures and hand-edited files. */
export function isCommentOrBlank(line: string): boolean {
  const first = line.charCodeAt(0);
  // Every record line starts with printable ASCII: no trim. Others may be Unicode blank (NBSP…).
  if (first > 32 && first < 127 && first !== 35 /* # */) return false;
  return line.length === 0 || first === 35 || line.trim() === '';
}
