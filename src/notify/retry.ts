/**
 * The retry and send stages of a notification pipeline (Alertmanager's RetryStage and its
 * integrations): a loop of its own per receiver, on timers, that takes what is due in an outbox, hands
 * it to the integration, and acts on the answer — accepted (removed, or kept to be sent again), try
 * again later (exponential backoff, or what a Retry-After said), or refused for good (dead letter).
 * The daemon's read loop only writes to the outbox and never waits on a receiver: a receiver that is
 * down, slow or hanging delays its own queue and nothing else.
 *
 * One attempt at a time per receiver, oldest first, and a failure holds back the whole queue until
 * its backoff ends: notifications arrive in the order they were queued (a resolved notice never
 * overtakes its firing alert), and a receiver that is down is not hammered once per queued entry.
 */
import type { Outbox, Queued } from './outbox';

/** What one attempt came to. `retry: false` is a refusal that sending again would only repeat. */
export type Attempt =
  | { ok: true; response?: string }
  | { ok: false; retry: boolean; reason: string; /** The receiver asked for this delay (Retry-After). */ retryAfterMs?: number };

export interface Integration<E extends Queued> {
  /** What an entry is, for log lines: "email", "webhook alert", "Alertmanager alerts". */
  readonly what: string;
  /** Entries sent in one attempt (Alertmanager takes a list; a webhook one alert a request). */
  readonly batchSize: number;
  send(batch: E[], signal: AbortSignal): Promise<Attempt>;
  /** After the receiver accepted it: when to send it again (a firing alert for Alertmanager), or null to remove it. */
  resendAt?(entry: E, now: number): number | null;
  /** An entry no longer worth sending (removed unsent): a re-send of an alert that stopped firing. */
  obsolete?(entry: E): boolean;
  /** Log fields that say what was accepted (a Message-ID, the server's answer). */
  acceptedFields?(entry: E, attempt: Attempt & { ok: true }): object;
}

export interface RetryPolicy {
  initialMs: number;
  maxMs: number;
}

export interface DispatchLog {
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
  error(fields: object, msg: string): void;
}

export interface DispatchStats {
  /** Entries waiting for their first acceptance (or for a retry). */
  queued: number;
  /** Seconds since the oldest of them was queued (0 when none). */
  oldestQueuedSeconds: number;
  sent: number;
  failedAttempts: number;
  deadLetters: number;
}

/** Rounds on a timer that never overlap; `tick` runs one now, after any in progress. */
export class RoundLoop {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> = Promise.resolve();
  private ended = false;

  constructor(
    private readonly round: (now: number) => Promise<void>,
    private readonly tickMs: number,
  ) {}

  get stopped(): boolean {
    return this.ended;
  }

  start(): void {
    if (this.ended) return;
    this.timer = setTimeout(() => {
      void this.tick().finally(() => this.start());
    }, this.tickMs);
    this.timer.unref();
  }

  async tick(now = Date.now()): Promise<void> {
    this.running = this.running.then(() => this.round(now));
    await this.running;
  }

  /** No new round; resolves once the one in progress ended. `interrupt` runs first (to cut what the round waits on). */
  async stop(interrupt: () => void = () => undefined): Promise<void> {
    this.ended = true;
    if (this.timer) clearTimeout(this.timer);
    interrupt();
    await this.running;
  }
}

export class Dispatcher<E extends Queued> {
  private readonly loop: RoundLoop;
  private readonly abort = new AbortController();
  /** After a failure, nothing is tried before this (one backoff for the whole queue). */
  private backoffUntil = 0;
  private readonly counts = { sent: 0, failedAttempts: 0, deadLetters: 0 };

  constructor(
    readonly outbox: Outbox<E>,
    private integration: Integration<E>,
    private policy: RetryPolicy,
    private readonly log: DispatchLog,
    private readonly fields: object,
    tickMs = 250,
  ) {
    this.loop = new RoundLoop((now) => this.round(now), tickMs);
  }

