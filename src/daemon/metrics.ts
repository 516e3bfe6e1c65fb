/** Prometheus /metrics and /healthz on a loopback port, for the daemon. */
import http from 'node:http';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { EmailStats } from '../notify/email';
import type { QueueStats } from '../notify/queue';
import type { InputCounters } from './state';

export class DaemonMetrics {
  readonly registry = new Registry();
  /**
   * Per-input line counters, read at scrape time: the per-line path bumps plain numbers (a labelled
   * prom-client inc hashes its label set, several times a line), and a scrape reports them.
   */
  inputCounters: () => Iterable<[string, InputCounters]> = () => [];
  readonly linesRead = this.inputCounter('authwatch_lines_read_total', 'Lines read, per input file', (c) => c.read);
  readonly linesParsed = this.inputCounter('authwatch_lines_parsed_total', 'Lines parsed into events, per input file', (c) => c.parsed);
  readonly linesMalformed = this.inputCounter('authwatch_lines_malformed_total', 'Lines that did not parse, per input file', (c) => c.malformed);
  readonly authFailures = this.inputCounter('authwatch_auth_failures_total', 'Error-log authentication failures, per input file', (c) => c.authFailures);
  readonly eventsLate = new Gauge({ name: 'authwatch_events_late', help: 'Events older than the watermark since start (counted, not analysed)', registers: [this.registry] });
  readonly eventsFuture = new Counter({ name: 'authwatch_events_future_total', help: 'Events dated more than max_future ahead of the clock: set aside, not analysed (a wrong clock on the server, or a forged line)', registers: [this.registry] });
  readonly alertsFiring = new Gauge({ name: 'authwatch_alerts_firing', help: 'Alerts currently firing', registers: [this.registry] });
  readonly lagBytes = new Gauge({ name: 'authwatch_input_lag_bytes', help: 'Bytes behind the end of each followed file', labelNames: ['input'], registers: [this.registry] });
  readonly limitHits = new Counter({ name: 'authwatch_limit_hits_total', help: 'Times a resource bound was hit (max_files, outbox_max; long lines are in lines_malformed, evictions in key_evictions)', labelNames: ['limit'], registers: [this.registry] });
  readonly keyEvictions = new Gauge({ name: 'authwatch_key_evictions', help: 'Keys evicted from rule tables since start (key_capacity reached: figures approximate)', registers: [this.registry] });
  /** Syslog messages passed to the parser per listener, read at scrape time like the line counters. */
  syslogMessageCounts: () => Iterable<[string, number]> = () => [];
  readonly syslogMessages = this.scrapedCounter('authwatch_syslog_messages_total', 'Syslog messages accepted and passed to the parser, per listener (dropped ones: authwatch_syslog_dropped_total)', 'listener', () => this.syslogMessageCounts());
  readonly syslogDropped = new Counter({ name: 'authwatch_syslog_dropped_total', help: 'Syslog messages dropped, per listener and reason (sender_not_allowed, over_limit, malformed, stream_limit, connection_limit)', labelNames: ['listener', 'reason'], registers: [this.registry] });
  readonly syslogKernelDrops = new Gauge({ name: 'authwatch_syslog_udp_kernel_drops', help: 'Datagrams the kernel dropped on a UDP listener (receive buffer full), from /proc/net/udp', labelNames: ['listener'], registers: [this.registry] });
  private readonly dropCounts = new Map<string, number>();
  readonly checkpointAge = new Gauge({ name: 'authwatch_checkpoint_age_seconds', help: 'Seconds since the last checkpoint was written', registers: [this.registry] });
  /** Email figures, read at scrape time from the notifier (null without an email section). */
  emailStats: (() => EmailStats) | null = null;
  /** Per output and target (each Alertmanager of an HA set), read at scrape time from the notification queues. */
  outputStats: () => Iterable<QueueStats> = () => [];
  lastCheckpoint = Date.now();
  private server: http.Server | null = null;

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'authwatch_' });
    this.emailGauge('authwatch_email_outbox', 'Emails in the outbox (queued or waiting for a retry)', (s) => s.queued);
    this.emailGauge('authwatch_emails_sent_total', 'Emails the SMTP server accepted since start', (s) => s.sent);
    this.emailGauge('authwatch_email_failed_attempts_total', 'Failed send attempts since start (retried or dead-lettered)', (s) => s.failedAttempts);
    this.emailGauge('authwatch_email_dead_letters_total', 'Emails refused for good and kept in outbox/dead since start', (s) => s.deadLetters);
    this.emailGauge('authwatch_email_digests_total', 'Digests composed because the hourly limit was reached', (s) => s.digests);
    this.outputMetrics();
  }

  /** authwatch_output_*: the notification queue of every output but stdout (email's too: it keeps its authwatch_email_* names as well). */
  private outputMetrics(): void {
    const source = () => this.outputStats();
    const families: Array<[string, string, 'gauge' | 'counter', (s: QueueStats) => number]> = [
      ['authwatch_output_queued', 'Notifications in the outbox not yet accepted by the receiver', 'gauge', (s) => s.queued],
      ['authwatch_output_oldest_queued_seconds', 'Age of the oldest notification not yet accepted (0 when none)', 'gauge', (s) => s.oldestQueuedSeconds],
      ['authwatch_output_sent_total', 'Notifications the receiver accepted (re-sends of firing alerts to Alertmanager included)', 'counter', (s) => s.sent],
      ['authwatch_output_failed_attempts_total', 'Attempts that failed (retried or dead-lettered)', 'counter', (s) => s.failedAttempts],
      ['authwatch_output_dead_letters_total', 'Notifications refused for good and kept in the dead-letter folder', 'counter', (s) => s.deadLetters],
      ['authwatch_output_dropped_total', 'Notifications not queued because the outbox was full (limits.outbox_max)', 'counter', (s) => s.dropped],
    ];
    for (const [name, help, kind, read] of families) {
      const collect = function (this: Gauge<'output' | 'target'> | Counter<'output' | 'target'>) {
        this.reset();
        for (const s of source()) {
          if (this instanceof Gauge) this.set({ output: s.output, target: s.target }, read(s));
          else this.inc({ output: s.output, target: s.target }, read(s));
        }
      };
      const options = { name, help, labelNames: ['output', 'target'] as const, registers: [this.registry], collect };
      if (kind === 'gauge') new Gauge(options);
      else new Counter(options);
    }
  }

  private inputCounter(name: string, help: string, read: (c: InputCounters) => number): Counter<'input'> {
    const inputs = () => this.inputCounters();
    return this.scrapedCounter(name, help, 'input', function* () {
      for (const [input, c] of inputs()) yield [input, read(c)];
    });
  }

  /** A counter whose values are read from `source` ([label value, count]) at scrape time. */
  private scrapedCounter<L extends string>(name: string, help: string, label: L, source: () => Iterable<[string, number]>): Counter<L> {
    return new Counter({
      name, help, labelNames: [label], registers: [this.registry],
      collect() {
        this.reset();
        for (const [value, n] of source()) this.inc({ [label]: value } as Record<L, string>, n);
      },
    });
  }

  private emailGauge(name: string, help: string, read: (s: EmailStats) => number): void {
    const source = () => this.emailStats?.();
    new Gauge({
      name, help, registers: [this.registry],
      collect() {
        const s = source();
        this.set(s ? read(s) : 0);
      },
    });
  }

  /** Drops said so far for a listener (the first ones are logged, then only counted). */
  syslogDropCount(listener: string): number {
    const n = (this.dropCounts.get(listener) ?? 0) + 1;
    this.dropCounts.set(listener, n);
    return n;
  }

  async listen(host: string, port: number): Promise<number> {
    this.server = http.createServer((req, res) => {
      if (req.url === '/healthz') {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
        return;
      }
      if (req.url === '/metrics') {
        this.checkpointAge.set((Date.now() - this.lastCheckpoint) / 1000);
        this.registry.metrics().then(
          (text) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(text),
          (e: Error) => res.writeHead(500).end(e.message),
        );
        return;
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve, reject) => {
      this.server?.once('error', reject);
      this.server?.listen(port, host, () => resolve());
    });
    const addr = this.server.address();
    return typeof addr === 'object' && addr ? addr.port : port;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
