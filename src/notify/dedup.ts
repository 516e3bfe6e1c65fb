/**
 * The dedup stage (Alertmanager's DedupStage over its notification log): a receiver is told of an
 * alert's firing and of its resolution once per episode, even when the daemon is killed between
 * queueing a notification and the checkpoint that records it as announced, and replays the lines that
 * raised it. The log remembers the last `capacity` notifications queued (rule + group key, status and
 * the episode's start), on disk beside the receiver's outbox.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../fs/atomic';
import type { Alert } from '../daemon/outputs';

const NotificationLogSchema = z.object({ version: z.literal(1), keys: z.array(z.string()) });

/** One notification: the same alert, status and episode is the same notification. */
export function notificationKey(a: Alert): string {
  return `${a.fingerprint}\u0000${a.status}\u0000${a.start}`;
}

export class NotificationLog {
  private readonly file: string;
  private keys = new Set<string>();

  constructor(
    dir: string,
    private capacity: number,
  ) {
    // Not *.json: the outbox reads every *.json file of its directory as an entry.
    this.file = path.join(dir, 'notified.nflog');
  }

  async init(warn: (msg: string) => void): Promise<void> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch {
      return;
    }
    try {
      this.keys = new Set(NotificationLogSchema.parse(JSON.parse(text)).keys);
    } catch (e) {
      warn(`${this.file}: not a valid notification log (${(e as Error).message.split('\n')[0]}); starting without one`);
    }
  }

  setCapacity(capacity: number): void {
    this.capacity = capacity;
  }

  /** The alerts not notified yet, in order, each once. */
  fresh(alerts: Alert[]): Alert[] {
    const seen = new Set<string>();
    return alerts.filter((a) => {
      const k = notificationKey(a);
      if (this.keys.has(k) || seen.has(k)) return false;
      seen.add(k);
      return true;
    });
  }

  /** Recorded once their notifications are in the outbox; the oldest are forgotten past the capacity. */
  async record(alerts: Alert[]): Promise<void> {
    if (alerts.length === 0) return;
    for (const a of alerts) {
      const k = notificationKey(a);
      this.keys.delete(k);
      this.keys.add(k);
    }
    const excess = this.keys.size - this.capacity;
    if (excess > 0) this.keys = new Set([...this.keys].slice(excess));
    await writeFileAtomic(this.file, JSON.stringify({ version: 1, keys: [...this.keys] }));
  }
}
