/**
 * Where alerts go. stdout is written at once; every other output (a JSON lines file, a webhook, each
 * Alertmanager of the alertmanager output) has its own notification queue on disk in
 * state_dir/outputs/ and its own sending loop (src/notify/queue.ts): the daemon waits for the
 * notification to be on disk, never for a receiver.
 */
import type { Incident } from '../rules/incident';
import { durationMs } from '../rules/compile';
import { printableJson } from '../report/sanitize';
import { outputName, type AlertmanagerOutputConfig, type OutputConfig, type WebhookOutputConfig } from '../config/schema';
import { httpTarget, displayUrl, type HttpTarget } from '../notify/http';
import { NotificationQueue, queueDir, type QueueStats } from '../notify/queue';
import { BodyEntrySchema, jsonlReceiver, webhookReceiver } from '../notify/receivers';
import { AlertmanagerEntrySchema, alertmanagerReceiver, alertmanagerWebhookCompose, type AlertShape } from '../notify/alertmanager';
import type { DispatchLog, RetryPolicy } from '../notify/retry';

/** The stable alert object: a report incident plus its lifecycle status. */
export type Alert = Incident & { status: 'firing' | 'resolved' };

/** An output's settings with its secrets and CA file read: built before anything running changes, so a bad SIGHUP changes nothing. */
export interface PreparedOutput {
  config: OutputConfig;
  name: string;
  /** One per URL of an HTTP output. */
  targets: HttpTarget[];
}

export async function prepareOutputs(configs: OutputConfig[]): Promise<PreparedOutput[]> {
  const out: PreparedOutput[] = [];
  for (const [i, c] of configs.entries()) {
    const name = outputName(c);
    const field = `outputs.${i}`;
    const targets: HttpTarget[] = [];
    if (c.type === 'webhook') targets.push(await httpTarget(field, c.url, durationMs(c.timeout ?? '10s'), c));
    if (c.type === 'alertmanager') for (const url of c.urls) targets.push(await httpTarget(field, url, durationMs(c.timeout ?? '10s'), c));
    out.push({ config: c, name, targets });
  }
  return out;
}

function shapeOf(c: WebhookOutputConfig | AlertmanagerOutputConfig): AlertShape {
  return { labels: c.labels ?? {}, generatorUrl: c.generator_url, sampleLines: c.sample_lines ?? 5 };
}

/** An Alertmanager as logs, metrics and its outbox directory name it: where it is, path prefix included, no credentials. */
export function alertmanagerTarget(url: URL): string {
  return url.origin + url.pathname.replace(/\/+$/, '');
}

function retryOf(c: OutputConfig): RetryPolicy {
  const r = 'retry' in c ? c.retry : undefined;
  return { initialMs: durationMs(r?.initial ?? '5s'), maxMs: durationMs(r?.max ?? '5m') };
}

interface RunningQueue {
  signature: string;
  queue: { start(): Promise<void>; accept(alerts: Alert[]): Promise<void>; stop(): Promise<void>; readonly stats: QueueStats };
}

export interface OutputsOptions {
  stateDir: string;
  log: DispatchLog;
  /** limits.outbox_max refused a notification. */
  onLimit: () => void;
  /** Whether the daemon still has this alert (rule + group key) firing: Alertmanager re-sends stop when it has not. */
  isFiring: (fingerprint: string) => boolean;
  tickMs?: number;
}

export class Outputs {
  private stdout = false;
  private readonly running = new Map<string, RunningQueue>();

  constructor(private readonly opts: OutputsOptions) {}

  /**
   * Start and SIGHUP: outputs new or changed get a queue (a changed one restarts on the same outbox
   * directory, so what it held is sent with the new settings); removed ones stop, their outbox kept.
   */
  async apply(prepared: PreparedOutput[], outboxMax: number): Promise<void> {
    this.stdout = prepared.some((p) => p.config.type === 'stdout');
    const wanted = new Map<string, { signature: string; make: () => RunningQueue['queue'] }>();
    for (const p of prepared) {
      const c = p.config;
      const common = { outboxMax, retry: retryOf(c), onLimit: this.opts.onLimit, tickMs: this.opts.tickMs };
      const signature = JSON.stringify({ c, targets: p.targets, outboxMax });
      if (c.type === 'jsonl') {
        wanted.set(p.name, { signature, make: () => new NotificationQueue(p.name, c.path, queueDir(this.opts.stateDir, p.name), BodyEntrySchema, jsonlReceiver(c.path), common, this.opts.log) });
      } else if (c.type === 'webhook') {
        const t = p.targets[0] as HttpTarget;
        const compose = c.format === 'alertmanager' ? alertmanagerWebhookCompose({ ...shapeOf(c), receiver: c.receiver ?? p.name, externalUrl: c.external_url ?? '' }) : undefined;
        wanted.set(p.name, { signature, make: () => new NotificationQueue(p.name, displayUrl(t.url), queueDir(this.opts.stateDir, p.name), BodyEntrySchema, webhookReceiver(t, compose), common, this.opts.log) });
      } else if (c.type === 'alertmanager') {
        // One queue per Alertmanager: one that is down does not hold up the others, and each gets every alert.
        const resendMs = durationMs(c.resend_interval ?? '1m');
        for (const t of p.targets) {
          const target = alertmanagerTarget(t.url);
          wanted.set(`${p.name} ${target}`, { signature, make: () => new NotificationQueue(p.name, target, queueDir(this.opts.stateDir, p.name, target), AlertmanagerEntrySchema, alertmanagerReceiver(t, shapeOf(c), resendMs, this.opts.isFiring), common, this.opts.log) });
        }
      }
    }
    for (const [key, r] of this.running) {
      if (wanted.get(key)?.signature === r.signature) continue;
      await r.queue.stop();
      this.running.delete(key);
    }
    for (const [key, w] of wanted) {
      if (this.running.has(key)) continue;
      const queue = w.make();
      await queue.start();
      this.running.set(key, { signature: w.signature, queue });
    }
  }

  /** stdout at once; the others on disk (fsync'd) when this returns, sent by their own loops. */
  async accept(alerts: Alert[]): Promise<void> {
    if (alerts.length === 0) return;
    if (this.stdout) for (const a of alerts) process.stdout.write(printableJson(a) + '\n');
    for (const [name, r] of this.running) {
      // One output that cannot write its outbox (disk full, permissions) must not keep the others from theirs.
      await r.queue.accept(alerts).catch((e: Error) => this.opts.log.error({ output: name, error: e.message }, 'output queue write failed: these alerts are not queued for it'));
    }
  }

  stats(): QueueStats[] {
    return [...this.running.values()].map((r) => r.queue.stats);
  }

  async stop(): Promise<void> {
    for (const r of this.running.values()) await r.queue.stop();
    this.running.clear();
  }
}
