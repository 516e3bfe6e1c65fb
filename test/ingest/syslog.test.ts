/** Syslog parsing (RFC 3164 as nginx sends it, RFC 5424 as rsyslog/logger send it) and the listener over real sockets on 127.0.0.1. */
import dgram from 'node:dgram';
import net from 'node:net';
import { parseSyslog, SyslogServer, type SyslogMessage, type DropReason } from '../../src/ingest/syslog';
import { waitFor } from '../support/daemon';

const ACCESS = '198.51.100.7 - admin [23/Nov/2026:05:11:49 +0000] "GET /login HTTP/1.1" 401 179 "-" "curl/8.5.0"';

describe('parseSyslog', () => {
  test.each([
    ['nginx (RFC 3164 with host)', `<190>Nov 23 05:11:49 web-1 nginx: ${ACCESS}`, { host: 'web-1', tag: 'nginx', text: ACCESS }],
    ['nginx nohostname', `<190>Nov  3 05:11:49 nginx: ${ACCESS}`, { host: '10.0.0.9', tag: 'nginx', text: ACCESS }],
    ['nginx at start-up (empty host)', `<189>Nov 23 05:15:12  nginx_error: 2026/11/23 05:15:12 [notice] 1#1: nginx/1.22.1`, { host: '10.0.0.9', tag: 'nginx_error', text: '2026/11/23 05:15:12 [notice] 1#1: nginx/1.22.1' }],
    ['logger with pid', `<13>Nov 23 05:11:49 web-2 apache[4242]: ${ACCESS}`, { host: 'web-2', tag: 'apache', text: ACCESS }],
    ['RFC 5424, nil SD', `<165>1 2026-11-23T05:11:49.003Z web-3 apache 4242 - - ${ACCESS}`, { host: 'web-3', tag: 'apache', text: ACCESS }],
    ['RFC 5424, SD with escaped ]', `<165>1 2026-11-23T05:11:49Z web-4 nginx - ID47 [ex@32473 a="x\\]y"][b@1 c="d"] \ufeff${ACCESS}`, { host: 'web-4', tag: 'nginx', text: ACCESS }],
  ])('%s', (_name, raw, expected) => {
    expect(parseSyslog(raw, '10.0.0.9')).toEqual({ ...expected, sender: '10.0.0.9' });
  });

  test.each([['no PRI', ACCESS], ['PRI out of range', '<999>Nov 23 05:11:49 h t: x'], ['no timestamp', '<13>hello'], ['5424 cut short', '<13>1 2026-11-23T05:11:49Z host']])('%s is malformed', (_n, raw) => {
    expect(parseSyslog(raw, '10.0.0.9')).toEqual({ reason: expect.any(String) });
  });
});

