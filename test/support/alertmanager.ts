/**
 * A real Prometheus Alertmanager (Debian's prometheus-alertmanager) on 127.0.0.1 for the tests: a
 * temp config routing every alert (grouped by alertname) to a webhook receiver the test runs, a temp
 * storage path, clustering off (`--cluster.listen-address=`: no gossip port). It can be stopped and
 * started again on the same port and storage ("Alertmanager is down for a while"). And the parser of
 * Alertmanager's webhook posts, used for its own posts and for authwatch's webhook in that format.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { waitFor } from './daemon';
import { freeTcpPort } from './ports';
import { tempDir } from './paths';

export const ALERTMANAGER = process.env.AUTHWATCH_ALERTMANAGER ?? '/usr/bin/prometheus-alertmanager';

const running = new Set<ChildProcess>();

/** For afterEach: nothing left listening when a test fails. */
export function killAlertmanagers(): void {
  for (const p of running) p.kill('SIGKILL');
  running.clear();
}

const Labels = z.record(z.string(), z.string());
const Time = z.string().refine((t) => !Number.isNaN(Date.parse(t)), 'an RFC 3339 time');

/** What Alertmanager's webhook receiver posts (notify/webhook Message, version 4): every field required. */
export const AlertmanagerWebhookSchema = z.strictObject({
  receiver: z.string(),
  status: z.enum(['firing', 'resolved']),
  alerts: z.array(
    z.strictObject({
      status: z.enum(['firing', 'resolved']),
      labels: Labels,
      annotations: Labels,
      startsAt: Time,
      endsAt: Time,
      generatorURL: z.string(),
      fingerprint: z.string().regex(/^[0-9a-f]{16}$/),
    }),
  ),
  groupLabels: Labels,
  commonLabels: Labels,
  commonAnnotations: Labels,
  externalURL: z.string(),
  version: z.literal('4'),
  groupKey: z.string(),
  truncatedAlerts: z.number().int().min(0),
});
export type AlertmanagerWebhook = z.infer<typeof AlertmanagerWebhookSchema>;

/** The receiver side: a body that is not an Alertmanager v4 webhook message throws, naming the field. */
export function parseAlertmanagerWebhook(body: string): AlertmanagerWebhook {
  return AlertmanagerWebhookSchema.parse(JSON.parse(body));
}

export interface GettableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  fingerprint: string;
  startsAt: string;
  endsAt: string;
  generatorURL?: string;
  status: { state: 'unprocessed' | 'active' | 'suppressed'; silencedBy: string[]; inhibitedBy: string[] };
}

export interface AlertmanagerOptions {
  /** Where Alertmanager's webhook receiver posts. */
  webhookUrl: string;
  groupWait?: string;
  groupInterval?: string;
  resolveTimeout?: string;
}

export class TestAlertmanager {
  private proc: ChildProcess | null = null;
  private log = '';

  private constructor(
    readonly port: number,
    readonly dir: string,
  ) {}

  static async start(o: AlertmanagerOptions): Promise<TestAlertmanager> {
    const am = new TestAlertmanager(await freeTcpPort(), tempDir('authwatch-am-'));
    writeFileSync(
      path.join(am.dir, 'alertmanager.yml'),
      `global:\n  resolve_timeout: ${o.resolveTimeout ?? '5m'}\n` +
        `route:\n  receiver: test\n  group_by: [alertname]\n  group_wait: ${o.groupWait ?? '0s'}\n  group_interval: ${o.groupInterval ?? '1s'}\n  repeat_interval: 4h\n` +
        `receivers:\n  - name: test\n    webhook_configs:\n      - url: ${o.webhookUrl}\n        send_resolved: true\n`,
    );
    mkdirSync(path.join(am.dir, 'data'));
    await am.listen();
    return am;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Its stderr so far, for messages when a wait times out. */
  output(): string {
    return this.log.slice(-2000);
  }

  /** (Re)starts on the same port and storage; resolves once /-/ready answers. */
  async listen(): Promise<void> {
    const proc = spawn(ALERTMANAGER, [`--config.file=${path.join(this.dir, 'alertmanager.yml')}`, `--storage.path=${path.join(this.dir, 'data')}`, `--web.listen-address=127.0.0.1:${this.port}`, '--cluster.listen-address=', '--log.level=info'], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc = proc;
    running.add(proc);
    proc.on('exit', () => running.delete(proc));
    proc.stderr?.on('data', (d: Buffer) => (this.log += d.toString()));
    await waitFor(async () => ((await fetch(`${this.url}/-/ready`).then((r) => r.ok, () => false)) ? true : undefined), 15_000, () => `Alertmanager did not start: ${this.output()}`);
  }

  /** SIGTERM and wait for the exit: the port is closed when this returns. */
  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = null;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    await exited;
  }

  async alerts(): Promise<GettableAlert[]> {
    const r = await fetch(`${this.url}/api/v2/alerts`);
    return (await r.json()) as GettableAlert[];
  }

  /** A silence on equality matchers for the next hour; returns its id. */
  async silence(matchers: Record<string, string>): Promise<string> {
    const now = Date.now();
    const r = await fetch(`${this.url}/api/v2/silences`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        matchers: Object.entries(matchers).map(([name, value]) => ({ name, value, isRegex: false, isEqual: true })),
        startsAt: new Date(now).toISOString(),
        endsAt: new Date(now + 3_600_000).toISOString(),
        createdBy: 'authwatch tests',
        comment: 'a known pentest',
      }),
    });
    if (!r.ok) throw new Error(`silence refused: ${r.status} ${await r.text()}`);
    return ((await r.json()) as { silenceID: string }).silenceID;
  }
}
