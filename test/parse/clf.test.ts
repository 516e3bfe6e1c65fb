import { isCommentOrBlank } from '../../src/parse/formats';
import { parseClfLine } from '../../src/parse/clf';
import { isParseFailure, type LogEvent } from '../../src/parse/event';

function ok(line: string): LogEvent {
  const r = parseClfLine(Buffer.from(line, 'utf8').toString('latin1'), 'f.log', 7);
  if (isParseFailure(r)) throw new Error(`expected an event, got: ${r.reason}`);
  return r;
}

function bad(line: string): string {
  const r = parseClfLine(line, 'f.log', 7);
  if (!isParseFailure(r)) throw new Error('expected a failure');
  return r.reason;
}

describe('common/combined scanner', () => {
  test('combined line: every field, UTC time from the log offset', () => {
    const e = ok('203.0.113.7 - alice [10/Oct/2000:13:55:36 -0700] "POST /login?next=%2Fhome HTTP/1.1" 401 179 "https://ex.com/" "curl/8.5.0"');
    expect(e).toMatchObject({
      ip: '203.0.113.7', remoteUser: 'alice', method: 'POST', path: '/login', query: 'next=%2Fhome', protocol: 'HTTP/1.1',
      status: 401, bytes: 179, referer: 'https://ex.com/', userAgent: 'curl/8.5.0', file: 'f.log', line: 7,
    });
    expect(new Date(e.time).toISOString()).toBe('2000-10-10T20:55:36.000Z');
  });

  test('common line (no referer, no user agent) and +0330 offset', () => {
    const e = ok('54.36.149.41 - - [22/Jan/2019:03:56:14 +0330] "GET / HTTP/1.0" 200 368');
    expect(e.userAgent).toBe('');
    expect(new Date(e.time).toISOString()).toBe('2019-01-22T00:26:14.000Z');
  });

  test('escaped quote and backslash inside the user agent are decoded', () => {
    const e = ok('1.2.3.4 - - [01/Jan/2024:00:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "evil \\"quoted\\" \\\\ agent"');
    expect(e.userAgent).toBe('evil "quoted" \\ agent');
  });

  test('TLS handshake sent to a plain-HTTP port: kept as the raw request, no method or path', () => {
    const e = ok('1.2.3.4 - - [17/Oct/2023:05:57:49 +1100] "\\x16\\x03\\x01\\x01 \\x02" 400 226 "-" "-"');
    expect(e.status).toBe(400);
    expect(e.method).toBe('');
    expect(e.path).toBe('');
    expect(e.request).toBe('\x16\x03\x01\x01 \x02');
  });

  test('"-" as the request (client sent nothing) and "-" bytes', () => {
    const e = ok('::1 - - [26/Dec/2016:16:16:48 +0200] "-" 408 -');
    expect(e).toMatchObject({ request: '', method: '', path: '', status: 408, bytes: null, ip: '::1' });
  });

  test('request with extra spaces in the target, and with no protocol', () => {
    expect(ok('1.2.3.4 - - [01/Jan/2024:00:00:00 +0000] "GET /a b  c HTTP/1.1" 404 1').path).toBe('/a b  c');
    const e = ok('1.2.3.4 - - [01/Jan/2024:00:00:00 +0000] "GET /no-protocol" 400 1');
    expect(e).toMatchObject({ method: 'GET', path: '/no-protocol', protocol: '' });
  });

  test('IPv6 peers are compressed, IPv4-mapped addresses unwrapped', () => {
    expect(ok('2001:0db8:0000:0000:0000:0000:0000:0001 - - [01/Jan/2024:00:00:00 +0000] "GET / HTTP/1.1" 200 1').ip).toBe('2001:db8::1');
    expect(ok('::ffff:192.0.2.9 - - [01/Jan/2024:00:00:00 +0000] "GET / HTTP/1.1" 200 1').ip).toBe('192.0.2.9');
  });

  test('empty user agent and empty referer', () => {
    const e = ok('0.0.0.0 - - [04/Oct/2022:04:34:49 +0000] "" 400 0 "" ""');
    expect(e).toMatchObject({ userAgent: '', referer: '', request: '', status: 400 });
  });

  test('invalid UTF-8 survives as \\xHH; valid UTF-8 (raw or \\x-escaped by nginx) becomes text', () => {
    const raw = Buffer.concat([Buffer.from('1.2.3.4 - - [01/Jan/2024:00:00:00 +0000] "GET /caf'), Buffer.from([0xe9]), Buffer.from(' HTTP/1.1" 200 1 "-" "ua"')]);
    const r = parseClfLine(raw.toString('latin1'), 'f', 1) as LogEvent;
    expect(r.path).toBe('/caf\\xE9');
    expect(ok('1.2.3.4 - - [01/Jan/2024:00:00:00 +0000] "GET /caf\\xC3\\xA9 HTTP/1.1" 200 1').path).toBe('/café');
    expect(ok('1.2.3.4 - - [01/Jan/2024:00:00:00 +0000] "GET /café HTTP/1.1" 200 1').path).toBe('/café');
  });

  test('percent-encoded paths are decoded; a broken escape is kept', () => {
    expect(ok('1.2.3.4 - - [01/Jan/2024:00:00:00 +0000] "GET /a%20b/%zz%41 HTTP/1.1" 200 1').path).toBe('/a b/%zzA');
  });

  test('vhost_combined prefix: host without port, then the client', () => {
    const e = ok('www.example.com:443 192.0.2.1 - bob [01/Jul/2013:06:20:38 -0500] "GET / HTTP/1.1" 200 3829 "-" "Wget/1.14"');
    expect(e).toMatchObject({ host: 'www.example.com', ip: '192.0.2.1', remoteUser: 'bob' });
  });

  test('a proxy chain in the address position: the last hop is the client, the chain is kept', () => {
    const e = ok('10.0.0.2, 10.0.0.1, 127.0.0.1 - - [07/Dec/2016:11:05:07 +0100] "GET /ocelot HTTP/1.1" 200 571 "-" "M"');
    expect(e).toMatchObject({ ip: '127.0.0.1', forwardedFor: '10.0.0.2, 10.0.0.1, 127.0.0.1' });
  });

  test('extra trailing fields (X-Forwarded-For, Traefik) are ignored', () => {
    const e = ok('172.17.0.1 - - [08/Dec/2021:09:16:05 +0000] "GET /x HTTP/1.1" 200 414 "-" "-" 500 "test@docker" "http://172.17.0.3:80" 0ms');
    expect(e).toMatchObject({ status: 200, bytes: 414, userAgent: '' });
  });

  test('a line cut short inside the user agent still parses', () => {
    expect(ok('46.118.127.106 - - [20/May/2015:12:05:17 +0000] "GET / HTTP/1.1" 200 235 "-" "Mozilla/5.0 (compatible; Googlebot/2.1').userAgent).toBe('Mozilla/5.0 (compatible; Googlebot/2.1');
  });

  test('an unescaped quote inside the request (old Apache) does not derail the status', () => {
    const e = ok('1.2.3.4 - - [01/Jan/2024:00:00:00 +0000] "GET /a"b HTTP/1.1" 404 1 "-" "ua"');
    expect(e).toMatchObject({ status: 404, path: '/a"b' });
  });

  test('failures say why', () => {
    expect(bad('hello world')).toMatch(/no "\[time\]" field/);
    expect(bad('1.2.3.4 - - [32/Foo/2024:00:00:00 +0000] "GET / HTTP/1.1" 200 1')).toMatch(/bad timestamp/);
    expect(bad('172.17.1.1 - - [28/Sep/2022:13:38:04 +0000] "GET /m HTTP/1.1" - - "-" "x"')).toMatch(/status/);
    expect(bad('2021/12/01 13:53:33 [error] 31#31: *46 "/x" is not found, client: 172.17.0.1')).toMatch(/error-log line/);
    expect(bad('1.2.3.4 - - [01/Jan/2024:00:00:00 +0000] "GET / HTTP/1.1" 200 12x')).toMatch(/bad response size/);
  });
});

describe('blank and comment lines', () => {
  test('blank in any whitespace (tabs, NBSP read as latin1) and # comments are skipped; a record line is not', () => {
    for (const line of ['', '   ', '\t', '\u00a0', '\u00a0 \t', '# a comment']) expect(isCommentOrBlank(line)).toBe(true);
    for (const line of ['192.0.2.1 - - [20/Nov/2026:09:10:00 +0100] "GET / HTTP/1.1" 200 1', ' 192.0.2.1 x', '\u00e9x']) expect(isCommentOrBlank(line)).toBe(false);
  });
});
