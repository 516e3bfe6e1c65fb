import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { compileApacheFormat, compileNginxFormat } from '../../src/parse/logformat';
import { parseClfLine } from '../../src/parse/clf';
import { isParseFailure, type LogEvent } from '../../src/parse/event';
import { UsageError } from '../../src/errors';
import { CORPUS } from '../support/paths';
import { decodeRequest, fieldText, normalizeIp, parseBytes } from '../../src/parse/fields';
import { parseClfTime } from '../../src/parse/time';
import { needsNoDecoding } from '../../src/parse/text';

/**
 * A straightforward combined-format parser: one regex, every field decoded the slow way (escapes,
 * then UTF-8), no fast paths. The reference the hand-written scanner's shortcuts are checked against.
 */
const COMBINED_LINE = /^(\S+) \S+ (\S+) \[([^\]]+)\] "((?:[^"\\]|\\.)*)" (\d{3}) (\d+|-) "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)"$/;

function referenceCombined(line: string, file: string, lineNo: number): LogEvent | null {
  const m = COMBINED_LINE.exec(line);
  if (!m) return null;
  const [, ip, user, time, request, status, bytes, referer, userAgent] = m as unknown as string[];
  const req = decodeRequest(request as string);
  return {
    time: parseClfTime(time as string), ip: normalizeIp(ip as string), method: req.method, path: req.path, query: req.query, protocol: req.protocol,
    request: req.request, status: Number(status), bytes: parseBytes(bytes as string) ?? null, referer: fieldText(referer as string), userAgent: fieldText(userAgent as string),
    remoteUser: fieldText(user as string), host: '', requestTime: null, forwardedFor: '', raw: line, file, line: lineNo,
  };
}

const NGINX_COMBINED = '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"';

function ok(parse: ReturnType<typeof compileNginxFormat>, line: string): LogEvent {
  const r = parse(line, 'x.log', 1);
  if (isParseFailure(r)) throw new Error(r.reason);
  return r;
}