  private get stopped(): boolean {
    return this.loop.stopped;
  }

  get stats(): DispatchStats {
    const oldest = this.outbox.oldestWaiting();
    return { queued: this.outbox.waiting, oldestQueuedSeconds: oldest === null ? 0 : Math.max(0, (Date.now() - oldest) / 1000), ...this.counts };
  }

  start(): void {
    this.loop.start();
  }

  /** A SIGHUP: new receiver settings, same queue; whatever waited for a backoff is tried at once. */
  reconfigure(integration: Integration<E>, policy: RetryPolicy): void {
    this.integration = integration;
    this.policy = policy;
    this.backoffUntil = 0;
  }

  /** Something was queued: try now rather than at the next tick. */
  kick(): void {
    if (this.stopped || Date.now() < this.backoffUntil) return;
    void this.tick();
  }

  /** Aborts an attempt in flight (it stays queued) and ends the loop. */
  stop(): Promise<void> {
    return this.loop.stop(() => this.abort.abort(new Error('authwatch is stopping')));
  }

  /** One round now (the email notifier calls it after composing; the loop every tick). Rounds never overlap. */
  tick(now?: number): Promise<void> {
    return this.loop.tick(now);
  }

  private async round(now: number): Promise<void> {
    if (this.stopped || now < this.backoffUntil) return;
    try {
      const due = this.outbox.due(now);
      for (let i = 0; i < due.length && !this.stopped; ) {
        const batch: E[] = [];
        for (; i < due.length && batch.length < this.integration.batchSize; i++) {
          const e = due[i] as E;
          if (this.integration.obsolete?.(e)) await this.outbox.delivered(e);
          else batch.push(e);
        }
        if (batch.length === 0) continue;
        if (!(await this.attempt(batch))) return;
      }
    } catch (e) {
      // Disk full, permissions: said every round until fixed, never a crash of the daemon.
      this.log.error({ ...this.fields, error: (e as Error).message }, `${this.integration.what}: outbox round failed`);
    }
  }

  /** False when the queue must wait (a failure that will be retried). */
  private async attempt(batch: E[]): Promise<boolean> {
    const integration = this.integration;
    let result: Attempt;
    try {
      result = await integration.send(batch, this.abort.signal);
    } catch (e) {
      result = { ok: false, retry: true, reason: (e as Error).message };
    }
    if (this.stopped && !result.ok) return false; // aborted by stop(): stays queued, not a failure
    const now = Date.now();
    const ids = batch.map((e) => e.id);
    if (result.ok) {
      for (const e of batch) {
        const again = integration.resendAt?.(e, now) ?? null;
        if (again === null) await this.outbox.delivered(e);
        else await this.outbox.keep(e, now, again);
        this.counts.sent++;
        if (e.acceptedAt === undefined) this.log.info({ ...this.fields, id: e.id, attempts: e.attempts + 1, ...integration.acceptedFields?.(e, result) }, `${integration.what} accepted`);
      }
      return true;
    }
    this.counts.failedAttempts++;
    if (!result.retry) {
      for (const e of batch) {
        const file = await this.outbox.deadLetter(e, result.reason);
        this.counts.deadLetters++;
        this.log.error({ ...this.fields, id: e.id, file, reason: result.reason }, `${integration.what} refused for good: kept in the dead-letter folder, not retried`);
      }
      return true;
    }
    const first = batch[0] as E;
    const backoff = Math.min(this.policy.maxMs, this.policy.initialMs * 2 ** Math.min(first.attempts, 30));
    const delay = Math.min(this.policy.maxMs, Math.max(backoff, result.retryAfterMs ?? 0));
    for (const e of batch) await this.outbox.retryLater(e, result.reason, now + delay);
    this.backoffUntil = now + delay;
    this.log.warn({ ...this.fields, ids, attempt: first.attempts + 1, retryInMs: delay }, `${integration.what} not sent, will retry: ${result.reason}`);
    return false;
  }
}
