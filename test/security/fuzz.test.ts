/**
 * Every byte of a log is attacker-chosen: property-based fuzzing (fast-check) of every parser and of
 * format detection with random bytes, mutated real lines (truncated, NUL bytes, invalid UTF-8, huge
 * fields, every escape form). A parser returns an event of the right shape or a reason, never throws;
 * the work per line stays linear in its length (counted, not timed), also for the rule globs. The seed is fixed and printed:
 * AUTHWATCH_FUZZ_SEED=<seed> replays a failure.
 */
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { resolveFormat } from '../../src/decode/formats';
import { detectFormat } from '../../src/decode/detect';
import type { ResolvedFormat } from '../../src/parse/formats';
import { isParseFailure } from '../../src/parse/event';
import { parseErrorLogLine } from '../../src/parse/errorlog';
import { loadRules } from '../../src/rules/load';
import { LineSplitter } from '../../src/ingest/lines';
import { CORPUS, ROOT } from '../support/paths';

const SEED = Number(process.env.AUTHWATCH_FUZZ_SEED ?? 20261123);
/** Fuzzed lines per run, over all parsers. */
const LINES = 100_000;

const FORMATS = [
  'common',
  'combined',
  'vhost_combined',
  'json',
  'caddy',
  'traefik',
  'ecs',
  'alb',
  'cloudfront',
  'nginx:$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_x_forwarded_for" $request_time',
  'apache:%h %l %u %t \\"%r\\" %>s %b \\"%{Referer}i\\" \\"%{User-Agent}i\\" %D',
  'apache:%v:%p %a %l %u %{%d/%b/%Y:%H:%M:%S %z}t \\"%r\\" %s %O',
];

/** Real lines to mutate: the corpus and the samples. */
function realLines(): string[] {
  const out: string[] = [];
  const dirs = [path.join(CORPUS, 'access'), path.join(CORPUS, 'mixed')];
  for (const dir of dirs) {
    for (const f of readdirSync(dir)) {
      const p = path.join(dir, f);
      try {
        out.push(...readFileSync(p, 'latin1').split('\n').slice(0, 200));
      } catch {
        /* a directory */
      }
    }
  }
  out.push(...readFileSync(path.join(ROOT, 'samples', 'apache-access.log'), 'latin1').split('\n').slice(0, 200));
  return out.filter((l) => l.length > 0);
}

const NASTY = ['\u0000', '"', '\\', '\\"', '\\x22', '\\x', '\\u0000', '[', ']', '-', ' ', '\t', '\r', '\x1b[2J', '\x1b]0;pwned\x07', '\b', '\u00ff', '\u00c3\u0028', '{', '}', ':', '/', '%', '%00', '%zz', '\u2028'];

function lineArbitrary(real: string[]): fc.Arbitrary<string> {
  const randomBytes = fc.uint8Array({ maxLength: 400 }).map((b) => Buffer.from(b).toString('latin1'));
  const mutated = fc
    .tuple(fc.constantFrom(...real), fc.array(fc.tuple(fc.nat(), fc.nat({ max: 3 }), fc.constantFrom(...NASTY), fc.nat({ max: 2000 })), { minLength: 1, maxLength: 4 }))
    .map(([line, edits]) => {
      let s = line;
      for (const [at, op, piece, n] of edits) {
        const i = at % (s.length + 1);
        if (op === 0) s = s.slice(0, i); // truncated
        else if (op === 1) s = s.slice(0, i) + piece + s.slice(i); // inserted
        else if (op === 2) s = s.slice(0, i) + piece.repeat(n) + s.slice(i); // a huge field of it
        else s = s.slice(0, i) + s.slice(i + 1 + (n % 20)); // bytes lost
      }
      return s;
    });
  const json = fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v));
  return fc.oneof({ weight: 2, arbitrary: randomBytes }, { weight: 6, arbitrary: mutated }, { weight: 1, arbitrary: json });
}

function must(ok: boolean, what: string, fmt: ResolvedFormat): void {
  if (!ok) throw new Error(`${fmt.name}: ${what}`);
}

/** Lines a parser accepted: the fuzzing must exercise both outcomes, not only rejections. */
let accepted = 0;

