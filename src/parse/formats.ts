/** Format names and strings the user can give, and detection from a file's first lines. */
import { z } from 'zod';
import type { LineParser } from './event';
import { isParseFailure } from './event';
import { parseClfLine } from './clf';
import { parseJsonLine } from './json';
import { compileApacheFormat, compileNginxFormat } from './logformat';
import { UsageError } from '../errors';

export const NAMED_FORMATS = ['common', 'combined', 'vhost_combined', 'json'] as const;
export type NamedFormat = (typeof NAMED_FORMATS)[number];

export const FormatSpecSchema = z
  .string()
  .min(1)
  .refine((s) => s === 'auto' || (NAMED_FORMATS as readonly string[]).includes(s) || s.startsWith('nginx:') || s.startsWith('apache:'), {
    message: `expected auto, ${NAMED_FORMATS.join(', ')}, 'nginx:<log_format string>' or 'apache:<LogFormat string>'`,
  });
export type FormatSpec = z.infer<typeof FormatSpecSchema>;

export interface ResolvedFormat {
  /** What the report says was used: `combined`, `nginx:$remote_addr ...`. */
  name: string;
  parse: LineParser;
}

export function resolveFormat(spec: string): ResolvedFormat {
  if (spec === 'common' || spec === 'combined' || spec === 'vhost_combined') return { name: spec, parse: parseClfLine };
  if (spec === 'json') return { name: 'json', parse: parseJsonLine };
  if (spec.startsWith('nginx:')) return { name: spec, parse: compileNginxFormat(spec.slice(6)) };
  if (spec.startsWith('apache:')) return { name: spec, parse: compileApacheFormat(spec.slice(7)) };
  throw new UsageError(`unknown format "${spec}": use auto, ${NAMED_FORMATS.join(', ')}, 'nginx:<log_format>' or 'apache:<LogFormat>'`);
}

const NGINX_ERROR = /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[(?:debug|info|notice|warn|error|crit|alert|emerg)\]/;
const APACHE_ERROR = /^\[(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} \d\d /;
const VHOST_SHAPE = /^\S+ \S+ \S+ \S+ \[/;
const COMBINED_SHAPE = /" \d{3} (?:\d+|-) "/;

export const DETECT_SAMPLE_LINES = 50;

export type Detection =
  | { ok: true; format: ResolvedFormat; matched: number; sampled: number }
  | { ok: false; message: string };

/** Lines that carry no log record in test fixtures and hand-edited files. */
export function isCommentOrBlank(line: string): boolean {
  return line.length === 0 || line.charCodeAt(0) === 35 /* # */ || line.trim() === '';
}

function refineClfName(lines: string[]): NamedFormat {
  const clfLines = lines.filter((l) => !isParseFailure(parseClfLine(l, '', 0)));
  const vhost = clfLines.filter((l) => VHOST_SHAPE.test(l)).length;
  const combined = clfLines.filter((l) => COMBINED_SHAPE.test(l)).length;
  if (vhost * 2 > clfLines.length) return 'vhost_combined';
  return combined * 2 >= clfLines.length ? 'combined' : 'common';
}

/** Picks the format that parses most of the sample; needs at least half of it to parse. */
export function detectFormat(name: string, sample: string[]): Detection {
  const lines = sample.filter((l) => !isCommentOrBlank(l));
  if (lines.length === 0) return { ok: true, format: { name: 'combined', parse: parseClfLine }, matched: 0, sampled: 0 };
  const score = (parse: LineParser) => lines.filter((l) => !isParseFailure(parse(l, name, 0))).length;
  const clf = score(parseClfLine);
  const json = lines.some((l) => l.charCodeAt(0) === 123) ? score(parseJsonLine) : 0;
  const best = json > clf ? { format: { name: 'json', parse: parseJsonLine }, matched: json } : { format: { name: refineClfName(lines), parse: parseClfLine }, matched: clf };
  if (best.matched * 2 >= lines.length) return { ok: true, ...best, sampled: lines.length };

  const nginxError = lines.filter((l) => NGINX_ERROR.test(l)).length;
  const apacheError = lines.filter((l) => APACHE_ERROR.test(l)).length;
  if (nginxError * 2 >= lines.length || apacheError * 2 >= lines.length) {
    const kind = nginxError >= apacheError ? 'an Nginx' : 'an Apache';
    return { ok: false, message: `${name}: this looks like ${kind} error log, not an access log; authwatch reads access logs (pass the access_log / CustomLog file)` };
  }
  const first = (lines[0] ?? '').slice(0, 120);
  return {
    ok: false,
    message: `${name}: unknown log format (${best.matched} of the first ${lines.length} lines parse as ${best.format.name}); first line: ${JSON.stringify(first)}. Pass --format with your log_format / LogFormat string, e.g. --format 'nginx:$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent'`,
  };
}
