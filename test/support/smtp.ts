/**
 * A real SMTP server on 127.0.0.1 (the smtp-server package) that keeps what it receives, parsed
 * with mailparser. It can require a login, refuse recipients for good (550), answer 451 to the first
 * messages, and be stopped and started again on the same port to play "the mail server is down".
 */
import net from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import { waitFor } from './daemon';

export interface TestSmtpOptions {
  auth?: { user: string; pass: string };
  /** Recipients refused with a 550. */
  refuse?: (address: string) => boolean;
  /** Answer 451 (try again later) to this many messages before accepting. */
  transientFailures?: number;
}

export class TestSmtpServer {
  readonly received: ParsedMail[] = [];
  /** Every DATA attempt, accepted or not. */
  attempts = 0;
  private server: SMTPServer | null = null;
  private transientLeft: number;

  private boundPort: number;

  constructor(
    fixedPort: number,
    private readonly opts: TestSmtpOptions = {},
  ) {
    this.transientLeft = opts.transientFailures ?? 0;
    this.boundPort = fixedPort;
  }

  /** The port it listens on (kept across stop and listen: the server comes back where it was). */
  get port(): number {
    return this.boundPort;
  }

  static async start(opts: TestSmtpOptions = {}, port = 0): Promise<TestSmtpServer> {
    const s = new TestSmtpServer(port, opts);
    await s.listen();
    return s;
  }

  async listen(): Promise<void> {
    const o = this.opts;
    const options: SMTPServerOptions = {
      logger: false,
      disabledCommands: o.auth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
      authOptional: !o.auth,
      allowInsecureAuth: true,
      onAuth: (auth, _session, cb) => {
        if (o.auth && auth.username === o.auth.user && auth.password === o.auth.pass) cb(null, { user: auth.username });
        else cb(Object.assign(new Error('Authentication credentials invalid'), { responseCode: 535 }));
      },
      onRcptTo: (address, _session, cb) => {
        if (o.refuse?.(address.address)) cb(Object.assign(new Error(`5.1.1 <${address.address}>: mailbox unavailable`), { responseCode: 550 }));
        else cb();
      },
      onData: (stream, _session, cb) => {
        const chunks: Buffer[] = [];
        stream.on('data', (d: Buffer) => chunks.push(d));
        stream.on('end', () => {
          this.attempts++;
          if (this.transientLeft > 0) {
            this.transientLeft--;
            cb(Object.assign(new Error('4.3.0 try again later'), { responseCode: 451 }));
            return;
          }
          simpleParser(Buffer.concat(chunks)).then(
            (mail) => {
              this.received.push(mail);
              cb();
            },
            (e: Error) => cb(e),
          );
        });
      },
    };
    this.server = new SMTPServer(options);
    await new Promise<void>((resolve, reject) => {
      this.server?.once('error', reject);
      this.server?.listen(this.boundPort, '127.0.0.1', () => resolve());
    });
    this.boundPort = (this.server.server.address() as net.AddressInfo).port;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }

  async waitForMessages(n: number, timeoutMs = 20_000, context: () => string = () => ''): Promise<ParsedMail[]> {
    await waitFor(() => (this.received.length >= n ? true : undefined), timeoutMs, () => `${this.received.length} of ${n} emails arrived\n${this.received.map((m) => m.subject).join('\n')}\n${context()}`);
    return this.received;
  }
}
