import { rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { readInput } from '../../src/ingest/read';
import type { LogEvent } from '../../src/parse/event';
import { tempDir } from '../support/paths';

const PLAIN = '198.51.100.14 - - [01/Nov/2026:00:00:00 +0000] "GET /static/app.css HTTP/1.1" 200 11328 "https://shop.example.com/" "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"\n';
// UTF-8 in the user agent and user, an Nginx \x22 escape in the request, Apache's \" in the referer.
const SPECIAL = [
  '203.0.113.7 - jos\u00e9 [01/Nov/2026:00:00:01 +0000] "GET /caf%C3%A9 HTTP/1.1" 401 0 "-" "Caf\u00e9Bot/1.0 (\u00fcber)"\n',
  '203.0.113.8 - - [01/Nov/2026:00:00:02 +0000] "GET /q?x=\\x22a\\x22 HTTP/1.1" 401 0 "https://ex.com/\\"quoted\\"" "curl/8.5.0"\n',
];

describe('readInput', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir('authwatch-read-');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // Read chunks are checked whole for escapes and high bytes: lines of clean chunks skip the
  // per-line test, so the decoding must still hold for lines in, around and across mixed chunks.
  test.each([
    ['plain', false],
    ['gzip', true],
  ])('escaped and UTF-8 fields decode the same wherever they fall among clean chunks (%s)', async (_name, gzip) => {
    // About 180 KB of clean lines before, between and after: several 64 KB chunks on either side.
    const filler = PLAIN.repeat(1000);
    const text = filler + SPECIAL.join('') + filler + SPECIAL.join('') + filler;
    const file = path.join(dir, gzip ? 'mixed.log.gz' : 'mixed.log');
    const bytes = Buffer.from(text, 'utf8');
    writeFileSync(file, gzip ? gzipSync(bytes) : bytes);
    const events: LogEvent[] = [];
    const stats = await readInput(file, { format: 'combined' }, { event: (e) => events.push(e), malformed: (m) => { throw new Error(`${m.line}: ${m.reason}`); } });
    expect(stats.parsed).toBe(3004);
    const odd = events.filter((e) => e.status === 401);
    expect(odd.map((e) => e.line)).toEqual([1001, 1002, 2003, 2004]);
    for (const [first, second] of [odd.slice(0, 2), odd.slice(2)] as Array<[LogEvent, LogEvent]>) {
      expect(first).toMatchObject({ remoteUser: 'jos\u00e9', path: '/caf\u00e9', userAgent: 'Caf\u00e9Bot/1.0 (\u00fcber)' });
      expect(second).toMatchObject({ path: '/q', query: 'x="a"', request: 'GET /q?x="a" HTTP/1.1', referer: 'https://ex.com/"quoted"' });
    }
    const plain = events.filter((e) => e.status === 200);
    expect(plain).toHaveLength(3000);
    expect(new Set(plain.map((e) => `${e.path}|${e.userAgent}|${e.referer}`)).size).toBe(1);
  });

  test('a file saved with a UTF-8 byte order mark: its first line parses, in combined and in JSON', async () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    const cases: Array<[string, string]> = [
      ['bom.log', '203.0.113.7 - - [01/Nov/2026:00:00:00 +0000] "GET / HTTP/1.1" 401 0 "-" "curl/8.5.0"\n'],
      ['bom.json', '{"time_iso8601":"2026-11-01T00:00:00+00:00","remote_addr":"203.0.113.7","request":"GET / HTTP/1.1","status":"401"}\n'],
    ];
    for (const [name, line] of cases) {
      const file = path.join(dir, name);
      writeFileSync(file, Buffer.concat([bom, Buffer.from(line.repeat(3), 'latin1')]));
      const events: LogEvent[] = [];
      const malformed: number[] = [];
      await readInput(file, { format: 'auto' }, { event: (e) => events.push(e), malformed: (m) => malformed.push(m.line) });
      expect(malformed).toEqual([]);
      expect(events.map((e) => e.ip)).toEqual(['203.0.113.7', '203.0.113.7', '203.0.113.7']);
    }
  });
});
