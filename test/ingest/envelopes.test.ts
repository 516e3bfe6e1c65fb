/**
 * Envelopes taken off before the format parser, on real lines: Docker json-file and Kubernetes CRI
 * container logs (test/fixtures/formats, provenance in its SOURCES.md), syslog as rsyslog/journald
 * write it to a file (CrowdSec's wordpress fixture in ../shared/corpus, a pfSense RFC 5424 message),
 * files mixing access and error lines, and the year of year-less syslog stamps.
 */
import { readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readInput, type MalformedLine, type SourceStats } from '../../src/ingest/read';
import type { LogEvent } from '../../src/parse/event';
import type { AuthFailureEvent } from '../../src/parse/errorlog';
import { CORPUS, ROOT, tempDir } from '../support/paths';

const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'formats');

interface Read {
  stats: SourceStats;
  events: LogEvent[];
  failures: AuthFailureEvent[];
  malformed: MalformedLine[];
  said: string[];
}

async function read(file: string, format = 'auto'): Promise<Read> {
  const r: Omit<Read, 'stats'> = { events: [], failures: [], malformed: [], said: [] };
  const stats = await readInput(file, { format }, {
    event: (e) => r.events.push(e),
    authFailure: (a) => r.failures.push(a),
    malformed: (m) => r.malformed.push(m),
    format: (_p, f) => r.said.push(f),
  });
  return { stats, ...r };
}

const iso = (t: number) => new Date(t).toISOString();

let dir: string;
beforeAll(() => {
  dir = tempDir('authwatch-envelopes-');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text, 'latin1');
  return file;
}

