/**
 * Named presets on real lines (test/fixtures/formats, provenance in its SOURCES.md): each is detected
 * by itself and read the same when named with --format, and the fields the rules use come out right.
 */
import path from 'node:path';
import { readInput, type MalformedLine, type SourceStats } from '../../src/ingest/read';
import { resolveAccessFormat } from '../../src/decode/formats';
import type { LogEvent } from '../../src/parse/event';
import { ROOT } from '../support/paths';

const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'formats');

async function read(name: string, format = 'auto'): Promise<{ stats: SourceStats; events: LogEvent[]; malformed: MalformedLine[] }> {
  const events: LogEvent[] = [];
  const malformed: MalformedLine[] = [];
  const stats = await readInput(path.join(FIXTURES, name), { format }, { event: (e) => events.push(e), malformed: (m) => malformed.push(m) });
  return { stats, events, malformed };
}

const iso = (e: LogEvent) => new Date(e.time).toISOString();

describe.each([
  ['caddy.log', 'caddy', 3, 0],
  ['traefik.json.log', 'traefik', 7, 0],
  ['traefik.common.log', 'traefik', 7, 1],
  ['ecs-nginx.ndjson', 'ecs', 3, 0],
  ['alb.log', 'alb', 6, 0],
  ['cloudfront.log', 'cloudfront', 6, 1],
  ['cloudfront-noheader.log', 'cloudfront', 1, 0],
])('%s', (file, preset, parsed, malformed) => {
  test(`auto-detected as ${preset}: ${parsed} parsed, ${malformed} malformed`, async () => {
    const r = await read(file);
    expect(r.stats).toMatchObject({ status: 'ok', format: preset, parsed, malformed, envelope: null });
  });
  test(`--format ${preset} reads the same`, async () => {
    const [auto, named] = await Promise.all([read(file), read(file, preset)]);
    expect(named.stats).toMatchObject({ format: preset, parsed, malformed });
    expect(named.events.map((e) => ({ ...e }))).toEqual(auto.events.map((e) => ({ ...e })));
  });
});

