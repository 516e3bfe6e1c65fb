/**
 * SMTP through nodemailer: the transport from the config (password from an environment variable
 * or a file, never from the config itself), and what a failure means — retry later, or refused
 * for good — in one line an operator can act on.
 */
import { promises as fs } from 'node:fs';
import nodemailer from 'nodemailer';
import { z } from 'zod';
import type { SmtpConfig } from '../config/schema';
import { durationMs } from '../rules/compile';
import { UsageError } from '../errors';

/** An email as queued: everything nodemailer needs, fixed when it is composed so a retry sends the same message. */
export const MailSchema = z.object({
  from: z.string(),
  to: z.array(z.string()),
  subject: z.string(),
  text: z.string(),
  html: z.string(),
  date: z.string(),
  messageId: z.string(),
  headers: z.record(z.string(), z.string()),
});
export type Mail = z.infer<typeof MailSchema>;

/** The fields of nodemailer's errors that decide what to do. */
interface SmtpFailure {
  message: string;
  code?: string;
  command?: string;
  response?: string;
  responseCode?: number;
  permanent?: boolean;
  originalCode?: string;
}

export interface SendResult {
  response: string;
  accepted: string[];
  rejected: string[];
}

export interface SmtpSender {
  send(mail: Mail): Promise<SendResult>;
  verify(): Promise<void>;
  close(): void;
}

/** Reads the password at start and on reload; a missing variable or file is a config error, and the value never leaves here. */
export async function smtpPassword(smtp: SmtpConfig): Promise<string | undefined> {
  const auth = smtp.auth;
  if (!auth) return undefined;
  if (auth.pass_env !== undefined) {
    const v = process.env[auth.pass_env];
    if (v === undefined || v === '') throw new UsageError(`email.smtp.auth.pass_env: the environment variable ${auth.pass_env} is not set`);
    return v;
  }
  try {
    return (await fs.readFile(auth.pass_file as string, 'utf8')).replace(/\r?\n$/, '');
  } catch (e) {
    throw new UsageError(`email.smtp.auth.pass_file: cannot read ${auth.pass_file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

export function portOf(smtp: SmtpConfig): number {
  return smtp.port ?? (smtp.secure ? 465 : 587);
}

export async function createSmtpSender(smtp: SmtpConfig): Promise<SmtpSender> {
  const pass = await smtpPassword(smtp);
  const timeout = durationMs(smtp.timeout ?? '10s');
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: portOf(smtp),
    secure: smtp.secure ?? false,
    requireTLS: smtp.starttls === 'required',
    ignoreTLS: smtp.starttls === 'never',
    tls: { rejectUnauthorized: smtp.tls_verify ?? true },
    auth: smtp.auth ? { user: smtp.auth.user, pass } : undefined,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout * 3,
  });
  return {
    async send(mail) {
      const info = await transport.sendMail({
        from: mail.from,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        date: new Date(mail.date),
        messageId: mail.messageId,
        headers: mail.headers,
        // Our text is already what we want to say: no remote resources, nothing to fetch.
        disableFileAccess: true,
        disableUrlAccess: true,
      });
      return { response: String(info.response ?? ''), accepted: (info.accepted ?? []).map(String), rejected: (info.rejected ?? []).map(String) };
    },
    async verify() {
      await transport.verify();
    },
    close() {
      transport.close();
    },
  };
}

/** Refused for good (a 5xx for the sender, a recipient or the message): retrying sends the same refusal. */
export function isPermanentRejection(e: unknown): boolean {
  const f = e as SmtpFailure;
  // A refused login or missing credentials is the config's fault, not the message's: keep it queued and say so loudly.
  if (f.code === 'EAUTH' || f.code === 'ENOAUTH') return false;
  return f.permanent === true;
}

/** One line: what failed, where, and what to check. Never contains the password (nodemailer does not echo it). */
export function diagnose(e: unknown, smtp: SmtpConfig): string {
  const f = e as SmtpFailure;
  const where = `${smtp.host}:${portOf(smtp)}`;
  const server = f.response ? ` (server said: ${f.response.replace(/\s+/g, ' ').slice(0, 200)})` : '';
  const cause = f.originalCode ?? f.code ?? '';
  if (cause === 'ECONNREFUSED') return `cannot connect to ${where}: connection refused; is the SMTP server running, and are email.smtp.host and email.smtp.port right?`;
  if (f.code === 'EDNS' || cause === 'ENOTFOUND' || cause === 'EAI_AGAIN') return `cannot resolve the SMTP host ${smtp.host}; check email.smtp.host`;
  if (f.code === 'ETIMEDOUT') return `no answer from ${where} in time (${smtp.timeout ?? '10s'}); a firewall, or the wrong port (465 needs secure: true)`;
  if (f.code === 'EAUTH') return `the server at ${where} refused the login for user ${smtp.auth?.user ?? '(none)'}${server}; check email.smtp.auth.user and the password in ${smtp.auth?.pass_env ? `$${smtp.auth.pass_env}` : (smtp.auth?.pass_file ?? 'the password source')}`;
  if (f.code === 'ENOAUTH') return `the server at ${where} requires a login; add email.smtp.auth`;
  if (f.code === 'ETLS') return `TLS with ${where} failed: ${f.message}; check email.smtp.secure / starttls / tls_verify`;
  if (f.code === 'EENVELOPE') return `the server at ${where} refused the sender or a recipient${server}; check email.from and email.to`;
  if (f.code === 'EMESSAGE') return `the server at ${where} refused the message${server}`;
  if (f.code === 'ECONNECTION' || f.code === 'ESOCKET') return `the connection to ${where} failed: ${f.message}`;
  return `sending through ${where} failed: ${f.message}${server}`;
}
