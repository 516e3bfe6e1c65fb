import { LineSplitter } from '../../src/ingest/lines';
import { needsNoDecoding } from '../../src/parse/text';
import { rng } from '../../src/synth/traffic';

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

  test('a line is flagged plain only when its whole chunk is ASCII without a backslash and it started in that chunk', () => {
    const got: Array<[string, boolean]> = [];
    const s = new LineSplitter({ line: (t, _n, plain) => got.push([t, plain]), overflow: () => undefined });
    s.push(Buffer.from('a b\nc d\ne', 'latin1'));
    s.push(Buffer.from('f\ng\n', 'latin1'));
    s.push(Buffer.from('h\\"i\nj\n', 'latin1'));
    s.push(Buffer.from([0x6b, 0xc3, 0xa9, 0x0a, 0x6c, 0x0a]));
    s.push(Buffer.from('m\n', 'latin1'));
    s.end();
    expect(got).toEqual([['a b', true], ['c d', true], ['ef', false], ['g', true], ['h\\"i', false], ['j', false], ['k\u00c3\u00a9', false], ['l', false], ['m', true]]);
  });

  test('every line flagged plain needs no decoding, over random text and random chunk cuts', () => {
    const random = rng(7);
    const rand = (n: number) => Math.floor(random() * n);
    const alphabet = [0x61, 0x20, 0x22, 0x5c, 0xe9, 0xc3, 0x0a, 0x0a, 0x0d, 0x2f];
    for (let round = 0; round < 200; round++) {
      // Mostly plain text, with an escape or a high byte in some rounds only.
      const special = rand(3);
      const bytes = Buffer.from(Array.from({ length: 200 }, () => (rand(40) === 0 && special > 0 ? (alphabet[2 + rand(alphabet.length - 2)] as number) : rand(8) === 0 ? 0x0a : 0x61 + rand(26))));
      const flagged: string[] = [];
      const all: string[] = [];
      const s = new LineSplitter({ line: (t, _n, plain) => (all.push(t), plain && flagged.push(t)), overflow: () => undefined });
      for (let at = 0; at < bytes.length; ) {
        const next = Math.min(bytes.length, at + 1 + rand(60));
        s.push(bytes.subarray(at, next));
        at = next;
      }
      s.end();
      expect(all.join('\n')).toBe(bytes.toString('latin1').replace(/\r(?=\n|$)/g, '').replace(/\n$/, ''));
      expect(flagged.filter((t) => !needsNoDecoding(t))).toEqual([]);
    }
  });

  test('a UTF-8 byte order mark is dropped from the first line only, even when it arrives a byte at a time', () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    const text = Buffer.concat([bom, Buffer.from('1.2.3.4 a\n', 'latin1'), bom, Buffer.from('5.6.7.8 b\n', 'latin1')]);
    const whole = split([text]);
    expect(whole.lines).toEqual([[1, '1.2.3.4 a'], [2, '\u00ef\u00bb\u00bf5.6.7.8 b']]);
    expect(split([...text].map((b) => Buffer.from([b]))).lines).toEqual(whole.lines);
    // A follower resuming at line 5 is mid-file: its first bytes are data, whatever they are.
    const resumed: string[] = [];
    const s = new LineSplitter({ line: (t) => resumed.push(t), overflow: () => undefined }, 100, 5);
    s.push(text);
    s.end();
    expect(resumed[0]).toBe('\u00ef\u00bb\u00bf1.2.3.4 a');
  });
});
