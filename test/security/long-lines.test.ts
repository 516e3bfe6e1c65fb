/**
 * Memory follows the number of keys, not the length of lines: a flood of long lines (a 30 KB
 * referer each) with distinct addresses and paths must not leave its lines alive in the report's
 * top lists and the rule tables, which keep the addresses, paths and sample lines.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import path from 'node:path';
import { parseClfLine } from '../../src/parse/clf';
import { compileNginxFormat } from '../../src/parse/logformat';
import { parseErrorLogLine } from '../../src/parse/errorlog';
import { resolveAccessFormat } from '../../src/decode/formats';

const parseJsonLine = resolveAccessFormat('json').parse;
import { isParseFailure, type LineParser, type LogEvent } from '../../src/parse/event';
import { ReportBuilder } from '../../src/report/model';
import { Engine } from '../../src/rules/engine';
import { loadRules } from '../../src/rules/load';
import { ROOT } from '../support/paths';

const LINES = 3000;
const REFERER = 'https://ex.com/?' + 'q'.repeat(30_000);

function line(i: number): string {
  const second = String(i % 60).padStart(2, '0');
  const minute = String(Math.floor(i / 60) % 60).padStart(2, '0');
  // Each address fails twice, so the rule tables keep a key and sample lines for it; one in ten
  // lines is a scanner's (one address, ever-new paths), for an incident whose samples are cut lines.
  const host = Math.floor(i / 2);
  const ip = i % 10 === 0 ? '198.51.200.9' : `198.51.${host >> 8}.${host & 255}`;
  return `${ip} - - [20/Nov/2026:09:${minute}:${second} +0000] "GET /account/item-${String(i).padStart(8, '0')} HTTP/1.1" 401 0 "${REFERER}" "curl/8.5.0"`;
}

/** The same request as a JSON line, with a long request target instead of a long referer. */
function asJson(combined: string): string {
  const e = parseClfLine(combined, '', 0) as LogEvent;
  const request = `GET ${e.path}?${REFERER.slice(16)} HTTP/1.1`;
  return JSON.stringify({ time_iso8601: new Date(e.time).toISOString(), remote_addr: e.ip, request, status: String(e.status), http_user_agent: e.userAgent });
}

const combinedFormat = compileNginxFormat('$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"');

describe('long lines', () => {
  let gc: () => void;
  beforeAll(() => {
    v8.setFlagsFromString('--expose-gc');
    gc = vm.runInNewContext('gc') as () => void;
  });

  test.each<[string, LineParser]>([
    ['the common/combined scanner', parseClfLine],
    ['a compiled log_format', combinedFormat],
    ['JSON lines', (text, file, lineNo) => parseJsonLine(asJson(text), file, lineNo)],
  ])('%s: the report and the rule tables keep keys, not 30 KB lines', async (_name, parse) => {
    const rules = await loadRules(path.join(ROOT, 'rules'));
    gc();
    const before = process.memoryUsage().heapUsed;
    const report = new ReportBuilder();
    const engine = new Engine(rules.rules);
    for (let i = 0; i < LINES; i++) {
      const e = parse(line(i), 'flood.log', i + 1);
      if (isParseFailure(e)) throw new Error(e.reason);
      report.add(e);
      engine.add(e);
    }
    const incidents = engine.finish();
    gc();
    const kept = process.memoryUsage().heapUsed - before;
    // The lines themselves come to 90 MB; what is kept of them is addresses, paths and cut samples.
    expect(kept).toBeLessThan(25 * 1024 * 1024);
    // Still analysed: the scanner rule sees the flood, and samples are cut, not dropped.
    const model = report.finish([]);
    expect(model.unauthorized.count).toBe(LINES);
    const sample = incidents.flatMap((x) => x.samples)[0] ?? '';
    expect(sample).toMatch(/^flood\.log:\d+ .*198\.51\./);
    expect(sample.length).toBeLessThan(1100);
    expect(sample.endsWith('…')).toBe(true);
  });

  test('an error-log line of 30 KB leaves its fields, not itself, to whoever keeps them', () => {
    gc();
    const before = process.memoryUsage().heapUsed;
    const kept: unknown[] = [];
    for (let i = 0; i < LINES; i++) {
      const text = `2026/11/20 09:10:${String(i % 60).padStart(2, '0')} [error] 2865#0: *${i} user "u${i}" was not found in "/etc/nginx/.htpasswd", client: 198.51.${i >> 8}.${i & 255}, server: ex.com, request: "GET /admin/${i} HTTP/1.1", host: "ex.com", referrer: "${REFERER}"`;
      const a = parseErrorLogLine(text, 'error.log', i + 1, 0);
      if (!('kind' in a) || a.kind !== 'auth_failure') throw new Error(`line ${i} did not parse as an auth failure`);
      kept.push([a.ip, a.user, a.detail, a.path, a.host]);
    }
    gc();
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(10 * 1024 * 1024);
    expect(kept[7]).toEqual(['198.51.0.7', 'u7', '/etc/nginx/.htpasswd', '/admin/7', 'ex.com']);
  });
});