describe('the fields each preset fills', () => {
  test('Caddy: client_ip, float ts, user agent from the header list, duration in seconds', async () => {
    const { events } = await read('caddy.log');
    expect(events[0]).toMatchObject({ ip: '127.0.0.1', method: 'GET', path: '/', protocol: 'HTTP/2.0', status: 200, bytes: 10900, userAgent: 'curl/7.82.0', host: 'localhost', requestTime: 0.000929675, remoteUser: '' });
    expect(iso(events[0] as LogEvent)).toBe('2022-03-09T21:30:01.524Z');
    expect(events[1]).toMatchObject({ ip: '98.113.67.178', path: '/__logcheck-20260806T221446Z', status: 404, host: 'api.whitepapergrey.com' });
    expect(iso(events[1] as LogEvent)).toBe('2026-08-06T22:14:46.194Z') // .193625 s, to the nearest ms;
  });

  test('Traefik JSON: ClientHost or ClientAddr without its port, StartUTC or StartLocal, Duration in ns', async () => {
    const { events } = await read('traefik.json.log');
    expect(events[0]).toMatchObject({ ip: '127.0.0.1', status: 404, request: 'GET / HTTP/1.1', userAgent: 'curl/7.67.0', remoteUser: '', host: 'backend.elastic-package-service.docker.localhost' });
    expect(events[0]?.requestTime).toBeCloseTo(40356e-9, 12);
    // No ClientHost and no StartUTC: the address from ClientAddr, the time from StartLocal.
    expect(events[3]).toMatchObject({ ip: '10.10.10.20', path: '/foo/bar/baz.php', status: 404 });
    expect(iso(events[3] as LogEvent)).toBe('2024-02-02T17:07:08.048Z');
    expect(events[6]).toMatchObject({ ip: '::1' });
  });

  test("Traefik common: combined with its extras; a bare '-' referer still gives the user agent", async () => {
    const { events, malformed } = await read('traefik.common.log');
    expect(events[2]).toMatchObject({ ip: '89.160.20.156', status: 200, referer: '', userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 11_2_5 like Mac OS X) AppleWebKit/604.5.6 (KHTML, like Gecko) Version/11.0 Mobile/15D60 Safari/604.1' });
    // An aborted request: Traefik logs its status as "-".
    expect(malformed.map((m) => m.line)).toEqual([8]);
  });

  test('ECS: source.ip, http.response.status_code, url.original, user_agent.original under an object', async () => {
    const { events } = await read('ecs-nginx.ndjson');
    expect(events[1]).toMatchObject({ ip: '67.43.156.13', method: 'GET', path: '/favicon.ico', status: 404, bytes: 571, referer: 'http://localhost:8080/', protocol: 'HTTP/1.1' });
    expect(events[1]?.userAgent).toMatch(/^Mozilla\/5\.0 \(Macintosh/);
    expect(iso(events[1] as LogEvent)).toBe('2016-10-25T12:49:34.000Z');
  });

  test('ALB: client without its port, the load balancer status, absolute-form request, WAF answers', async () => {
    const { events } = await read('alb.log');
    expect(events[1]).toMatchObject({ ip: '1.2.3.4', method: 'GET', path: '/robots.txt', status: 200, bytes: 57, userAgent: 'curl/7.46.0' });
    expect(iso(events[1] as LogEvent)).toBe('2023-04-26T12:23:00.186Z');
    // A WAF fixed response: no target, -1 timings, the status is the load balancer's.
    expect(events[4]).toMatchObject({ ip: '2.3.4.5', path: '/.awscfg', status: 404, userAgent: '${jndi:ldap://${java:version}.domain/a}' });
  });

  test('CloudFront: columns from #Fields, percent-encoded user agent, IPv6 client, status 000 said for what it is', async () => {
    const { events, malformed } = await read('cloudfront.log');
    expect(events[0]).toMatchObject({ ip: '89.160.20.112', method: 'GET', path: '/index.html', status: 200, host: 'd111111abcdef8.cloudfront.net', protocol: 'HTTP/2.0' });
    expect(events[0]?.userAgent).toBe('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/78.0.3904.108 Safari/537.36');
    expect(iso(events[0] as LogEvent)).toBe('2019-12-04T21:02:31.000Z');
    expect(events[1]?.ip).toBe('2a02:cf40:add:4002:91f2:a9b2:e09a:6fc6');
    expect(events[3]).toMatchObject({ method: 'POST', query: 'source=global', referer: 'https://test.com/global' });
    expect(malformed).toEqual([expect.objectContaining({ line: 7, reason: expect.stringMatching(/status 000: the viewer closed the connection/) })]);
    // One column short (its last record): still read.
    expect(events[events.length - 1]).toMatchObject({ path: '/en(test)', status: 404 });
  });

  test('a #Fields line that reorders the columns is followed', () => {
    const f = resolveAccessFormat('cloudfront');
    f.header?.('#Fields: c-ip date time sc-status cs-uri-stem cs-method');
    const e = f.parse('192.0.2.9\t2026-11-20\t08:00:01\t401\t/admin\tPOST', 'x', 1) as LogEvent;
    expect(e).toMatchObject({ ip: '192.0.2.9', status: 401, path: '/admin', method: 'POST' });
  });

  test('nginx JSON: an object where a string was expected is skipped, not a failed line (user_agent.original)', () => {
    const parse = resolveAccessFormat('json').parse;
    const e = parse('{"time_iso8601":"2026-11-20T09:10:00+01:00","remote_addr":"203.0.113.7","request":"POST /login HTTP/1.1","status":401,"user_agent":{"original":"curl/8.5.0","name":"curl"}}', 'j', 1) as LogEvent;
    expect(e).toMatchObject({ ip: '203.0.113.7', status: 401, userAgent: 'curl/8.5.0' });
  });
});
