/**
 * Email alerts: grouping (Alertmanager-style), a rate limit whose overflow folds into a digest, and
 * the durable outbox with retries. Order of writes makes a crash at any point safe:
 *   1. an alert transition is persisted in email.json before the daemon checkpoints it as announced;
 *   2. a due group is composed into an outbox file (id = group + sequence number) before email.json
 *      records it as sent — after a crash in between, the same id is composed again, not a second email;
 *   3. the outbox file is removed only after the server accepted the message (a crash in between
 *      sends it again with the same Message-ID, so the mail client sees one message).
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import type { EmailConfig } from '../config/schema';
import type { Alert } from '../daemon/outputs';
import { durationMs } from '../rules/compile';
import { writeFileAtomic } from '../fs/atomic';
import { Grouper, GroupStateSchema, type GroupFlush, type GroupingPolicy } from './grouping';
import { Outbox, QueuedSchema } from './outbox';
import { Dispatcher, RoundLoop, type DispatchLog, type Integration, type RetryPolicy } from './retry';
import type { QueueStats } from './queue';
import { renderDigest, renderGroup, type RenderedEmail, type RenderOptions } from './render';
import { diagnose, isPermanentRejection, MailSchema, portOf, type Mail, type SmtpSender } from './smtp';

export const EmailEntrySchema = QueuedSchema.extend({ mail: MailSchema });
export type EmailEntry = z.infer<typeof EmailEntrySchema>;

const HOUR = 3_600_000;

const EmailStateSchema = z.object({
  version: z.literal(1),
  seq: z.number().int().min(0),
  groups: z.record(z.string(), GroupStateSchema),
  /** When each email of the last hour was composed: the rate limit's memory. */
  composedAt: z.array(z.number()),
});
type EmailState = z.infer<typeof EmailStateSchema>;

export type NotifierLog = DispatchLog;

export interface EmailStats {
  queued: number;
  sent: number;
  failedAttempts: number;
  deadLetters: number;
  digests: number;
}

function policyOf(c: EmailConfig): GroupingPolicy {
  return {
    groupBy: c.group_by ?? ['rule'],
    groupWaitMs: durationMs(c.group_wait ?? '30s'),
    groupIntervalMs: durationMs(c.group_interval ?? '5m'),
    repeatIntervalMs: durationMs(c.repeat_interval ?? '4h'),
    sendResolved: c.send_resolved ?? true,
    minSeverity: c.min_severity ?? 'low',
  };
}

export function renderOptionsOf(c: EmailConfig): RenderOptions {
  return { subjectPrefix: c.subject_prefix ?? '[authwatch]', timeZone: c.timezone ?? 'UTC', sampleLines: c.sample_lines ?? 5 };
}

/** The domain part of a Message-ID: the sender's domain, reduced to what a header may hold. */
export function messageDomain(from: string): string {
  const m = /@([A-Za-z0-9.-]+)/.exec(from);
  return m?.[1] ?? (os.hostname().replace(/[^A-Za-z0-9.-]/g, '') || 'authwatch.local');
}

export function retryPolicyOf(c: EmailConfig): RetryPolicy {
  return { initialMs: durationMs(c.retry?.initial ?? '5s'), maxMs: durationMs(c.retry?.max ?? '10m') };
}

/** The send stage for email: one message an attempt through nodemailer, its failures diagnosed in one line. */
function smtpIntegration(config: EmailConfig, sender: SmtpSender, log: NotifierLog): Integration<EmailEntry> {
  return {
    what: 'email',
    batchSize: 1,
    async send([entry]) {
      try {
        const res = await sender.send((entry as EmailEntry).mail);
        if (res.rejected.length > 0) log.error({ id: entry?.id, rejected: res.rejected }, 'the SMTP server refused some recipients; the others got the email');
        return { ok: true, response: res.response };
      } catch (e) {
        return { ok: false, retry: !isPermanentRejection(e), reason: diagnose(e, config.smtp) };
      }
    },
    acceptedFields: (entry, attempt) => ({ messageId: entry.mail.messageId, response: attempt.response, server: `${config.smtp.host}:${portOf(config.smtp)}` }),
  };
}

