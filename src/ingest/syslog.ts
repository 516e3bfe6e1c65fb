/**
 * Syslog input, so one authwatch sees a fleet: Nginx's native `access_log syslog:server=…` (UDP, RFC
 * 3164, one line per datagram) and rsyslog/logger forwarding (RFC 5424 or 3164, over UDP or TCP with
 * octet counting or newline framing). Each message yields the log line it carries and the sending
 * host. Bounded: a maximum message size, a receive buffer, and counters for what is dropped and why
 * (sender not allowed, over the size limit, not syslog) — UDP loss in the kernel is read from
 * /proc/net/udp, so it is reported, never hidden.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { promises as fs } from 'node:fs';

export interface SyslogMessage {
  /** HOSTNAME from the header, or the sender's address when the header has none (nginx `nohostname`). */
  host: string;
  /** APP-NAME / TAG (e.g. "nginx"): with the host, it names one stream of lines of one format. */
  tag: string;
  text: string;
  sender: string;
}

export type DropReason = 'sender_not_allowed' | 'over_limit' | 'malformed' | 'connection_limit';

const MONTHS = 'JanFebMarAprMayJunJulAugSepOctNovDec';

/** `<PRI>` then RFC 5424 (`1 TIMESTAMP HOST APP PROCID MSGID SD MSG`) or RFC 3164 (`Mmm dd hh:mm:ss HOST TAG: MSG`). */
export function parseSyslog(raw: string, sender: string): SyslogMessage | { reason: string } {
  const m = /^<(\d{1,3})>/.exec(raw);
  if (!m || Number(m[1]) > 191) return { reason: 'no <PRI> header' };
  return parseSyslogBody(raw.slice(m[0].length), sender);
}

const ISO_STAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d) /;

/**
 * A syslog message after its `<PRI>` (or a line as rsyslog or journalctl write it to a file, which has
 * none): RFC 5424, RFC 3164, or 3164 with an RFC 3339 timestamp (rsyslog's RSYSLOG_FileFormat and
 * RSYSLOG_ForwardFormat, `journalctl -o short-iso`).
 */
export function parseSyslogBody(body: string, sender: string): SyslogMessage | { reason: string } {
  let rest = body;
  if (/^1 /.test(rest)) {
    // RFC 5424: fields separated by single spaces; '-' is nil.
    const f = /^1 (\S+) (\S+) (\S+) (\S+) (\S+) /.exec(rest);
    if (!f) return { reason: 'RFC 5424 header incomplete' };
    rest = rest.slice(f[0].length);
    if (rest.startsWith('-')) rest = rest.slice(rest.startsWith('- ') ? 2 : 1);
    else if (rest.startsWith('[')) {
      // Structured data: skip [..] blocks, honouring \] escapes.
      let i = 0;
      while (rest[i] === '[') {
        i++;
        while (i < rest.length && rest[i] !== ']') i += rest[i] === '\\' ? 2 : 1;
        i++;
      }
      rest = rest.slice(rest[i] === ' ' ? i + 1 : i);
    } else return { reason: 'RFC 5424 structured data malformed' };
    if (rest.startsWith('\ufeff')) rest = rest.slice(1);
    return { host: f[2] === '-' ? sender : (f[2] as string), tag: f[3] === '-' ? '' : (f[3] as string), text: rest, sender };
  }
  // RFC 3164: "Mmm dd hh:mm:ss " (day space-padded), or an RFC 3339 timestamp in its place.
  const t = /^([A-Z][a-z]{2}) ([ \d]\d) (\d\d:\d\d:\d\d) /.exec(rest);
  if (t && MONTHS.indexOf(t[1] as string) % 3 === 0) rest = rest.slice(t[0].length);
  else {
    const iso = ISO_STAMP.exec(rest);
    if (!iso) return { reason: 'RFC 3164 timestamp missing' };
    rest = rest.slice(iso[0].length);
  }
  // Then HOST TAG: or, without a host name, TAG: directly (nginx sends an empty host before its
  // hostname is known: "05:15:12  nginx_error: …").
  if (rest.startsWith(' ')) rest = rest.replace(/^ +/, '');
  const tagOnly = /^([^\s:[\]]+)(?:\[\d+\])?: ?/.exec(rest);
  if (tagOnly) return { host: sender, tag: tagOnly[1] as string, text: rest.slice(tagOnly[0].length), sender };
  const hostTag = /^(\S+) ([^\s:[\]]+)(?:\[\d+\])?: ?/.exec(rest);
  if (!hostTag) return { reason: 'RFC 3164 tag missing' };
  return { host: hostTag[1] as string, tag: hostTag[2] as string, text: rest.slice(hostTag[0].length), sender };
}

export interface SyslogServerOptions {
  protocol: 'udp' | 'tcp';
  bind: string;
  port: number;
  maxMessageBytes: number;
  receiveBufferBytes: number;
  /** TCP: connections at once; each holds up to a message of buffer, so this bounds memory too. */
  maxConnections: number;
  allowed: (ip: string) => boolean;
}

export interface SyslogHandlers {
  message(m: SyslogMessage): void;
  dropped(reason: DropReason, sender: string, detail: string): void;
  /** A socket error after the listener started (it keeps listening when it can). */
  error(e: Error): void;
}

