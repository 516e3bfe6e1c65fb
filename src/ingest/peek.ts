/** What a file's first chunk says: its kind (access log, error log, both), first event time, and UTC offset. */
import { openInput } from './open';
import { LineSplitter } from './lines';
import { LineDecoder } from '../decode/decoder';
import { DETECT_SAMPLE_LINES } from '../decode/detect';
import type { LogEvent } from '../parse/event';

export interface Peek {
  /** `mixed`: access and error lines both (a container's output): read with the access logs, its failures go straight in. */
  kind: 'access' | 'error' | 'mixed' | 'unknown';
  firstTime: number | null;
  /** Offset of the first access-log timestamp (`+0100` → 60), which error logs (no zone) are read in. */
  utcOffsetMinutes: number | null;
}

const ZONE = /(?:\[\d\d\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d |T\d\d:\d\d:\d\d(?:\.\d+)?)([+-])(\d\d):?(\d\d)[\]"]/;
const UNKNOWN: Peek = { kind: 'unknown', firstTime: null, utcOffsetMinutes: null };

export async function peekInput(path: string, format: string): Promise<Peek> {
  if (path === '-') return UNKNOWN;
  const input = await openInput(path);
  let first: LogEvent | null = null;
  let errorLines = 0;
  const decoder = new LineDecoder(path, { format, errorLogUtcOffsetMinutes: () => 0, yearReference: () => input.mtimeMs ?? Date.now(), maxRecordBytes: 1 << 20 }, {
    event: (e) => {
      first ??= e;
    },
    errorLine: () => errorLines++,
    malformed: () => undefined,
    skipped: () => undefined,
  });
  let lines = 0;
  const splitter = new LineSplitter({
    line: (t, n, plain) => {
      // The sample only: a read chunk holds a thousand lines more, not worth parsing twice.
      if (lines++ < DETECT_SAMPLE_LINES) decoder.push(t, n, plain);
    },
    overflow: () => undefined,
  });
  for await (const chunk of input.chunks) {
    splitter.push(chunk);
    if (lines >= DETECT_SAMPLE_LINES) break;
  }
  input.close();
  const d = decoder.decide();
  if (!d.ok) return UNKNOWN;
  const event = first as LogEvent | null;
  const kind = event !== null && errorLines > 0 ? 'mixed' : event !== null || d.primary === 'access' ? 'access' : 'error';
  if (event === null) return { kind, firstTime: null, utcOffsetMinutes: null };
  const z = ZONE.exec(event.raw);
  const offset = z ? (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3])) : null;
  return { kind, firstTime: event.time, utcOffsetMinutes: offset };
}
