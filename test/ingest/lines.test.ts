import { LineSplitter } from '../../src/ingest/lines';

function split(chunks: Array<string | Buffer>, max = 64): { lines: Array<[number, string]>; overflows: Array<[number, number, string]> } {
  const lines: Array<[number, string]> = [];
  const overflows: Array<[number, number, string]> = [];
  const s = new LineSplitter({ line: (t, n) => lines.push([n, t]), overflow: (h, n, len) => overflows.push([n, len, h.slice(0, 5)]) }, max);
  for (const c of chunks) s.push(typeof c === 'string' ? Buffer.from(c, 'latin1') : c);
  s.end();
  return { lines, overflows };
}

describe('LineSplitter', () => {
  test('lines across chunk boundaries, CRLF stripped, last line without newline', () => {
    const r = split(['ab', 'c\r\nde', 'f\n\n', 'last']);
    expect(r.lines).toEqual([[1, 'abc'], [2, 'def'], [3, ''], [4, 'last']]);
  });

  test('an overlong line is reported with its number and length, and later numbers stay right', () => {
    const long = 'x'.repeat(150);
    const r = split(['one\n', long.slice(0, 70), long.slice(70) + '\ntwo\n', 'y'.repeat(100) + '\nthree']);
    expect(r.overflows).toEqual([[2, 150, 'xxxxx'], [4, 100, 'yyyyy']]);
    expect(r.lines).toEqual([[1, 'one'], [3, 'two'], [5, 'three']]);
  });

  test('bytes >= 0x80 come through one char per byte', () => {
    const r = split([Buffer.from([0x61, 0xe9, 0xff, 0x0a])]);
    expect(r.lines[0]?.[1]).toBe('a\u00e9\u00ff');
  });
});
