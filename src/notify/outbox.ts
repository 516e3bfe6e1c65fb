/**
 * The durable outbox: one file per email, written before the first attempt and removed only once
 * the SMTP server accepted it. nodemailer keeps nothing on disk; this is what makes "never lost"
 * true across SMTP outages and daemon restarts. A message the server refuses for good goes to
 * `dead/` with the server's answer, where an operator can read it.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../fs/atomic';

export const MailSchema = z.object({
  from: z.string(),
  to: z.array(z.string()),
  subject: z.string(),
  text: z.string(),
  html: z.string(),
  /** Fixed when the email is composed, so a retry sends the same message. */
  date: z.string(),
  messageId: z.string(),
  headers: z.record(z.string(), z.string()),
});
export type Mail = z.infer<typeof MailSchema>;

export const OutboxEntrySchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9._-]+$/),
  createdAt: z.string(),
  attempts: z.number().int().min(0),
  nextAttemptAt: z.number(),
  lastError: z.string().nullable(),
  mail: MailSchema,
});
export type OutboxEntry = z.infer<typeof OutboxEntrySchema>;

export class Outbox {
  readonly dir: string;
  readonly deadDir: string;
  private readonly entries = new Map<string, OutboxEntry>();

  constructor(stateDir: string) {
    this.dir = path.join(stateDir, 'outbox');
    this.deadDir = path.join(this.dir, 'dead');
  }

  get size(): number {
    return this.entries.size;
  }

  /** Loads what a previous run left; a file that is not a valid entry is moved to dead/ and said. */
  async init(warn: (msg: string) => void): Promise<void> {
    await fs.mkdir(this.deadDir, { recursive: true, mode: 0o700 });
    for (const name of (await fs.readdir(this.dir)).sort()) {
      if (!name.endsWith('.json')) continue;
      const file = path.join(this.dir, name);
      try {
        const entry = OutboxEntrySchema.parse(JSON.parse(await fs.readFile(file, 'utf8')));
        this.entries.set(entry.id, entry);
      } catch (e) {
        warn(`${file}: not a valid outbox entry (${(e as Error).message.split('\n')[0]}); moved to ${this.deadDir}`);
        await fs.rename(file, path.join(this.deadDir, name));
      }
    }
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  /** Written (atomically, fsync'd) before it is ever sent. Putting an id again replaces it: composing is idempotent. */
  async put(entry: OutboxEntry): Promise<void> {
    await writeFileAtomic(this.fileOf(entry.id), JSON.stringify(entry));
    this.entries.set(entry.id, entry);
  }

  /** Entries whose next attempt is due, oldest first. */
  due(now: number): OutboxEntry[] {
    return [...this.entries.values()].filter((e) => e.nextAttemptAt <= now).sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : 1));
  }

  /** The server accepted it. */
  async delivered(id: string): Promise<void> {
    await fs.rm(this.fileOf(id), { force: true });
    this.entries.delete(id);
  }

  async retryLater(id: string, error: string, nextAttemptAt: number): Promise<OutboxEntry | undefined> {
    const e = this.entries.get(id);
    if (!e) return undefined;
    const updated = { ...e, attempts: e.attempts + 1, lastError: error, nextAttemptAt };
    await this.put(updated);
    return updated;
  }

  /** Refused for good: kept aside with the reason, never retried, never dropped. */
  async deadLetter(id: string, reason: string): Promise<string | undefined> {
    const e = this.entries.get(id);
    if (!e) return undefined;
    const file = path.join(this.deadDir, `${id}.json`);
    await writeFileAtomic(file, JSON.stringify({ ...e, attempts: e.attempts + 1, rejectedAt: new Date().toISOString(), reason }, null, 2));
    await this.delivered(id);
    return file;
  }

  private fileOf(id: string): string {
    return path.join(this.dir, `${id}.json`);
  }
}
