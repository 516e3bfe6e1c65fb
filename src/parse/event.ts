/**
 * One access-log request, whatever format it came from.
 *
 * Absent text fields are '' (the log's '-' becomes ''), absent numbers are null, so every
 * event has the same shape (V8 keeps one hidden class on the hot path).
 */
import { latin1ToText, ownCopy } from './text';

export interface LogEvent {
  /** Epoch milliseconds, UTC, computed from the log's own offset. */
  time: number;
  /** Client address: a normalized IP (IPv6 compressed, IPv4-mapped unwrapped) or, rarely, a host name. */
  ip: string;
  method: string;
  /** Percent-decoded path without the query string ('' when the request line has no target). */
  path: string;
  /** Raw query string without the leading '?'. */
  query: string;
  protocol: string;
  /** The request line as logged, escapes decoded. */
  request: string;
  status: number;
  bytes: number | null;
  referer: string;
  userAgent: string;
  remoteUser: string;
  /** Virtual host or server name when the format logs one. */
  host: string;
  /** Seconds, when the format logs it. */
  requestTime: number | null;
  /** X-Forwarded-For chain when the format logs one. */
  forwardedFor: string;
  /** The line as read (latin1: one char per byte), for the sample lines an incident quotes. */
  raw: string;
  /** Where the line came from: file path (or '-' for stdin) and 1-based line number. */
  file: string;
  line: number;
}

/** Lines longer than this have the fields that maps keep copied out of them (see detachedIfLong). */
export const LONG_LINE_CHARS = 1024;

type TextField<T> = { [K in keyof T]: T[K] extends string ? K : never }[keyof T];

/**
 * The fields of a parsed line are views of the line. The maps that keep fields past the event (top
 * lists, rule tables, distinct counts, the last success per address) would then keep whole lines,
 * up to the 64 KB cap each, and memory would grow with line length, not with the number of keys.
 * So the `kept` fields of a long line's record are copied out of it; a short line's views cost
 * little, and copying every line's fields would cost every line.
 */
export function detachedIfLong<T extends { raw: string }>(record: T, kept: ReadonlyArray<TextField<T>>): T {
  if (record.raw.length <= LONG_LINE_CHARS) return record;
  for (const field of kept) (record[field] as string) = ownCopy(record[field] as string);
  return record;
}

/** What maps keep of an access event (the user agent is interned, which copies it already). */
export const KEPT_EVENT_FIELDS: ReadonlyArray<TextField<LogEvent>> = ['ip', 'path', 'remoteUser', 'host', 'forwardedFor'];

/** Why a line was not turned into an event. */
export interface ParseFailure {
  /** What was expected, the same words for every line that fails the same way (so they can be counted together). */
  reason: string;
  /** 1-based column of the line where it stopped matching, when the parser knows it. */
  column?: number;
}

const EXCERPT_BEFORE = 30;
const EXCERPT_AFTER = 20;

/**
 * The part of a line around a column, the column marked with ‸, for a failure message: the column is
 * always inside what is shown, however long the line. `line` is as read (latin1); the excerpt is text.
 * Raw log text: escape it where it is printed.
 */
export function excerptAt(line: string, column: number): string {
  const at = Math.min(Math.max(column - 1, 0), line.length);
  const start = Math.max(0, at - EXCERPT_BEFORE);
  const end = Math.min(line.length, at + EXCERPT_AFTER);
  const after = at === line.length ? '(end of line)' : latin1ToText(line.slice(at, end)) + (end < line.length ? '…' : '');
  return `${start > 0 ? '…' : ''}${latin1ToText(line.slice(start, at))}‸${after}`;
}

/**
 * `plain`: the caller already knows the line holds no escape and no byte >= 0x80 (its whole read
 * chunk was checked); when false or absent the parser checks the line itself.
 */
export type LineParser = (line: string, file: string, lineNo: number, plain?: boolean) => LogEvent | ParseFailure;

export function isParseFailure(r: LogEvent | ParseFailure): r is ParseFailure {
  return (r as LogEvent).time === undefined;
}

export function sourceOf(e: { file: string; line: number }): string {
  return `${e.file}:${e.line}`;
}