describe('nginx log_format compiler', () => {
  test('custom format with $request_time', () => {
    const parse = compileNginxFormat(NGINX_COMBINED + ' $request_time');
    const e = ok(parse, '192.0.2.1 - - [20/Nov/2026:09:10:00 +0100] "POST /login HTTP/1.1" 401 179 "-" "python-requests/2.32.3" 0.012');
    expect(e).toMatchObject({ ip: '192.0.2.1', status: 401, path: '/login', userAgent: 'python-requests/2.32.3', requestTime: 0.012 });
    expect(new Date(e.time).toISOString()).toBe('2026-11-20T08:10:00.000Z');
  });

  test('$time_iso8601, $host and ${var} braces, $request_uri split into path and query', () => {
    const parse = compileNginxFormat('${host} $remote_addr [$time_iso8601] $request_method $request_uri $status');
    const e = ok(parse, 'api.example.com 2001:db8::7 [2026-11-20T09:10:00+01:00] GET /v1/items?id=3 401');
    expect(e).toMatchObject({ host: 'api.example.com', ip: '2001:db8::7', method: 'GET', path: '/v1/items', query: 'id=3', status: 401 });
    expect(new Date(e.time).toISOString()).toBe('2026-11-20T08:10:00.000Z');
  });

  test('a line that does not follow the format names the column', () => {
    const parse = compileNginxFormat(NGINX_COMBINED);
    const r = parse('192.0.2.1 - - 20/Nov/2026:09:10:00 +0100 "GET / HTTP/1.1" 200 1 "-" "-"', 'x', 1);
    expect(isParseFailure(r) && r).toEqual({ reason: '$remote_user: expected a field ending with " ["', column: 13 });
  });

  test('formats that cannot work are refused when compiled', () => {
    expect(() => compileNginxFormat('$remote_addr $status')).toThrow(/no time field/);
    expect(() => compileNginxFormat('$remote_addr [$time_local] $request')).toThrow(/no status field/);
    expect(() => compileNginxFormat('$remote_addr$remote_user [$time_local] $status')).toThrow(UsageError);
  });

  test('differential: the compiled Nginx combined format gives the same events as the fast scanner on the corpus', () => {
    const compiled = compileNginxFormat(NGINX_COMBINED);
    let compared = 0;
    for (const name of readdirSync(path.join(CORPUS, 'access'))) {
      const lines = readFileSync(path.join(CORPUS, 'access', name), 'latin1').split('\n').filter((l) => l !== '');
      for (const [i, line] of lines.entries()) {
        const a = compiled(line, name, i + 1);
        if (isParseFailure(a)) continue; // common lines and truncated lines are the fast scanner's leniency
        const b = parseClfLine(line, name, i + 1);
        expect(b).toEqual(a);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(14000);
  });

  test('differential: the fast scanner and the compiled format give the same events as a plain regex reference on the corpus, escapes and UTF-8 included', () => {
    const compiled = compileNginxFormat(NGINX_COMBINED);
    let compared = 0;
    let decoded = 0;
    for (const name of readdirSync(path.join(CORPUS, 'access'))) {
      const lines = readFileSync(path.join(CORPUS, 'access', name), 'latin1').split('\n').filter((l) => l !== '');
      for (const [i, line] of lines.entries()) {
        const reference = referenceCombined(line, name, i + 1);
        if (reference === null) continue;
        expect(parseClfLine(line, name, i + 1)).toEqual(reference);
        expect(compiled(line, name, i + 1)).toEqual(reference);
        compared++;
        if (!needsNoDecoding(line)) decoded++;
      }
    }
    expect(compared).toBeGreaterThan(10000);
    // The lines that take the decoding path are there too, not only the plain ones.
    expect(decoded).toBeGreaterThan(20);
  });
});

describe('Apache LogFormat compiler', () => {
  test('%h %l %u %t "%r" %>s %b %D (microseconds)', () => {
    const parse = compileApacheFormat('%h %l %u %t "%r" %>s %b %D');
    const e = ok(parse, '10.1.2.3 - carol [21/Nov/2026:08:00:01 -0500] "GET /admin/ HTTP/1.1" 401 381 1520');
    expect(e).toMatchObject({ ip: '10.1.2.3', remoteUser: 'carol', status: 401, bytes: 381, requestTime: 0.00152, path: '/admin/' });
  });

  test('escaped quotes as copied from httpd.conf, headers by name, %v vhost', () => {
    const parse = compileApacheFormat('%v %h %l %u %t \\"%r\\" %>s %O \\"%{Referer}i\\" \\"%{User-Agent}i\\"');
    const e = ok(parse, 'portal.example.org 192.0.2.5 - - [21/Nov/2026:08:00:01 -0500] "GET / HTTP/1.1" 200 512 "https://a/" "Mozilla/5.0 (X11)"');
    expect(e).toMatchObject({ host: 'portal.example.org', referer: 'https://a/', userAgent: 'Mozilla/5.0 (X11)', bytes: 512 });
  });

  test('%{c}a (the peer, behind mod_remoteip) is the address unless %a or %h names the client', () => {
    const peerOnly = compileApacheFormat('%{c}a %l %u %t "%r" %>s %b "%{X-Forwarded-For}i"');
    expect(ok(peerOnly, '127.0.0.1 - admin [21/Nov/2026:08:00:01 +0000] "GET /login/ HTTP/1.1" 401 381 "198.51.100.7"')).toMatchObject({ ip: '127.0.0.1', forwardedFor: '198.51.100.7', status: 401 });
    const both = compileApacheFormat('%a %{c}a %u %t "%r" %>s %b');
    expect(ok(both, '198.51.100.7 127.0.0.1 admin [21/Nov/2026:08:00:01 +0000] "GET /login/ HTTP/1.1" 401 381')).toMatchObject({ ip: '198.51.100.7' });
  });

  test('%{sec}t, %{msec}t and %{usec}t epoch times, and unknown directives are refused', () => {
    const parse = compileApacheFormat('%a %{sec}t "%r" %s');
    expect(new Date(ok(parse, '192.0.2.5 1763712001 "GET / HTTP/1.1" 200').time).toISOString()).toBe('2025-11-21T08:00:01.000Z');
    // %{msec}t and %{usec}t (mod_log_config) are whole milli- and microseconds since the epoch.
    expect(new Date(ok(compileApacheFormat('%a %{msec}t "%r" %s'), '192.0.2.5 1763712001234 "GET / HTTP/1.1" 200').time).toISOString()).toBe('2025-11-21T08:00:01.234Z');
    expect(new Date(ok(compileApacheFormat('%a %{begin:usec}t "%r" %s'), '192.0.2.5 1763712001234567 "GET / HTTP/1.1" 200').time).toISOString()).toBe('2025-11-21T08:00:01.234Z');
    expect(() => compileApacheFormat('%h %t %>s %Z')).toThrow(/unknown Apache LogFormat directive %Z/);
    expect(() => compileApacheFormat('%h %{%A}t %>s')).toThrow(/unsupported Apache time format/);
  });

  test('the bunkerweb shape parses with its own format string where its lines follow it', () => {
    // This fixture logs `$host $remote_addr - $request_id $remote_user`, but writes nothing at all for an
    // empty request id on some lines: those lines do not follow the format, and say so.
    const lines = readFileSync(path.join(CORPUS, 'mixed', 'crowdsec-bunkerweb-http-malformed__bunkerweb-http-malformed.log'), 'latin1').split('\n').filter((l) => l.trim() !== '');
    const parse = compileNginxFormat('$host $remote_addr - $request_id $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"');
    const results = lines.map((l, i) => parse(l, 'b', i + 1));
    const withId = lines.map((l) => / - req\d+ - \[/.test(l));
    expect(results.map((r) => !isParseFailure(r))).toEqual(withId);
    expect(withId.filter(Boolean).length).toBe(7);
    expect((results[0] as LogEvent)).toMatchObject({ ip: '192.168.1.10', host: 'example.com', status: 400 });
  });
});