/** Strips the IPv4-mapped prefix Node gives on dual-stack sockets. */
function senderOf(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

export class SyslogServer {
  private udp: dgram.Socket | null = null;
  private tcp: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  constructor(
    private readonly opts: SyslogServerOptions,
    private readonly on: SyslogHandlers,
  ) {}

  async start(): Promise<number> {
    const o = this.opts;
    if (o.protocol === 'udp') {
      const s = dgram.createSocket({ type: net.isIPv6(o.bind) ? 'udp6' : 'udp4', recvBufferSize: o.receiveBufferBytes });
      this.udp = s;
      s.on('message', (buf, rinfo) => this.datagram(buf, senderOf(rinfo.address)));
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.bind(o.port, o.bind, () => resolve());
      });
      s.removeAllListeners('error');
      s.on('error', (e) => this.on.error(e));
      this.port = s.address().port;
    } else {
      const server = net.createServer((socket) => this.connection(socket));
      this.tcp = server;
      server.maxConnections = o.maxConnections;
      server.on('drop', (d) => this.on.dropped('connection_limit', senderOf(d?.remoteAddress ?? ''), `over ${o.maxConnections} connections`));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(o.port, o.bind, () => resolve());
      });
      server.removeAllListeners('error');
      server.on('error', (e) => this.on.error(e));
      this.port = (server.address() as net.AddressInfo).port;
    }
    return this.port;
  }

  private deliver(raw: string, sender: string): void {
    const m = parseSyslog(raw.replace(/\r?\n$/, ''), sender);
    if ('reason' in m) this.on.dropped('malformed', sender, m.reason);
    else this.on.message(m);
  }

  private datagram(buf: Buffer, sender: string): void {
    if (!this.opts.allowed(sender)) return this.on.dropped('sender_not_allowed', sender, 'not in allowed_senders');
    if (buf.length > this.opts.maxMessageBytes) return this.on.dropped('over_limit', sender, `${buf.length} bytes`);
    // latin1, like the file reader: one char per byte, nothing rejected as invalid UTF-8.
    this.deliver(buf.toString('latin1'), sender);
  }

  /** TCP: octet counting ("LEN SP MSG") when a frame starts with a digit, newline framing otherwise (RFC 6587). */
  private connection(socket: net.Socket): void {
    const sender = senderOf(socket.remoteAddress ?? '');
    if (!this.opts.allowed(sender)) {
      this.on.dropped('sender_not_allowed', sender, 'not in allowed_senders');
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const max = this.opts.maxMessageBytes;
    let buf: Buffer = Buffer.alloc(0);
    let skip = 0; // bytes of an over-limit frame still to discard
    let discardToNewline = false;
    socket.on('data', (chunk: Buffer) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      for (;;) {
        if (skip > 0) {
          const n = Math.min(skip, buf.length);
          buf = buf.subarray(n);
          skip -= n;
          if (skip > 0) return;
        }
        if (discardToNewline) {
          const nl = buf.indexOf(0x0a);
          if (nl === -1) {
            buf = Buffer.alloc(0);
            return;
          }
          buf = buf.subarray(nl + 1);
          discardToNewline = false;
        }
        if (buf.length === 0) return;
        const first = buf[0] as number;
        if (first >= 0x30 && first <= 0x39) {
          const sp = buf.indexOf(0x20);
          if (sp === -1) {
            if (buf.length > 10) {
              this.on.dropped('malformed', sender, 'octet count without a space');
              socket.destroy();
            }
            return;
          }
          const len = Number(buf.subarray(0, sp).toString('latin1'));
          if (!Number.isInteger(len) || sp > 10) {
            this.on.dropped('malformed', sender, 'bad octet count');
            socket.destroy();
            return;
          }
          if (len > max) {
            this.on.dropped('over_limit', sender, `${len} bytes`);
            buf = buf.subarray(sp + 1);
            skip = len;
            continue;
          }
          if (buf.length < sp + 1 + len) return;
          this.deliver(buf.subarray(sp + 1, sp + 1 + len).toString('latin1'), sender);
          buf = buf.subarray(sp + 1 + len);
          continue;
        }
        const nl = buf.indexOf(0x0a);
        if (nl === -1) {
          if (buf.length > max) {
            this.on.dropped('over_limit', sender, `over ${max} bytes without a newline`);
            buf = Buffer.alloc(0);
            discardToNewline = true;
          }
          return;
        }
        if (nl > max) this.on.dropped('over_limit', sender, `${nl} bytes`);
        else this.deliver(buf.subarray(0, nl).toString('latin1'), sender);
        buf = buf.subarray(nl + 1);
      }
    });
  }

  /** Datagrams the kernel dropped on this socket (receive buffer full), from /proc/net/udp[6]; null where unknown. */
  async kernelDrops(): Promise<number | null> {
    if (!this.udp) return null;
    const hexPort = this.port.toString(16).toUpperCase().padStart(4, '0');
    let total: number | null = null;
    for (const file of ['/proc/net/udp', '/proc/net/udp6']) {
      let text: string;
      try {
        text = await fs.readFile(file, 'utf8');
      } catch {
        continue;
      }
      for (const line of text.split('\n').slice(1)) {
        const cols = line.trim().split(/\s+/);
        if (cols[1]?.endsWith(`:${hexPort}`)) total = (total ?? 0) + Number(cols[cols.length - 1]);
      }
    }
    return total;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    if (this.udp) await new Promise<void>((r) => this.udp?.close(() => r()));
    if (this.tcp) await new Promise<void>((r) => this.tcp?.close(() => r()));
  }
}
