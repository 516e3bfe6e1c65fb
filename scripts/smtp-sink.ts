/**
 * A local SMTP server that prints each email it receives (subject and text part) and keeps nothing:
 * for trying email alerts without a mail server. `npx tsx scripts/smtp-sink.ts [port]` (default 2525,
 * on 127.0.0.1 only).
 */
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';

const port = Number(process.argv[2] ?? 2525);
const server = new SMTPServer({
  logger: false,
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  onData(stream, _session, done) {
    simpleParser(stream).then(
      (mail) => {
        process.stdout.write(`\n===== ${mail.date?.toISOString() ?? ''} to ${[mail.to].flat().map((t) => t?.text).join(', ')}\nSubject: ${mail.subject ?? ''}\n\n${mail.text ?? ''}\n`);
        done();
      },
      (e: Error) => done(e),
    );
  },
});
server.listen(port, '127.0.0.1', () => process.stderr.write(`smtp-sink: listening on 127.0.0.1:${port}\n`));
