/** What a file's first chunk says: its kind (access or error log), first event time, and UTC offset. */
import { openInput } from './open';
import { LineSplitter } from './lines';
import { detectFormat, isCommentOrBlank, resolveFormat, type ResolvedFormat } from '../parse/formats';
import { isParseFailure } from '../parse/event';

export interface Peek {
  kind: 'access' | 'error' | 'unknown';
  firstTime: number | null;
  /** Offset of the first access-log timestamp (`+0100` → 60), which error logs (no zone) are read in. */
  utcOffsetMinutes: number | null;
}

const ZONE = /(?:\[\d\d\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d |T\d\d:\d\d:\d\d(?:\.\d+)?)([+-])(\d\d):?(\d\d)[\]"]/;

export async function peekInput(path: string, format: string): Promise<Peek> {
  if (path === '-') return { kind: 'unknown', firstTime: null, utcOffsetMinutes: null };
  const input = await openInput(path);
  const lines: string[] = [];
  const splitter = new LineSplitter({ line: (t) => lines.push(t), overflow: () => undefined });
  for await (const chunk of input.chunks) {
    splitter.push(chunk);
    if (lines.length >= 50) break;
  }
  input.close();
  const content = lines.filter((l) => !isCommentOrBlank(l));
  let fmt: ResolvedFormat;
  if (format === 'auto') {
    const d = detectFormat(path, content);
    if (!d.ok) return { kind: 'unknown', firstTime: null, utcOffsetMinutes: null };
    fmt = d.format;
  } else fmt = resolveFormat(format);
  if (fmt.kind === 'error') return { kind: 'error', firstTime: null, utcOffsetMinutes: null };
  for (const l of content) {
    const r = fmt.parse(l, path, 0);
    if (isParseFailure(r)) continue;
    const z = ZONE.exec(l);
    const offset = z ? (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3])) : null;
    return { kind: 'access', firstTime: r.time, utcOffsetMinutes: offset };
  }
  return { kind: 'access', firstTime: null, utcOffsetMinutes: null };
}