describe('SyslogServer on 127.0.0.1', () => {
  const servers: SyslogServer[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
  });

  async function listen(protocol: 'udp' | 'tcp', allowed: (ip: string) => boolean = () => true, max = 1024, maxConnections = 256) {
    const got: SyslogMessage[] = [];
    const dropped: Array<[DropReason, string]> = [];
    const errors: Error[] = [];
    const server = new SyslogServer(
      { protocol, bind: '127.0.0.1', port: 0, maxMessageBytes: max, receiveBufferBytes: 1 << 20, maxConnections, allowed },
      { message: (m) => got.push(m), dropped: (r, _s, d) => dropped.push([r, d]), error: (e) => errors.push(e) },
    );
    servers.push(server);
    const port = await server.start();
    return { port, got, dropped, server, errors };
  }

  test('UDP: one message per datagram; oversized and malformed ones counted, not delivered; kernel drops readable', async () => {
    const { port, got, dropped, server } = await listen('udp');
    const client = dgram.createSocket('udp4');
    const send = (s: string) => new Promise<void>((r) => client.send(Buffer.from(s, 'latin1'), port, '127.0.0.1', () => r()));
    await send(`<190>Nov 23 05:11:49 web-1 nginx: ${ACCESS}\n`);
    await send('not syslog');
    await send(`<190>Nov 23 05:11:49 web-1 nginx: ${'x'.repeat(2000)}`);
    await waitFor(() => (got.length + dropped.length >= 3 ? true : undefined), 5000, () => JSON.stringify({ got, dropped }));
    client.close();
    expect(got.map((m) => [m.host, m.tag, m.text, m.sender])).toEqual([['web-1', 'nginx', ACCESS, '127.0.0.1']]);
    expect(dropped.map(([r]) => r).sort()).toEqual(['malformed', 'over_limit']);
    expect(await server.kernelDrops()).toBe(0);
  });

  test('TCP: octet counting and newline framing on one connection, split anywhere; an over-limit frame is skipped exactly', async () => {
    const { port, got, dropped } = await listen('tcp');
    const m1 = `<165>1 2026-11-23T05:11:49Z web-3 apache - - - ${ACCESS}`;
    const big = `<165>1 2026-11-23T05:11:49Z web-3 apache - - - ${'y'.repeat(3000)}`;
    const m2 = `<13>Nov 23 05:11:50 web-2 apache: ${ACCESS}`;
    const stream = `${Buffer.byteLength(m1)} ${m1}${Buffer.byteLength(big)} ${big}${Buffer.byteLength(m1)} ${m1}${m2}\n${m2}\n`;
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((r) => socket.once('connect', () => r()));
    for (let i = 0; i < stream.length; i += 37) socket.write(stream.slice(i, i + 37));
    await waitFor(() => (got.length >= 4 ? true : undefined), 5000, () => JSON.stringify({ got: got.length, dropped }));
    socket.end();
    expect(got.map((m) => [m.host, m.text])).toEqual([['web-3', ACCESS], ['web-3', ACCESS], ['web-2', ACCESS], ['web-2', ACCESS]]);
    expect(dropped).toEqual([['over_limit', `${Buffer.byteLength(big)} bytes`]]);
  });

  test('TCP: connections past max_connections are refused and counted; the others keep working', async () => {
    const { port, got, dropped, errors } = await listen('tcp', () => true, 1024, 2);
    const open = async () => {
      const s = net.connect(port, '127.0.0.1');
      await new Promise<void>((r) => s.once('connect', () => r()));
      return s;
    };
    const [a, b] = [await open(), await open()];
    const c = await open();
    const closed = new Promise<void>((r) => c.once('close', () => r()));
    c.on('error', () => undefined);
    await waitFor(() => (dropped.length > 0 ? true : undefined), 5000, () => 'nothing dropped');
    await closed;
    a.write(`<13>Nov 23 05:11:50 web-2 apache: ${ACCESS}\n`);
    b.write(`<13>Nov 23 05:11:50 web-3 apache: ${ACCESS}\n`);
    await waitFor(() => (got.length >= 2 ? true : undefined), 5000, () => JSON.stringify(got));
    a.end();
    b.end();
    expect(dropped).toEqual([['connection_limit', 'over 2 connections']]);
    expect(got.map((m) => m.host).sort()).toEqual(['web-2', 'web-3']);
    expect(errors).toEqual([]);
  });

  test('a sender outside allowed_senders is dropped and counted', async () => {
    const { port, got, dropped } = await listen('udp', (ip) => ip.startsWith('10.'));
    const client = dgram.createSocket('udp4');
    await new Promise<void>((r) => client.send(`<190>Nov 23 05:11:49 web-1 nginx: ${ACCESS}`, port, '127.0.0.1', () => r()));
    await waitFor(() => (dropped.length > 0 ? true : undefined), 5000, () => 'nothing dropped');
    client.close();
    expect(got).toEqual([]);
    expect(dropped).toEqual([['sender_not_allowed', 'not in allowed_senders']]);
  });
});
