/** `authwatch email test`: one message through the configured server, and a one-line verdict. */
import os from 'node:os';
import type { EmailConfig } from '../config/schema';
import { messageDomain, renderOptionsOf } from './email';
import { renderTest } from './render';
import { createSmtpSender, diagnose, portOf } from './smtp';

export async function sendTestEmail(email: EmailConfig): Promise<{ ok: boolean; line: string }> {
  const sender = await createSmtpSender(email.smtp);
  const where = `${email.smtp.host}:${portOf(email.smtp)}`;
  try {
    await sender.verify();
    const r = renderTest(renderOptionsOf(email), os.hostname());
    const messageId = `<authwatch.test.${Date.now()}@${messageDomain(email.from)}>`;
    const res = await sender.send({ from: email.from, to: email.to, subject: r.subject, text: r.text, html: r.html, date: new Date().toUTCString(), messageId, headers: {} });
    const refused = res.rejected.length > 0 ? `; refused: ${res.rejected.join(', ')}` : '';
    return { ok: res.rejected.length === 0, line: `sent through ${where} to ${res.accepted.join(', ')}${refused}; the server said: ${res.response}` };
  } catch (e) {
    return { ok: false, line: `email test failed: ${diagnose(e, email.smtp)}` };
  } finally {
    sender.close();
  }
}
