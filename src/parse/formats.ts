/** Format names and strings the user can give, and detection from a file's first lines. */
import { z } from 'zod';
import type { LineParser } from './event';
import { isParseFailure } from './event';
import { parseClfLine } from './clf';
import { parseJsonLine } from './json';
import { compileApacheFormat, compileNginxFormat } from './logformat';
import { UsageError } from '../errors';

export const NAMED_FORMATS = ['common', 'combined', 'vhost_combined', 'json', 'nginx_error', 'apache_error'] as const;
export type NamedFormat = (typeof NAMED_FORMATS)[number];

export const FormatSpecSchema = z
  .string()
  .min(1)
  .refine((s) => s === 'auto' || (NAMED_FORMATS as readonly string[]).includes(s) || s.startsWith('nginx:') || s.startsWith('apache:'), {
    message: `expected auto, ${NAMED_FORMATS.join(', ')}, 'nginx:<log_format string>' or 'apache:<LogFormat string>'`,
  });
export type FormatSpec = z.infer<typeof FormatSpecSchema>;

/** What the report says was used (`combined`, `nginx:$remote_addr ...`, `nginx_error`) and how lines are read. */
export type ResolvedFormat = { name: string; kind: 'access'; parse: LineParser } | { name: 'nginx_error' | 'apache_error'; kind: 'error' };

function access(name: string, parse: LineParser): ResolvedFormat {
  return { name, kind: 'access', parse };
}

export function resolveFormat(spec: string): ResolvedFormat {
  if (spec === 'common' || spec === 'combined' || spec === 'vhost_combined') return access(spec, parseClfLine);
  if (spec === 'json') return access('json', parseJsonLine);
  if (spec === 'nginx_error' || spec === 'apache_error') return { name: spec, kind: 'error' };
  if (spec.startsWith('nginx:')) return access(spec, compileNginxFormat(spec.slice(6)));
  if (spec.startsWith('apache:')) return access(spec, compileApacheFormat(spec.slice(7)));
  throw new UsageError(`unknown format "${spec}": use auto, ${NAMED_FORMATS.join(', ')}, 'nginx:<log_format>' or 'apache:<LogFormat>'`);
}

const NGINX_ERROR = /\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[(?:debug|info|notice|warn|error|crit|alert|emerg)\] \d+#\d+:/;
const APACHE_ERROR = /^\[(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} \d\d |^[A-Z][a-z]{2} +\d{1,2} \d\d:\d\d:\d\d \S+ [^:]+: \[[a-z_0-9]*:?(?:error|warn|crit|alert|emerg|notice|info)\]/;
const VHOST_SHAPE = /^\S+ \S+ \S+ \S+ \[/;
const COMBINED_SHAPE = /" \d{3} (?:\d+|-) "/;

export const DETECT_SAMPLE_LINES = 50;

export type Detection =
  | { ok: true; format: ResolvedFormat; matched: number; sampled: number }
  | { ok: false; message: string };

/** Lines that carry no log record in test fixtures and hand-edited files. */
export function isCommentOrBlank(line: string): boolean {
  const first = line.charCodeAt(0);
  // Every record line starts with printable ASCII: no trim. Others may be Unicode blank (NBSP…).
  if (first > 32 && first < 127 && first !== 35 /* # */) return false;
  return line.length === 0 || first === 35 || line.trim() === '';
}

function refineClfName(lines: string[]): 'common' | 'combined' | 'vhost_combined' {
  const clfLines = lines.filter((l) => !isParseFailure(parseClfLine(l, '', 0)));
  const vhost = clfLines.filter((l) => VHOST_SHAPE.test(l)).length;
  const combined = clfLines.filter((l) => COMBINED_SHAPE.test(l)).length;
  if (vhost * 2 > clfLines.length) return 'vhost_combined';
  return combined * 2 >= clfLines.length ? 'combined' : 'common';
}

/** Picks the format that parses most of the sample; needs at least half of it to parse. */
export function detectFormat(name: string, sample: string[]): Detection {
  const lines = sample.filter((l) => !isCommentOrBlank(l));
  if (lines.length === 0) return { ok: true, format: access('combined', parseClfLine), matched: 0, sampled: 0 };
  const score = (parse: LineParser) => lines.filter((l) => !isParseFailure(parse(l, name, 0))).length;
  const clf = score(parseClfLine);
  const json = lines.some((l) => l.charCodeAt(0) === 123) ? score(parseJsonLine) : 0;
  const best = json > clf ? { format: access('json', parseJsonLine), matched: json } : { format: access(refineClfName(lines), parseClfLine), matched: clf };
  if (best.matched * 2 >= lines.length) return { ok: true, ...best, sampled: lines.length };

  // Error logs are read for the reasons behind 401s (user not found, password mismatch, missing password file).
  const nginxError = lines.filter((l) => NGINX_ERROR.test(l)).length;
  const apacheError = lines.filter((l) => APACHE_ERROR.test(l)).length;
  if (nginxError * 2 >= lines.length || apacheError * 2 >= lines.length) {
    const nginx = nginxError >= apacheError;
    return { ok: true, format: { name: nginx ? 'nginx_error' : 'apache_error', kind: 'error' }, matched: nginx ? nginxError : apacheError, sampled: lines.length };
  }
  const first = (lines[0] ?? '').slice(0, 120);
  return {
    ok: false,
    message: `${name}: unknown log format (${best.matched} of the first ${lines.length} lines parse as ${best.format.name}); first line: ${JSON.stringify(first)}. Pass --format with your log_format / LogFormat string, e.g. --format 'nginx:$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent'`,
  };
}