export class EmailNotifier {
  private readonly file: string;
  private readonly outbox: Outbox<EmailEntry>;
  private readonly dispatcher: Dispatcher<EmailEntry>;
  private grouper!: Grouper;
  private state!: EmailState;
  private readonly loop: RoundLoop;
  private rateLimitSaid = false;
  private outboxFullSaid = false;
  private digests = 0;

  private outboxMax: number;
  private readonly onLimit: () => void;

  constructor(
    private config: EmailConfig,
    private sender: SmtpSender,
    stateDir: string,
    private readonly log: NotifierLog,
    opts: { outboxMax?: number; onLimit?: () => void; tickMs?: number } = {},
  ) {
    this.outboxMax = opts.outboxMax ?? 1000;
    this.onLimit = opts.onLimit ?? (() => undefined);
    this.loop = new RoundLoop((now) => this.round(now), opts.tickMs ?? 250);
    this.file = path.join(stateDir, 'email.json');
    this.outbox = new Outbox(path.join(stateDir, 'outbox'), EmailEntrySchema);
    // Ticked by this notifier's own loop, right after composing, so a composed email goes out in the same round.
    this.dispatcher = new Dispatcher(this.outbox, smtpIntegration(config, sender, log), retryPolicyOf(config), log, {});
  }

  /** What /metrics shows; `queued` is whatever the outbox holds now. */
  get stats(): EmailStats {
    const s = this.dispatcher.stats;
    return { queued: s.queued, sent: s.sent, failedAttempts: s.failedAttempts, deadLetters: s.deadLetters, digests: this.digests };
  }

  /** The figures every queued output reports (authwatch_output_*). */
  get queueStats(): QueueStats {
    return { output: 'email', target: `${this.config.smtp.host}:${portOf(this.config.smtp)}`, ...this.dispatcher.stats, dropped: 0 };
  }

  async start(): Promise<void> {
    await this.outbox.init((m) => this.log.warn({}, m));
    this.state = await this.load();
    this.grouper = new Grouper(policyOf(this.config), new Map(Object.entries(this.state.groups)));
    if (this.outbox.size > 0) this.log.info({ queued: this.outbox.size, dir: this.outbox.dir }, 'emails left in the outbox by the previous run: sending them');
    this.loop.start();
  }

  /** A SIGHUP with a changed email section: new policy and transport, same queue. */
  reconfigure(config: EmailConfig, sender: SmtpSender, outboxMax = this.outboxMax): void {
    this.sender.close();
    this.outboxMax = outboxMax;
    this.config = config;
    this.sender = sender;
    this.grouper.setPolicy(policyOf(config));
    this.dispatcher.reconfigure(smtpIntegration(config, sender, this.log), retryPolicyOf(config));
  }

  /** Persisted before returning: the daemon checkpoints these alerts as announced right after. */
  async accept(alerts: Alert[]): Promise<void> {
    const now = Date.now();
    let changed = false;
    for (const a of alerts) changed = this.grouper.accept(a, now) || changed;
    if (changed) await this.save();
  }

  /** Stops the loop once the current round is done; what is queued stays in the outbox for the next start. */
  async stop(): Promise<void> {
    await this.loop.stop();
    await this.dispatcher.stop();
    this.sender.close();
    if (this.outbox.size > 0) this.log.warn({ queued: this.outbox.size, dir: this.outbox.dir }, 'emails still in the outbox: they are sent at the next start');
  }

  /** One round now (tests and shutdown use it; the loop calls it every tick). */
  tick(now?: number): Promise<void> {
    return this.loop.tick(now);
  }

