/** The format names and strings a user can give (`--format`, `format:` in the config), resolved to parsers. */
import { z } from 'zod';
import type { LineParser } from '../parse/event';
import type { AccessFormat, ResolvedFormat } from '../parse/formats';
import { parseClfLine } from '../parse/clf';
import { compileJsonFormat } from '../parse/json';
import { compileApacheFormat, compileNginxFormat } from '../parse/logformat';
import { w3cFormat } from '../parse/w3c';
import { UsageError } from '../errors';
import { isPresetName, PRESET_NAMES, PRESETS, type Preset } from './presets';

export const NAMED_FORMATS = PRESET_NAMES;

const EXPECTED = `auto, ${NAMED_FORMATS.join(', ')}, 'nginx:<log_format string>' or 'apache:<LogFormat string>'`;

export const FormatSpecSchema = z
  .string()
  .min(1)
  .refine((s) => s === 'auto' || isPresetName(s) || s.startsWith('nginx:') || s.startsWith('apache:'), { message: `expected ${EXPECTED}` });
export type FormatSpec = z.infer<typeof FormatSpecSchema>;

/** Either parser by the line's first character: a file of one server may hold both of its formats. */
function jsonOrClf(json: LineParser): LineParser {
  return (line, file, lineNo, plain) => (line.charCodeAt(0) === 123 /* { */ ? json(line, file, lineNo, plain) : parseClfLine(line, file, lineNo, plain));
}

function fromPreset(name: string, preset: Preset): ResolvedFormat {
  switch (preset.syntax) {
    case 'clf':
      return { name, kind: 'access', parse: parseClfLine };
    case 'json': {
      const json = compileJsonFormat(preset.fields);
      return { name, kind: 'access', parse: preset.orClf ? jsonOrClf(json) : json };
    }
    case 'nginx':
      return { name, kind: 'access', parse: compileNginxFormat(preset.format, preset.variables) };
    case 'w3c':
      return w3cFormat(preset.w3c);
    case 'error':
      return { name: preset.name, kind: 'error' };
  }
}

/** A fresh format for one input (W3C formats keep the columns of the file's `#Fields:` line). */
export function resolveFormat(spec: string): ResolvedFormat {
  if (isPresetName(spec)) return fromPreset(spec, PRESETS[spec].preset);
  if (spec.startsWith('nginx:')) return { name: spec, kind: 'access', parse: compileNginxFormat(spec.slice(6)) };
  if (spec.startsWith('apache:')) return { name: spec, kind: 'access', parse: compileApacheFormat(spec.slice(7)) };
  throw new UsageError(`unknown format "${spec}": use ${EXPECTED}`);
}

export function resolveAccessFormat(spec: string): AccessFormat {
  const f = resolveFormat(spec);
  if (f.kind !== 'access') throw new Error(`${spec} is not an access-log format`);
  return f;
}
