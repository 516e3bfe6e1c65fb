/**
 * The durable outbox: one file per notification, written (fsync'd) before the first attempt and
 * removed only once the receiver accepted it. Neither nodemailer nor an HTTP client keeps anything on
 * disk; this is what makes "never lost" true across outages of the receiver and restarts of the
 * daemon, kill -9 included. A notification refused for good goes to `dead/` with the receiver's
 * answer, where an operator can read it. Every output but stdout has one (email, jsonl, webhook, each
 * Alertmanager), each in its own directory; what an entry carries beyond the fields below is the
 * output's business (an email, a request body, an Alertmanager alert).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../fs/atomic';

/** The fields every queued notification has, whatever it carries. */
export const QueuedSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9._-]+$/),
  createdAt: z.string(),
  attempts: z.number().int().min(0),
  nextAttemptAt: z.number(),
  lastError: z.string().nullable(),
  /**
   * Set when the receiver accepted this version but it stays to be sent again at nextAttemptAt
   * (a firing alert re-sent to Alertmanager); absent while it was never accepted.
   */
  acceptedAt: z.number().optional(),
});
export type Queued = z.infer<typeof QueuedSchema>;

export class Outbox<E extends Queued> {
  readonly deadDir: string;
  private readonly entries = new Map<string, E>();
  private tail: Promise<void> = Promise.resolve();

  constructor(
    readonly dir: string,
    private readonly schema: z.ZodType<E>,
  ) {
    this.deadDir = path.join(dir, 'dead');
  }

  /** Everything held, accepted-and-kept entries included: what limits.outbox_max bounds. */
  get size(): number {
    return this.entries.size;
  }

  /** Entries the receiver has not accepted yet. */
  get waiting(): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.acceptedAt === undefined) n++;
    return n;
  }

  /** Creation time (ms) of the oldest entry not accepted yet, or null. */
  oldestWaiting(): number | null {
    let oldest: number | null = null;
    for (const e of this.entries.values()) {
      if (e.acceptedAt !== undefined) continue;
      const t = Date.parse(e.createdAt);
      if (oldest === null || t < oldest) oldest = t;
    }
    return oldest;
  }

  /** Loads what a previous run left; a file that is not a valid entry is moved to dead/ and said. */
  async init(warn: (msg: string) => void): Promise<void> {
    await fs.mkdir(this.deadDir, { recursive: true, mode: 0o700 });
    for (const name of (await fs.readdir(this.dir)).sort()) {
      if (!name.endsWith('.json')) continue;
      const file = path.join(this.dir, name);
      try {
        const entry = this.schema.parse(JSON.parse(await fs.readFile(file, 'utf8')));
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

  get(id: string): E | undefined {
    return this.entries.get(id);
  }

  all(): IterableIterator<E> {
    return this.entries.values();
  }

  /** Written (atomically, fsync'd) before it is ever sent. Putting an id again replaces it: composing is idempotent. */
  put(entry: E): Promise<void> {
    return this.exclusive(async () => {
      await writeFileAtomic(this.fileOf(entry.id), JSON.stringify(entry));
      this.entries.set(entry.id, entry);
    });
  }

  /** Entries whose next attempt is due, oldest first. */
  due(now: number): E[] {
    return [...this.entries.values()].filter((e) => e.nextAttemptAt <= now).sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : 1));
  }

  /*
   * What the sender does with an entry it took from due(). Each applies only if the entry is still the
   * one taken: a newer version put meanwhile (Alertmanager's resolved replacing its firing) wins.
   */

  /** The receiver accepted it (or it is no longer wanted): gone. */
  delivered(e: E): Promise<void> {
    return this.settle(e, async () => {
      await fs.rm(this.fileOf(e.id), { force: true });
      this.entries.delete(e.id);
    });
  }

  /** The receiver accepted it and it is to be sent again at `at`. */
  keep(e: E, now: number, at: number): Promise<void> {
    return this.settle(e, () => this.write({ ...e, attempts: 0, lastError: null, acceptedAt: now, nextAttemptAt: at }));
  }

  retryLater(e: E, error: string, nextAttemptAt: number): Promise<void> {
    return this.settle(e, () => this.write({ ...e, attempts: e.attempts + 1, lastError: error, nextAttemptAt }));
  }

  /** Refused for good: kept aside with the reason, never retried, never dropped. Returns the dead letter's path. */
  async deadLetter(e: E, reason: string): Promise<string> {
    const file = path.join(this.deadDir, `${e.id}.json`);
    await this.settle(e, async () => {
      await writeFileAtomic(file, JSON.stringify({ ...e, attempts: e.attempts + 1, rejectedAt: new Date().toISOString(), reason }, null, 2));
      await fs.rm(this.fileOf(e.id), { force: true });
      this.entries.delete(e.id);
    });
    return file;
  }

  private async write(e: E): Promise<void> {
    await writeFileAtomic(this.fileOf(e.id), JSON.stringify(e));
    this.entries.set(e.id, e);
  }

  private settle(e: E, fn: () => Promise<void>): Promise<void> {
    return this.exclusive(async () => {
      if (this.entries.get(e.id) === e) await fn();
    });
  }

  /** One change at a time: a removal must not land after the rename of a newer version of the same file. */
  private exclusive(fn: () => Promise<void>): Promise<void> {
    const run = this.tail.then(fn);
    this.tail = run.catch(() => undefined);
    return run;
  }

  private fileOf(id: string): string {
    return path.join(this.dir, `${id}.json`);
  }
}