describe('Docker json-file', () => {
  test("an nginx container's log: access lines from stdout, error lines from stderr, the entrypoint's chatter malformed", async () => {
    const r = await read(path.join(FIXTURES, 'docker-nginx-json.log'));
    expect(r.stats).toMatchObject({ status: 'ok', envelope: 'docker', format: 'nginx_error', parsed: 11, errorLines: 10, malformed: 8 });
    expect(r.said).toEqual(['nginx_error in Docker json-file records, with combined lines']);
    expect(r.events).toHaveLength(1);
    expect(r.events[0]).toMatchObject({ ip: '172.17.0.1', path: '/', status: 200, userAgent: 'curl/7.68.0', line: 19 });
    expect(iso(r.events[0]?.time as number)).toBe('2022-02-02T10:27:01.000Z');
    expect(r.malformed.map((m) => m.line)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(r.malformed[0]?.reason).toMatch(/not an Nginx or Apache error-log line/);
  });

  test('a record Docker split (no "\\n" until its last piece) is joined, at the line of its first piece', async () => {
    // A real combined line (lnav's shop log) as Docker writes one over its 16 KiB buffer: in pieces.
    const line = readFileSync(path.join(CORPUS, 'access', 'lnav-shop-access-xff.log'), 'latin1').split('\n')[0] as string;
    const pieces = [line.slice(0, 40), line.slice(40, 90), line.slice(90)];
    const record = (log: string) => JSON.stringify({ log, stream: 'stdout', time: '2019-01-22T03:56:14.000000000Z' });
    const file = write('split.json.log', [record(pieces[0] as string), record(pieces[1] as string), record(`${pieces[2]}\n`), record(`${line}\n`)].join('\n') + '\n');
    const r = await read(file);
    expect(r.stats).toMatchObject({ envelope: 'docker', format: 'combined', parsed: 2, malformed: 0 });
    expect(r.events.map((e) => e.line)).toEqual([1, 4]);
    expect(r.events[0]?.raw).toBe(line);
    expect({ ...r.events[0], line: 4 }).toEqual({ ...r.events[1] });
  });

  test('UTF-8 inside a record reads as it does in a plain file', async () => {
    const plain = '203.0.113.7 - jos\u00e9 [20/Nov/2026:09:10:00 +0100] "GET /caf%C3%A9 HTTP/1.1" 401 0 "-" "Caf\u00e9Bot/1.0"';
    const asRead = (s: string) => Buffer.from(s, 'utf8').toString('latin1');
    const a = await read(write('utf8.log', asRead(plain + '\n')));
    const b = await read(write('utf8.json.log', asRead(JSON.stringify({ log: plain + '\n', stream: 'stdout', time: '2026-11-20T08:10:00Z' }) + '\n')));
    expect(b.stats.envelope).toBe('docker');
    expect(b.events[0]).toMatchObject({ remoteUser: 'jos\u00e9', path: '/caf\u00e9', userAgent: 'Caf\u00e9Bot/1.0' });
    expect({ ...b.events[0], file: '', raw: '' }).toEqual({ ...a.events[0], file: '', raw: '' });
  });
});

describe('Kubernetes CRI', () => {
  test("an nginx pod's log on containerd: access and error lines, times from nginx's own +0800", async () => {
    const r = await read(path.join(FIXTURES, 'cri-nginx.log'));
    expect(r.stats).toMatchObject({ status: 'ok', envelope: 'cri', format: 'combined', parsed: 4, errorLines: 1, malformed: 0 });
    expect(r.events.map((e) => [e.status, e.path])).toEqual([[200, '/'], [404, '/favicon.ico'], [304, '/']]);
    expect(iso(r.events[0]?.time as number)).toBe('2024-11-30T12:57:27.000Z');
    expect(r.events[0]).toMatchObject({ ip: '10.42.0.185', userAgent: expect.stringMatching(/Firefox\/133/) });
  });

  test('partial (P) records are joined up to their F record; one left open at the end is still read', async () => {
    const full = readFileSync(path.join(FIXTURES, 'cri-nginx.log'), 'latin1').split('\n')[0] as string;
    const stamp = full.slice(0, full.indexOf(' '));
    const message = full.slice(full.indexOf(' stdout F ') + 10);
    const cut = [message.slice(0, 30), message.slice(30, 100), message.slice(100)];
    const file = write('partial-cri.log', [
      `${stamp} stdout P ${cut[0]}`, `${stamp} stdout P ${cut[1]}`, `${stamp} stdout F ${cut[2]}`,
      full,
      `${stamp} stdout P ${cut[0]}`, `${stamp} stdout P ${cut[1]}${cut[2]}`,
    ].join('\n') + '\n');
    const r = await read(file);
    expect(r.stats).toMatchObject({ envelope: 'cri', parsed: 3, malformed: 0 });
    expect(r.events.map((e) => e.line)).toEqual([1, 4, 5]);
    for (const e of r.events) expect(e.raw).toBe(message);
  });

  test('a split record is bounded: past the line limit it is dropped and said, the next one reads', async () => {
    const stamp = '2026-11-20T08:00:01.000000000Z';
    const piece = 'x'.repeat(30_000);
    const good = `${stamp} stdout F 203.0.113.7 - - [20/Nov/2026:08:00:01 +0000] "GET / HTTP/1.1" 401 0 "-" "curl/8.5.0"`;
    const file = write('huge-cri.log', [good, `${stamp} stdout P ${piece}`, `${stamp} stdout P ${piece}`, `${stamp} stdout P ${piece}`, `${stamp} stdout F end`, good].join('\n') + '\n');
    const r = await read(file);
    expect(r.events.map((e) => e.line)).toEqual([1, 6]);
    expect(r.malformed[0]?.reason).toMatch(/split record from line 2 is over the 65536-byte limit/);
  });
});

describe('syslog written to a file', () => {
  test("RFC 3164 (CrowdSec's wordpress fixture): unwrapped, and the header's host names the server", async () => {
    const r = await read(path.join(CORPUS, 'mixed', 'crowdsec-http-bf-wordpress-bf__http-bf-wordpress-bf.log'));
    expect(r.stats).toMatchObject({ status: 'ok', envelope: 'syslog', format: 'combined', parsed: 9, malformed: 0 });
    expect(r.said).toEqual(['combined in syslog lines']);
    expect(r.events[0]).toMatchObject({ ip: '81.150.104.130', method: 'POST', path: '/wp-login.php', status: 200, host: 'ip-172-31-43-28.us-east-2.compute.internal' });
    expect(iso(r.events[0]?.time as number)).toBe('2021-09-15T16:13:46.000Z');
  });

  test('RFC 5424 with <PRI> (a pfSense nginx message, cut short as received), and RFC 3339 stamps as rsyslog writes them', async () => {
    const pfsense = '<174>1 2025-08-26T22:08:15.000000+10:00 pfsense.domainname nginx - - - 192.168.1.56 - hass [26/Aug/2025:22:08:15 +1000] "POST /xmlrpc.php HTTP/1.1" 200 2949 "-" "Python-xmlrpc/3.13';
    const a = await read(write('pfsense.log', pfsense + '\n'));
    expect(a.stats).toMatchObject({ envelope: 'syslog', parsed: 1 });
    expect(a.events[0]).toMatchObject({ ip: '192.168.1.56', remoteUser: 'hass', path: '/xmlrpc.php', status: 200, host: 'pfsense.domainname', userAgent: 'Python-xmlrpc/3.13' });
    // rsyslog's RSYSLOG_FileFormat: "%TIMESTAMP:::date-rfc3339% %HOSTNAME% %syslogtag%%msg%", over real access lines.
    const access = readFileSync(path.join(CORPUS, 'access', 'lnav-shop-access-xff.log'), 'latin1').split('\n').slice(0, 30);
    const b = await read(write('rsyslog.log', access.map((l, i) => `2019-01-22T03:56:${String(i % 60).padStart(2, '0')}.204561+03:30 web1 nginx[812]: ${l}`).join('\n') + '\n'));
    expect(b.stats).toMatchObject({ envelope: 'syslog', format: 'combined', parsed: 30, malformed: 0 });
    expect(b.events.every((e) => e.host === 'web1')).toBe(true);
  });

  test('access and Apache error lines in one syslog file: both halves read, the error through its header', async () => {
    const access = readFileSync(path.join(CORPUS, 'mixed', 'crowdsec-http-bf-wordpress-bf__http-bf-wordpress-bf.log'), 'latin1').trim().split('\n');
    // fail2ban's apache-auth test file: Apache's error log sent through syslog.
    const apache = 'Feb 15 16:23:00 srv httpd[22034]: [authz_core:error] [pid 22034] [client 192.0.2.1:58585] AH01630: client denied by server configuration: /home/www/';
    const file = write('syslog-mixed.log', [...access, apache].join('\n') + '\n');
    utimesSync(file, new Date('2021-12-01T00:00:00Z'), new Date('2021-12-01T00:00:00Z'));
    const r = await read(file);
    expect(r.stats).toMatchObject({ envelope: 'syslog', format: 'combined', parsed: 10, errorLines: 1, authFailures: 1, malformed: 0 });
    expect(r.failures[0]).toMatchObject({ ip: '192.0.2.1', reason: 'denied_by_rule', path: '/home/www/' });
    expect(iso(r.failures[0]?.time as number)).toBe('2021-02-15T16:23:00.000Z');
  });
});

describe('year-less syslog stamps take the year of the file, not of today', () => {
  // fail2ban's apache-auth line, its month set to each case's.
  const line = (month: string) => `${month} 15 16:23:00 srv httpd[22034]: [authz_core:error] [pid 22034] [client 192.0.2.1:58585] AH01630: client denied by server configuration: /home/www/`;
  test.each([
    ['a December line in a file last written on 5 January', 'Dec', '2027-01-05T03:00:00Z', '2026-12-15T16:23:00.000Z'],
    ['a January line in a file last written on 20 January', 'Jan', '2027-01-20T03:00:00Z', '2027-01-15T16:23:00.000Z'],
    ['a line of a file from years ago', 'Jun', '2019-07-01T00:00:00Z', '2019-06-15T16:23:00.000Z'],
  ])('%s', async (_name, month, mtime, expected) => {
    const file = write(`year-${month}.log`, line(month) + '\n');
    utimesSync(file, new Date(mtime), new Date(mtime));
    const r = await read(file);
    expect(r.stats).toMatchObject({ format: 'apache_error', errorLines: 1 });
    expect(iso(r.failures[0]?.time as number)).toBe(expected);
  });
});

describe('holding lines until the format is known', () => {
  test('a file of comments and blank lines is decided on after a bounded number of them, not held whole', async () => {
    const { LineDecoder } = await import('../../src/decode/decoder');
    const skipped: number[] = [];
    const decoder = new LineDecoder('comments.log', { format: 'auto', errorLogUtcOffsetMinutes: () => 0, yearReference: () => 0, maxRecordBytes: 65536 }, {
      event: () => undefined, errorLine: () => undefined, malformed: () => undefined, skipped: (n) => skipped.push(n),
    });
    for (let i = 1; i <= 5000; i++) decoder.push(i % 2 ? '# failJSON: { "match": false }' : '', i, true);
    expect(decoder.detection).not.toBeNull();
    expect(decoder.holding).toBe(false);
    expect(skipped).toHaveLength(5000);
  });
});
