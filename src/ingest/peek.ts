/** The time of a file's first parseable event, read from its first chunk only (gzip included). */
import { openInput } from './open';
import { LineSplitter } from './lines';
import { detectFormat, isCommentOrBlank, resolveFormat } from '../parse/formats';
import { isParseFailure } from '../parse/event';

export async function firstEventTime(path: string, format: string): Promise<number | null> {
  if (path === '-') return null;
  const input = await openInput(path);
  const lines: string[] = [];
  const splitter = new LineSplitter({ line: (t) => lines.push(t), overflow: () => undefined });
  for await (const chunk of input.chunks) {
    splitter.push(chunk);
    if (lines.length >= 50) break;
  }
  const content = lines.filter((l) => !isCommentOrBlank(l));
  let parse;
  if (format === 'auto') {
    const d = detectFormat(path, content);
    if (!d.ok) return null;
    parse = d.format.parse;
  } else parse = resolveFormat(format).parse;
  for (const l of content) {
    const r = parse(l, path, 0);
    if (!isParseFailure(r)) return r.time;
  }
  return null;
}