  private async round(now: number): Promise<void> {
    try {
      await this.compose(now);
    } catch (e) {
      // Disk full, permissions: said every round until fixed, never a crash of the daemon.
      this.log.error({ error: (e as Error).message }, 'email notifier round failed');
    }
    await this.dispatcher.tick(now);
  }

  private async compose(now: number): Promise<void> {
    let due = this.grouper.due(now);
    if (due.length === 0) return;
    // A bounded queue: past it, alerts wait in their groups (also bounded) and go out as it drains.
    const room = this.outboxMax - this.outbox.size;
    if (due.length > room) {
      if (!this.outboxFullSaid) {
        this.onLimit();
        this.log.error({ queued: this.outbox.size, outboxMax: this.outboxMax, waiting: due.length - Math.max(0, room) }, 'email outbox full (limits.outbox_max): new alerts wait in their groups until it drains');
      }
      this.outboxFullSaid = true;
      if (room <= 0) return;
      due = due.slice(0, room);
    } else this.outboxFullSaid = false;
    const limit = this.config.max_per_hour ?? 20;
    this.state.composedAt = this.state.composedAt.filter((t) => now - t < HOUR);
    const budget = limit - this.state.composedAt.length;
    if (budget <= 0) {
      if (!this.rateLimitSaid) this.log.warn({ limit, waiting: due.length }, 'email rate limit reached: alerts wait for the next digest');
      this.rateLimitSaid = true;
      return;
    }
    this.rateLimitSaid = false;
    const single = due.length <= budget ? due : due.slice(0, budget - 1);
    const folded = due.length <= budget ? [] : due.slice(budget - 1);
    const o = renderOptionsOf(this.config);
    for (const f of single) await this.enqueue([f], renderGroup(f, o), now);
    if (folded.length > 0) {
      await this.enqueue(folded, renderDigest(folded, limit, o), now);
      this.digests++;
      this.log.warn({ groups: folded.length, limit }, 'email rate limit: alerts folded into one digest');
    }
    await this.save();
  }

  private async enqueue(flushes: GroupFlush[], r: RenderedEmail, now: number): Promise<void> {
    const first = flushes[0] as GroupFlush;
    const id = `${String(this.state.seq).padStart(8, '0')}-${flushes.length === 1 ? first.key : 'digest'}`;
    const messageId = `<authwatch.${id}@${messageDomain(this.config.from)}>`;
    const headers: Record<string, string> = { 'X-Authwatch-Group': flushes.length === 1 ? first.key : 'digest' };
    if (flushes.length === 1 && first.threadId) {
      headers['In-Reply-To'] = first.threadId;
      headers['References'] = first.threadId;
    }
    const mail: Mail = { from: this.config.from, to: this.config.to, subject: r.subject, text: r.text, html: r.html, date: new Date(now).toUTCString(), messageId, headers };
    const entry: EmailEntry = { id, createdAt: new Date(now).toISOString(), attempts: 0, nextAttemptAt: now, lastError: null, mail };
    await this.outbox.put(entry);
    for (const f of flushes) this.grouper.markSent(f.key, now, messageId);
    this.state.seq++;
    this.state.composedAt.push(now);
    this.log.info({ id, subject: r.subject }, 'email queued');
  }

  private async load(): Promise<EmailState> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch {
      return { version: 1, seq: 0, groups: {}, composedAt: [] };
    }
    try {
      return EmailStateSchema.parse(JSON.parse(text));
    } catch (e) {
      this.log.error({ file: this.file }, `not a valid email state (${(e as Error).message.split('\n')[0]}); starting with no pending groups (the outbox is kept)`);
      return { version: 1, seq: Date.now(), groups: {}, composedAt: [] };
    }
  }

  private async save(): Promise<void> {
    this.state.groups = Object.fromEntries(this.grouper.groups);
    await writeFileAtomic(this.file, JSON.stringify(this.state));
  }
}