function checkResult(fmt: ResolvedFormat, line: string): void {
  if (fmt.kind === 'error') {
    const r = parseErrorLogLine(line, 'fuzz.log', 1, 0);
    if (!('kind' in r)) must(typeof r.reason === 'string' && r.reason !== '', 'a failure without a reason', fmt);
    else if (r.kind === 'auth_failure') must(Number.isFinite(r.time) && typeof r.ip === 'string', 'an auth failure without a time or client', fmt);
    return;
  }
  const r = fmt.parse(line, 'fuzz.log', 1);
  if (isParseFailure(r)) return must(typeof r.reason === 'string' && r.reason !== '', 'a failure without a reason', fmt);
  // An accepted line is a well-formed event: a real time, a status, strings where strings belong.
  accepted++;
  must(Number.isFinite(r.time), 'time is not a number', fmt);
  must(Number.isInteger(r.status) && r.status >= 0 && r.status <= 999, `status ${r.status}`, fmt);
  for (const k of ['ip', 'method', 'path', 'query', 'request', 'referer', 'userAgent', 'remoteUser', 'host'] as const) must(typeof r[k] === 'string', `${k} is not a string`, fmt);
}

describe(`fuzzing (seed ${SEED}; replay with AUTHWATCH_FUZZ_SEED=${SEED})`, () => {
  const real = realLines();
  const parsers = [...FORMATS, 'nginx_error', 'apache_error'].map((f) => resolveFormat(f));

  test(`${LINES.toLocaleString('en-US')} fuzzed lines, each through the combined scanner and one other parser in turn: an event or a reason, never a throw`, () => {
    const combined = resolveFormat('combined');
    let n = 0;
    fc.assert(
      fc.property(lineArbitrary(real), (line) => {
        checkResult(combined, line);
        checkResult(parsers[n++ % parsers.length] as ResolvedFormat, line);
      }),
      { seed: SEED, numRuns: LINES },
    );
    expect(n).toBe(LINES);
    expect(accepted).toBeGreaterThan(LINES / 10);
  });

  test('format detection on fuzzed samples never throws', () => {
    fc.assert(
      fc.property(fc.array(lineArbitrary(real), { minLength: 0, maxLength: 60 }), (lines) => {
        const d = detectFormat('fuzz.log', lines);
        expect(typeof d.ok).toBe('boolean');
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  test('the line splitter keeps every byte and every line number, whatever the chunking', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.array(fc.nat({ max: 3000 }), { maxLength: 8 }), (bytes, cuts) => {
        const buf = Buffer.from(bytes);
        const got: string[] = [];
        let overflowed = 0;
        const s = new LineSplitter({ line: (t) => got.push(t), overflow: () => overflowed++ }, 1000);
        let at = 0;
        for (const c of [...cuts].sort((a, b) => a - b)) {
          s.push(buf.subarray(at, Math.max(at, Math.min(c, buf.length))));
          at = Math.max(at, Math.min(c, buf.length));
        }
        s.push(buf.subarray(at));
        s.end();
        const expected = buf.toString('latin1').split('\n').map((l) => l.replace(/\r$/, ''));
        if (expected[expected.length - 1] === '') expected.pop();
        expect(got.length + overflowed).toBe(expected.length);
        expect(got).toEqual(expected.filter((l) => Buffer.byteLength(l, 'latin1') <= 1000));
      }),
      { seed: SEED, numRuns: 500 },
    );
  });
});

/**
 * The work a function does, counted as the characters that the string and regular-expression methods it
 * calls look at (an indexOf counts the characters it scans, a slice those it copies, a regex the input
 * it runs over). A count, not a timing: the machine's load cannot disturb it. A scanner that goes over
 * its line again for each field does ~n² such work; one pass does ~n. What a single regex does inside
 * one call is not seen here: a blow-up there never ends, and the test's timeout catches it.
 */
function work(fn: () => void): number {
  let total = 0;
  type Method = (this: unknown, ...args: unknown[]) => unknown;
  const restore: Array<() => void> = [];
  const wrap = (proto: object, name: string, cost: (self: unknown, args: unknown[], result: unknown) => number) => {
    const table = proto as Record<string, Method>;
    const original = table[name] as Method;
    table[name] = function (this: unknown, ...args: unknown[]) {
      const result = original.apply(this, args);
      total += cost(this, args, result);
      return result;
    };
    restore.push(() => (table[name] = original));
  };
  const len = (x: unknown) => String(x).length;
  const from = (args: unknown[], i: number) => Math.max(0, Number(args[i] ?? 0) || 0);
  try {
    wrap(String.prototype, 'indexOf', (self, args, r) => ((r as number) === -1 ? len(self) - from(args, 1) : (r as number) - from(args, 1) + len(args[0])));
    for (const m of ['lastIndexOf', 'includes', 'split', 'trim', 'trimStart', 'trimEnd', 'toLowerCase', 'toUpperCase', 'replace', 'replaceAll', 'match', 'matchAll', 'search', 'normalize']) wrap(String.prototype, m, (self) => len(self));
    for (const m of ['startsWith', 'endsWith']) wrap(String.prototype, m, (_self, args) => len(args[0]));
    for (const m of ['charCodeAt', 'charAt', 'codePointAt', 'at']) wrap(String.prototype, m, () => 1);
    for (const m of ['slice', 'substring', 'substr']) wrap(String.prototype, m, (_self, _args, r) => len(r));
    for (const m of ['exec', 'test']) wrap(RegExp.prototype, m, (self, args) => len(args[0]) - ((self as RegExp).global || (self as RegExp).sticky ? (self as RegExp).lastIndex : 0));
    wrap(JSON, 'parse', (_self, args) => len(args[0]));
    fn();
  } finally {
    for (const r of restore.reverse()) r();
  }
  return total;
}

describe('time per line is linear in its length (no catastrophic backtracking)', () => {
  // Shapes that make backtracking regexes explode: long runs of the characters they branch on.
  const shapes: Array<[string, (n: number) => string]> = [
    ['quotes', (n) => `1.2.3.4 - - [20/Nov/2026:09:00:00 +0000] "${'"'.repeat(n)} 401 1 "-" "-"`],
    ['backslashes', (n) => `1.2.3.4 - - [20/Nov/2026:09:00:00 +0000] "GET /${'\\'.repeat(n)} HTTP/1.1" 401 1 "-" "-"`],
    ['escaped quotes', (n) => `1.2.3.4 - - [20/Nov/2026:09:00:00 +0000] "GET /${'\\"'.repeat(n)} HTTP/1.1" 401 1 "${'\\x22'.repeat(n)}" "-`],
    ['spaces', (n) => `1.2.3.4${' '.repeat(n)}- - [20/Nov/2026:09:00:00 +0000] "GET / HTTP/1.1" 401 1`],
    ['brackets', (n) => `1.2.3.4 - - ${'['.repeat(n)}20/Nov/2026:09:00:00 +0000] "GET / HTTP/1.1" 401 1`],
    ['json nesting', (n) => `{"remote_addr":"1.2.3.4","request":"${'\\\\'.repeat(n)}","status":${'['.repeat(Math.min(n, 5000))}`],
    ['error log', (n) => `2026/11/20 09:00:00 [error] 1#1: *1 user "${'"'.repeat(n)}": password mismatch, client: 1.2.3.4, server: x, request: "GET / HTTP/1.1"`],
  ];
  const parsers = [...FORMATS, 'nginx_error', 'apache_error'].map((f) => resolveFormat(f));

  test.each(shapes)('%s: 10x longer lines cost at most 20x the work (linear: 10x; a pass per field: 100x), for every parser', (_name, make) => {
    for (const p of parsers) {
      const a = work(() => checkResult(p, make(10_000)));
      const b = work(() => checkResult(p, make(100_000)));
      if (process.env.FUZZ_DEBUG) console.log(p.name, a, b);
      expect({ parser: p.name, linear: b / Math.max(a, 1) < 20 }).toEqual({ parser: p.name, linear: true });
    }
  }, 30_000);

  test('rule globs on attacker-chosen paths stay linear', async () => {
    const set = await loadRules(path.join(ROOT, 'rules'));
    const paths = (n: number) => ['/a'.repeat(n), '/' + 'login'.repeat(n), '/admin' + '/'.repeat(n) + 'x', '/' + '*'.repeat(n), `/${'.'.repeat(n)}/login`];
    for (const rule of set.rules) {
      const event = (p: string) => ({ time: 0, ip: '1.2.3.4', method: 'GET', path: p, query: '', protocol: 'HTTP/1.1', request: `GET ${p} HTTP/1.1`, status: 401, bytes: 1, referer: '', userAgent: 'x', remoteUser: '', host: '', requestTime: null, forwardedFor: '', file: 'x', line: 1, raw: '' });
      const small = work(() => paths(10_000).forEach((p) => rule.accepts(event(p))));
      const big = work(() => paths(100_000).forEach((p) => rule.accepts(event(p))));
      expect({ rule: rule.id, linear: big / Math.max(small, 1) < 20 }).toEqual({ rule: rule.id, linear: true });
    }
  }, 30_000);
});
