import { resolveAccessFormat } from '../../src/decode/formats';
import { detectFormat } from '../../src/decode/detect';
import { isParseFailure, type LogEvent } from '../../src/parse/event';

const parseJsonLine = resolveAccessFormat('json').parse;

describe('JSON lines', () => {
  test('nginx escape=json log_format', () => {
    const line = '{"time_iso8601":"2026-11-20T09:10:00+01:00","remote_addr":"203.0.113.7","remote_user":"","request":"POST /login HTTP/1.1","status":"401","body_bytes_sent":"179","http_referer":"","http_user_agent":"python-requests/2.32.3\\u0000x","request_time":"0.004"}';
    const e = parseJsonLine(line, 'j.log', 3) as LogEvent;
    expect(e).toMatchObject({ ip: '203.0.113.7', status: 401, path: '/login', method: 'POST', bytes: 179, requestTime: 0.004, userAgent: 'python-requests/2.32.3\u0000x', line: 3 });
    expect(new Date(e.time).toISOString()).toBe('2026-11-20T08:10:00.000Z');
  });

  test('$time_local and numeric status; aliases used by other tools (ip, date, path, user_agent)', () => {
    const a = parseJsonLine('{"time_local":"20/Nov/2026:09:10:00 +0100","remote_addr":"::ffff:10.0.0.1","request":"GET / HTTP/1.1","status":200}', 'j', 1) as LogEvent;
    expect(a).toMatchObject({ ip: '10.0.0.1', status: 200 });
    const b = parseJsonLine('{"ip":"1.2.3.4","path":"/p?q=1","status":"200","user_agent":"UA","date":"2013-10-10T16:52:00+02:00"}', 'j', 1) as LogEvent;
    expect(b).toMatchObject({ ip: '1.2.3.4', path: '/p', query: 'q=1', userAgent: 'UA' });
  });

  test('UTF-8 and \\u escapes give the same text; a line that is not UTF-8 shows its bytes as \\xHH', () => {
    const fields = (e: LogEvent) => ({ path: e.path, request: e.request, userAgent: e.userAgent, remoteUser: e.remoteUser, referer: e.referer });
    const expected = { path: '/caf\u00e9/\u4e2d', request: 'GET /caf\u00e9/\u4e2d?q=%C3%A9 HTTP/1.1', userAgent: 'Caf\u00e9Bot/1 \u{1F600}', remoteUser: 'jos\u00e9', referer: 'https://ex.com/\u00fc' };
    const text = '{"time_iso8601":"2026-11-20T09:10:00+01:00","remote_addr":"203.0.113.7","remote_user":"jos\u00e9","request":"GET /caf\u00e9/\u4e2d?q=%C3%A9 HTTP/1.1","status":"401","http_referer":"https://ex.com/\u00fc","http_user_agent":"Caf\u00e9Bot/1 \u{1F600}"}';
    // As read from disk: UTF-8 bytes, one latin1 char each.
    const asRead = Buffer.from(text, 'utf8').toString('latin1');
    expect(fields(parseJsonLine(asRead, 'j', 1) as LogEvent)).toEqual(expected);
    // The same characters written as JSON escapes (Python's json.dumps, ensure_ascii).
    const escaped = JSON.stringify(JSON.parse(text)).replace(/[\u0080-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
    expect(escaped).not.toMatch(/[\u0080-\uffff]/);
    expect(fields(parseJsonLine(escaped, 'j', 1) as LogEvent)).toEqual(expected);
    expect(fields(parseJsonLine(escaped, 'j', 1, true) as LogEvent)).toEqual(expected);
    // A lone latin1 byte: not UTF-8, so kept visible rather than guessed.
    const latin1 = '{"time_iso8601":"2026-11-20T09:10:00+01:00","remote_addr":"203.0.113.7","request":"GET /caf\u00e9 HTTP/1.1","status":"401","http_user_agent":"Caf\u00e9Bot"}';
    expect(parseJsonLine(latin1, 'j', 1)).toMatchObject({ path: '/caf\\xE9', request: 'GET /caf\\xE9 HTTP/1.1', userAgent: 'Caf\\xE9Bot' });
  });

  test('bad JSON lines say why', () => {
    const reasons = ['{"remote_addr":"1.2.3.4"', '[1,2]', '{"remote_addr":"1.2.3.4","status":"200"}', '{"remote_addr":{"x":1},"status":"200","msec":"1700000000.5"}']
      .map((l) => parseJsonLine(l, 'j', 1))
      .map((r) => (isParseFailure(r) ? r.reason : 'parsed'));
    expect(reasons[0]).toMatch(/invalid JSON/);
    expect(reasons[1]).toMatch(/unexpected JSON: not an object/);
    expect(reasons[2]).toMatch(/no usable time/);
    // An object where the address should be is no address: the line says which keys it looked at.
    expect(reasons[3]).toMatch(/no client address \(remote_addr, ip, client\.\.\.\)/);
  });
});

describe('format detection', () => {
  const combined = '192.0.2.1 - - [20/Nov/2026:09:10:00 +0100] "GET / HTTP/1.1" 200 1 "-" "ua"';
  test('picks combined, common, vhost_combined and json by shape', () => {
    const pick = (lines: string[]) => {
      const d = detectFormat('f', lines);
      return d.ok ? d.name : d.message;
    };
    expect(pick([combined, combined])).toBe('combined');
    expect(pick(['192.0.2.1 - - [20/Nov/2026:09:10:00 +0100] "GET / HTTP/1.1" 200 1'])).toBe('common');
    expect(pick(['h.example:80 ' + combined])).toBe('vhost_combined');
    expect(pick(['{"time_local":"20/Nov/2026:09:10:00 +0100","remote_addr":"1.2.3.4","request":"GET / HTTP/1.1","status":200}'])).toBe('json');
    expect(pick(['# a comment', '', combined])).toBe('combined');
  });

  test('error logs are recognized as such (read for the reasons behind 401s), not as a wall of malformed lines', () => {
    const d = detectFormat('error.log', ['2012/04/09 11:53:29 [error] 2865#0: *66647 user "xyz" was not found in "/var/www/.htpasswd", client: 192.0.43.10']);
    expect(d.ok && d).toMatchObject({ name: 'nginx_error', primary: 'error' });
    const a = detectFormat('e', ['[Sat Jul 20 21:37:32.266605 2013] [auth_basic:error] [pid 17512] [client 127.0.0.1:51386] AH01618: user  not found: /basic/file']);
    expect(a.ok && a).toMatchObject({ name: 'apache_error', primary: 'error' });
  });

  test('unknown text is refused with the first line and a hint', () => {
    const d = detectFormat('notes.txt', ['hello there', 'general kenobi']);
    expect(!d.ok && d.message).toMatch(/notes\.txt: unknown log format \(0 of the first 2 lines parse as combined\); first line: "hello there".*--format/);
  });
});
