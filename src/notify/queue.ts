/**
 * One receiver's notification pipeline, in the shape of Alertmanager's: dedup (each firing and each
 * resolution once per episode) → outbox (on disk, fsync'd, bounded by limits.outbox_max) → retry and
 * send (its own loop; see retry.ts). `accept` returns once the notifications are on disk and never
 * waits for the receiver.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { z } from 'zod';
import type { Alert } from '../daemon/outputs';
import { NotificationLog } from './dedup';
import { Outbox, type Queued } from './outbox';
import { Dispatcher, type DispatchLog, type DispatchStats, type Integration, type RetryPolicy } from './retry';

/** How a kind of receiver turns alerts into queued entries, and sends them. */
export interface Receiver<E extends Queued> {
  integration: Integration<E>;
  /**
   * Entries for these alerts (already deduplicated when `dedup` is set). `newId(key)` gives an id that
   * sorts in queueing order; an entry with the id of one already queued replaces it.
   */
  compose(alerts: Alert[], now: number, newId: (key: string) => string): Array<{ entry: E; fingerprints: string[] }>;
  /** Event-like receivers (a webhook, a file) need the notification log; a state-like one (Alertmanager) replaces by id. */
  dedup: boolean;
  /** The entry already queued says the same: nothing to write (a state-like receiver told the same state again). */
  same?(queued: E, next: E): boolean;
}

export interface QueueOptions {
  outboxMax: number;
  retry: RetryPolicy;
  /** Called when limits.outbox_max refuses a notification (the daemon counts it). */
  onLimit: () => void;
  tickMs?: number;
}

export interface QueueStats extends DispatchStats {
  output: string;
  target: string;
  /** Notifications not queued because the outbox was full. */
  dropped: number;
}

let sequence = 0;

export class NotificationQueue<E extends Queued> {
  private readonly outbox: Outbox<E>;
  private readonly nflog: NotificationLog;
  private readonly dispatcher: Dispatcher<E>;
  private dropped = 0;

  constructor(
    readonly output: string,
    readonly target: string,
    dir: string,
    schema: z.ZodType<E>,
    private readonly receiver: Receiver<E>,
    private readonly opts: QueueOptions,
    private readonly log: DispatchLog,
  ) {
    this.outbox = new Outbox(dir, schema);
    this.nflog = new NotificationLog(dir, Math.max(1000, opts.outboxMax));
    this.dispatcher = new Dispatcher(this.outbox, receiver.integration, opts.retry, log, { output, target }, opts.tickMs);
  }

  get stats(): QueueStats {
    return { output: this.output, target: this.target, ...this.dispatcher.stats, dropped: this.dropped };
  }

  async start(): Promise<void> {
    const warn = (m: string) => this.log.warn({ output: this.output }, m);
    await this.outbox.init(warn);
    await this.nflog.init(warn);
    if (this.outbox.waiting > 0) this.log.info({ output: this.output, target: this.target, queued: this.outbox.waiting, dir: this.outbox.dir }, 'notifications left in the outbox by the previous run: sending them');
    this.dispatcher.start();
  }

  /** On disk (fsync'd) when it returns; sent by the queue's own loop. */
  async accept(alerts: Alert[]): Promise<void> {
    const fresh = this.receiver.dedup ? this.nflog.fresh(alerts) : alerts;
    if (fresh.length === 0) return;
    const now = Date.now();
    const newId = (key: string) => `${String(now).padStart(14, '0')}-${String(sequence++ % 1e6).padStart(6, '0')}-${createHash('sha256').update(key).digest('hex').slice(0, 8)}`;
    const refused = new Set<string>();
    for (const { entry, fingerprints } of this.receiver.compose(fresh, now, newId)) {
      const queued = this.outbox.get(entry.id);
      if (queued && this.receiver.same?.(queued, entry)) continue;
      if (!queued && this.outbox.size >= this.opts.outboxMax) {
        // Bounded: past the limit a notification is refused, counted and named, never silently lost.
        this.dropped++;
        this.opts.onLimit();
        for (const f of fingerprints) refused.add(f);
        this.log.error({ output: this.output, target: this.target, fingerprints, outboxMax: this.opts.outboxMax, queued: this.outbox.size }, 'outbox full (limits.outbox_max): notification not queued');
        continue;
      }
      await this.outbox.put(entry);
    }
    if (this.receiver.dedup) await this.nflog.record(fresh.filter((a) => !refused.has(a.fingerprint)));
    this.dispatcher.kick();
  }

  /** What the outbox still holds stays there for the next start. */
  async stop(): Promise<void> {
    await this.dispatcher.stop();
    if (this.outbox.waiting > 0) this.log.warn({ output: this.output, target: this.target, queued: this.outbox.waiting, dir: this.outbox.dir }, 'notifications still in the outbox: they are sent at the next start');
  }
}

/** A directory name for a receiver's outbox from its output name and target. */
export function queueDir(stateDir: string, output: string, target?: string): string {
  return target === undefined ? path.join(stateDir, 'outputs', output) : path.join(stateDir, 'outputs', output, target.replace(/^[a-z]+:\/\//, '').replace(/[^A-Za-z0-9.-]+/g, '_'));
}
