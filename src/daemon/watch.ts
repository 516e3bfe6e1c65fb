/**
 * authwatch watch: follow → parse → aggregate → rules → outputs, as a daemon.
 * Checkpoints (offsets and counters in one atomic file) make a restart, even after kill -9,
 * resume without losing or double-counting a line; the firing set in the same file keeps an
 * incident from being announced twice.
 */
import { watch as fsWatch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import pino, { type Logger } from 'pino';
import picomatch from 'picomatch';
import { cidrMatcher } from '../aggregate/cidr';
import { UsageError } from '../errors';
import { isIP } from 'node:net';
import { isFileInput, isSyslogInput, loadConfig, type Config, type SyslogInputConfig } from '../config/schema';
import { SyslogServer, type SyslogMessage } from '../ingest/syslog';
import { loadRules, RuleLoadError, type RuleSet } from '../rules/load';
import { Engine, DEFAULT_ENGINE_OPTIONS, type AlertTransition } from '../rules/engine';
import { durationMs, memoized } from '../rules/compile';
import { applyInhibition } from '../rules/inhibit';
import type { Incident } from '../rules/incident';
import { Follower, type StartAt } from '../ingest/follow';
import { matchFiles } from '../ingest/expand';
import { DEFAULT_MAX_LINE_BYTES } from '../ingest/lines';
import type { LogEvent } from '../parse/event';
import { LineDecoder } from '../decode/decoder';
import { StateStore, type State, type InputCounters } from './state';
import { DaemonMetrics } from './metrics';
import { jsonForTerminal } from '../report/sanitize';
import { Outputs, prepareOutputs, type Alert, type PreparedOutput } from './outputs';
import { EmailNotifier } from '../notify/email';
import { createSmtpSender, type SmtpSender } from '../notify/smtp';

const DEFAULT_MAX_FILES = 512;

/**
 * Structured JSON lines on stderr. Log lines quote log bytes (malformed lines, syslog host names,
 * file names): what JSON.stringify leaves raw (C1 and bidi controls) is escaped like any JSON output.
 */
function daemonLogger(): Logger {
  const stderr = pino.destination({ fd: 2, sync: true });
  return pino({ base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }, { write: (line: string) => stderr.write(jsonForTerminal(line)) });
}
/** Files and streams over limits.max_files are named in the log this many times at most. */
const SKIPPED_SAID_MAX = 100;

export interface WatchOptions {
  configFile: string;
  bundledRules: string;
  fromStart: boolean;
  metrics?: { host: string; port: number };
}

/** Per followed file: its decoder (format detected from its first lines) and counters. */
class InputState {
  decoder!: LineDecoder;
  counters: InputCounters;
  constructor(
    readonly spec: string,
    counters: InputCounters | undefined,
  ) {
    this.counters = counters ?? { read: 0, parsed: 0, malformed: 0, authFailures: 0 };
  }
}

/** A config CIDR list as a matcher; an invalid entry is a config error, not a crash. */
function configCidrs(field: string, cidrs: string[] | undefined): (ip: string) => boolean {
  const m = cidrMatcher(cidrs ?? []);
  if (typeof m !== 'function') throw new UsageError(`config ${field}: "${m.invalid}" is not a valid CIDR`);
  return m;
}

export class WatchDaemon {
  private log: Logger = daemonLogger();
  private config!: Config;
  private rules!: RuleSet;
  private engine!: Engine;
  private outputs!: Outputs;
  private store!: StateStore;
  private state!: State;
  private readonly followers = new Map<string, Follower>();
  private readonly inputs = new Map<string, InputState>();
  private readonly metrics = new DaemonMetrics();
  private watchers: FSWatcher[] = [];
  private stopping = false;
  private wake: (() => void) | null = null;
  private lastLineWall = Date.now();
  private isIgnoredIp: (ip: string) => boolean = () => false;
  private isIgnoredAgent: (ua: string) => boolean = () => false;
  private isTrustedProxy: (ip: string) => boolean = () => false;
  /** Events dated further ahead of the wall clock are set aside (see onFuture). */
  private maxFutureMs = DEFAULT_ENGINE_OPTIONS.allowedLatenessMs;
  private futureSaid = 0;
  private readonly firing = new Map<string, Incident>();
  private pendingAlerts: Alert[] = [];
  private dirty = false;
  private email: EmailNotifier | null = null;
  /** Files and syslog streams over limits.max_files, said once each. */
  private readonly skippedFiles = new Set<string>();
  private syslogServers: Array<{ name: string; server: SyslogServer }> = [];
  /** One per sending host and tag: its own format (detected) and line numbers. */
  private readonly streams = new Map<string, { st: InputState; lines: number; host: string; listener: string }>();
  private syslogSignature = '';

  constructor(private readonly opts: WatchOptions) {
    this.metrics.inputCounters = () => this.inputCounterEntries();
    this.metrics.syslogMessageCounts = () => this.syslogMessageCounts();
  }

  /** Messages passed on per listener: the sum of its streams' message counts. */
  private syslogMessageCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const { listener, lines } of this.streams.values()) counts.set(listener, (counts.get(listener) ?? 0) + lines);
    return counts;
  }

  /** Every file followed and syslog stream read, with its line counters (restored ones included: totals survive restarts). */
  private *inputCounterEntries(): Iterable<[string, InputCounters]> {
    for (const [file, st] of this.inputs) yield [file, st.counters];
    for (const [key, stream] of this.streams) yield [key, stream.st.counters];
  }

  private async loadAll(): Promise<{ config: Config; rules: RuleSet; smtp: SmtpSender | null; outputs: PreparedOutput[] }> {
    const config = await loadConfig(this.opts.configFile);
    const rules = await loadRules(config.rules ?? this.opts.bundledRules);
    // Passwords, tokens and CA files are read here, so a missing variable or file is refused like any config error.
    const smtp = config.email ? await createSmtpSender(config.email.smtp) : null;
    const outputs = await prepareOutputs(config.outputs ?? [{ type: 'stdout' }]);
    return { config, rules, smtp, outputs };
  }

  /** Email on, off or changed (SIGHUP): the outbox in the state dir is the same queue throughout. */
  private async applyEmail(config: Config, smtp: SmtpSender | null): Promise<void> {
    if (config.email && smtp) {
      if (this.email) this.email.reconfigure(config.email, smtp, config.limits?.outbox_max ?? 1000);
      else {
        this.email = new EmailNotifier(config.email, smtp, config.state_dir, this.log, { outboxMax: config.limits?.outbox_max ?? 1000, onLimit: () => this.metrics.limitHits.inc({ limit: 'outbox_max' }) });
        await this.email.start();
        const email = this.email;
        this.metrics.emailStats = () => email.stats;
      }
    } else if (this.email) {
      await this.email.stop();
      this.email = null;
      this.metrics.emailStats = null;
    }
  }

  private apply(config: Config, rules: RuleSet): void {
    // Validated first: a bad CIDR on SIGHUP must leave the running set untouched.
    const isIgnoredIp = configCidrs('ignore.cidrs', config.ignore?.cidrs);
    const isTrustedProxy = configCidrs('trusted_proxies', config.trusted_proxies);
    this.config = config;
    this.rules = rules;
    const allowedLatenessMs = config.allowed_lateness === undefined ? DEFAULT_ENGINE_OPTIONS.allowedLatenessMs : durationMs(config.allowed_lateness);
    // By default as far ahead as the lateness: the watermark then never passes the clock, so no event on time is late.
    this.maxFutureMs = config.max_future === undefined ? allowedLatenessMs : durationMs(config.max_future);
    this.engine = new Engine(
      rules.rules,
      {
        ...DEFAULT_ENGINE_OPTIONS,
        capacity: config.limits?.key_capacity ?? DEFAULT_ENGINE_OPTIONS.capacity,
        allowedLatenessMs,
      },
      (t) => this.onTransition(t),
    );
    this.isIgnoredIp = isIgnoredIp;
    const agents = config.ignore?.user_agents;
    // Checked on every line: user agents repeat, so a remembered answer spares the glob regex.
    this.isIgnoredAgent = agents?.length ? memoized(picomatch(agents, { nocase: true })) : () => false;
    this.isTrustedProxy = isTrustedProxy;
  }

  async start(): Promise<void> {
    const { config, rules, smtp, outputs } = await this.loadAll();
    this.store = new StateStore(config.state_dir);
    await this.store.init();
    this.state = await this.store.load((m) => this.log.warn(m));
    this.apply(config, rules);
    this.outputs = new Outputs({ stateDir: config.state_dir, log: this.log, onLimit: () => this.metrics.limitHits.inc({ limit: 'outbox_max' }), isFiring: (fp) => this.state.firing[fp] !== undefined });
    this.metrics.outputStats = () => (this.email ? [...this.outputs.stats(), this.email.queueStats] : this.outputs.stats());
    await this.outputs.apply(outputs, config.limits?.outbox_max ?? 1000);
    await this.applyEmail(config, smtp);
    for (const [fp, f] of Object.entries(this.state.firing)) this.log.info({ fingerprint: fp, firedAt: f.firedAt }, 'alert was firing before the restart: it will not be announced again');
    if (this.opts.metrics) {
      const port = await this.metrics.listen(this.opts.metrics.host, this.opts.metrics.port);
      this.log.info({ host: this.opts.metrics.host, port }, 'metrics listening');
    }
    this.log.info({ inputs: config.inputs.map((i) => i.path), rules: rules.rules.map((r) => r.id), stateDir: config.state_dir }, 'authwatch watch started');
    process.on('SIGHUP', () => void this.reload());
    process.on('SIGTERM', () => this.stop('SIGTERM'));
    process.on('SIGINT', () => this.stop('SIGINT'));
    await this.run();
  }

  private async reload(): Promise<void> {
    try {
      const { config, rules, smtp, outputs } = await this.loadAll();
      this.apply(config, rules);
      await this.outputs.apply(outputs, config.limits?.outbox_max ?? 1000);
      await this.applyEmail(config, smtp);
      this.watchDirectories();
      await this.startSyslog();
      this.log.info({ rules: rules.rules.map((r) => r.id) }, 'SIGHUP: configuration and rules reloaded');
    } catch (e) {
      const detail = e instanceof RuleLoadError ? e.problems.map((p) => `${p.file}:${p.line}: ${p.ruleId ?? ''} ${p.field}: ${p.message}`) : [(e as Error).message];
      this.log.error({ problems: detail }, 'SIGHUP: the new configuration or rules are invalid; still running the previous ones');
    }
  }

  private stop(signal: string): void {
    if (this.stopping) return;
    this.log.info({ signal }, 'stopping: reading what is left, then checkpointing');
    this.stopping = true;
    this.wake?.();
  }

  private watchDirectories(): void {
    for (const w of this.watchers) w.close();
    this.watchers = [];
    const dirs = new Set(this.config.inputs.filter(isFileInput).map((i) => path.dirname(picomatch.scan(i.path).isGlob ? picomatch.scan(i.path).base || '.' : i.path)));
    for (const dir of dirs) {
      try {
        // inotify only wakes the poller sooner; polling alone is correct.
        this.watchers.push(fsWatch(dir, { persistent: false }, () => this.wake?.()));
      } catch {
        /* a missing directory is reported by its follower */
      }
    }
  }

  private async discover(startAt: StartAt): Promise<void> {
    for (const input of this.config.inputs.filter(isFileInput)) {
      for (const file of await matchFiles(input.path)) {
        if (this.followers.has(file)) continue;
        if (this.inputsFull()) {
          this.sayNotRead(file, { input: file }, 'not followed: limits.max_files files and streams are read already');
          continue;
        }
        const st = new InputState(input.format ?? 'auto', this.state.counters[file]);
        st.decoder = this.decoderFor(file, st);
        this.inputs.set(file, st);
        const resume = this.state.files[file] ?? null;
        this.followers.set(
          file,
          new Follower(file, {
            line: (t, n, _file, plain) => this.onLine(st, t, n, plain),
            overflow: (_h, n, len) => {
              st.counters.read++;
              st.counters.malformed++;
              this.log.warn({ input: file, line: n, bytes: len }, 'line over the length limit: counted as malformed');
            },
            notice: (level, msg, fields) => this.log[level](fields, msg),
          }, resume ? 'start' : startAt, resume, this.config.limits?.max_line_bytes ?? DEFAULT_MAX_LINE_BYTES),
        );
      }
    }
  }

  /** (Re)starts the syslog listeners when their configuration changed (start and SIGHUP). */
  private async startSyslog(): Promise<void> {
    const inputs = this.config.inputs.filter(isSyslogInput);
    const signature = JSON.stringify(inputs);
    if (signature === this.syslogSignature) return;
    for (const { server } of this.syslogServers) await server.close();
    this.syslogServers = [];
    for (const input of inputs) {
      const l = input.syslog;
      const allowed = configCidrs('inputs.syslog.allowed_senders', l.allowed_senders);
      const bind = l.bind ?? '127.0.0.1';
      let name = `syslog:${l.protocol}:${bind}:${l.port}`;
      const server = new SyslogServer(
        { protocol: l.protocol, bind, port: l.port, maxMessageBytes: l.max_message_bytes ?? 65_536, receiveBufferBytes: l.receive_buffer_bytes ?? 4 * 1024 * 1024, maxConnections: l.max_connections ?? 256, allowed: l.allowed_senders ? allowed : () => true },
        {
          message: (m) => this.onSyslog(name, input, m),
          dropped: (reason, sender, detail) => {
            this.metrics.syslogDropped.inc({ listener: name, reason });
            if (this.metrics.syslogDropCount(name) <= 20) this.log.warn({ listener: name, sender, reason, detail }, 'syslog message dropped');
          },
          error: (e) => this.log.error({ listener: name, err: e.message }, 'syslog listener error'),
        },
      );
      const port = await server.start();
      name = `syslog:${l.protocol}:${bind}:${port}`;
      this.syslogServers.push({ name, server });
      this.log.info({ protocol: l.protocol, bind, port }, 'syslog listening');
    }
    this.syslogSignature = signature;
  }

  /** Files followed and syslog streams read share one bound, limits.max_files. */
  private inputsFull(): boolean {
    return this.followers.size + this.streams.size >= (this.config.limits?.max_files ?? DEFAULT_MAX_FILES);
  }

  /** An input left unread: counted and logged once, for the first few (syslog host names are the sender's to choose). */
  private sayNotRead(input: string, fields: object, msg: string): void {
    if (this.skippedFiles.has(input) || this.skippedFiles.size >= SKIPPED_SAID_MAX) return;
    this.skippedFiles.add(input);
    this.metrics.limitHits.inc({ limit: 'max_files' });
    this.log.warn({ ...fields, maxFiles: this.config.limits?.max_files ?? DEFAULT_MAX_FILES }, msg);
  }

  private onSyslog(listener: string, input: SyslogInputConfig, m: SyslogMessage): void {
    const key = `${listener}/${m.host}/${m.tag}`;
    let stream = this.streams.get(key);
    if (!stream) {
      if (this.inputsFull()) {
        // Every message of a stream past the limit is a counted drop.
        this.metrics.syslogDropped.inc({ listener, reason: 'stream_limit' });
        this.sayNotRead(key, { stream: key }, 'syslog stream not read: limits.max_files files and streams are read already');
        return;
      }
      stream = { st: new InputState(input.format ?? 'auto', undefined), lines: 0, host: m.host, listener };
      stream.st.decoder = this.decoderFor(key, stream.st, m.host);
      this.streams.set(key, stream);
      this.log.info({ stream: key, host: m.host, tag: m.tag }, 'new syslog stream');
    }
    this.onLine(stream.st, m.text, ++stream.lines, false);
  }

  private onLine(st: InputState, text: string, lineNo: number, plain: boolean): void {
    this.lastLineWall = Date.now();
    this.dirty = true;
    st.counters.read++;
    st.decoder.push(text, lineNo, plain);
  }

  /** The shared decoder (decode/) for one file or stream. `origin`: the sending host of a syslog stream, which becomes its events' host (rules may group by it). */
  private decoderFor(file: string, st: InputState, origin?: string): LineDecoder {
    return new LineDecoder(file, { format: st.spec, errorLogUtcOffsetMinutes: () => this.errorLogOffset(), yearReference: () => Date.now(), maxRecordBytes: this.config.limits?.max_line_bytes ?? DEFAULT_MAX_LINE_BYTES, sampleLines: 20 }, {
      event: (e) => {
        st.counters.parsed++;
        if (origin !== undefined) e.host = origin;
        this.trustProxy(e);
        if (this.isIgnoredIp(e.ip) || (e.userAgent !== '' && this.isIgnoredAgent(e.userAgent))) return;
        if (this.isFuture(file, e.line, e.time)) return;
        this.engine.add(e);
      },
      errorLine: (failure) => {
        st.counters.parsed++;
        if (failure === null) return;
        st.counters.authFailures++;
        if (origin !== undefined) failure.host = origin;
        if (this.isFuture(file, failure.line, failure.time)) return;
        if (!this.isIgnoredIp(failure.ip)) this.engine.addAuthFailure(failure);
      },
      malformed: (lineNo, reason) => this.malformed(file, st, lineNo, reason),
      skipped: () => undefined,
      decided: (d) => {
        if (d.ok) this.log.info({ input: file, format: d.name, envelope: d.envelope, mixed: d.mixed }, `detected format ${d.describe}`);
        else this.log.error({ input: file }, `${d.message}; its lines are counted as malformed`);
      },
    });
  }

  /**
   * An event dated more than max_future ahead of this machine's clock is counted and set aside: let
   * in, it would move the watermark there and make every event on time late (one line dated 9999
   * would silence the rules for good). Said for the first few, then every thousandth.
   */
  private isFuture(file: string, lineNo: number, time: number): boolean {
    const now = Date.now();
    if (time <= now + this.maxFutureMs) return false;
    this.metrics.eventsFuture.inc();
    this.futureSaid++;
    if (this.futureSaid <= 20 || this.futureSaid % 1000 === 0) {
      this.log.warn({ input: file, line: lineNo, eventTime: Number.isFinite(time) && Math.abs(time) <= 8.64e15 ? new Date(time).toISOString() : String(time), aheadSeconds: Math.round((time - now) / 1000), maxFutureSeconds: this.maxFutureMs / 1000, setAsideSoFar: this.futureSaid }, 'event dated ahead of the clock: set aside (is the server clock right?)');
    }
    return true;
  }

  /** Error logs have no zone: a daemon runs beside its web server, so they are in this machine's local time. */
  private errorLogOffset(): number {
    return -new Date().getTimezoneOffset();
  }

  /** Behind a trusted proxy, the client is the last address in X-Forwarded-For that is not a trusted proxy. */
  private trustProxy(e: LogEvent): void {
    if (e.forwardedFor === '' || !this.isTrustedProxy(e.ip)) return;
    const hops = e.forwardedFor.split(',').map((s) => s.trim()).filter((s) => isIP(s) !== 0);
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hops[i] as string;
      if (!this.isTrustedProxy(hop)) {
        e.ip = hop;
        return;
      }
    }
  }

  private malformed(file: string, st: InputState, lineNo: number, reason: string): void {
    st.counters.malformed++;
    if (st.counters.malformed <= 20 || st.counters.malformed % 1000 === 0) this.log.warn({ input: file, line: lineNo, reason, malformedSoFar: st.counters.malformed }, 'malformed line');
  }

  private onTransition(t: AlertTransition): void {
    const inc = t.incident;
    // A rule's `repeat`: an alert still firing is sent again (email only refreshes its figures: it has repeat_interval).
    if (t.repeat) {
      if (!this.firing.has(inc.fingerprint)) return; // inhibited when it fired
      this.firing.set(inc.fingerprint, inc);
      this.pendingAlerts.push({ ...inc, status: 'firing' });
      return;
    }
    if (t.status === 'firing') {
      const { inhibited } = applyInhibition([...this.firing.values(), inc], this.rules.inhibit);
      if (inhibited.some((x) => x.incident === inc)) {
        this.log.info({ fingerprint: inc.fingerprint }, 'alert inhibited: a firing alert explains it');
        return;
      }
      this.firing.set(inc.fingerprint, inc);
      if (this.state.firing[inc.fingerprint]) {
        this.log.info({ fingerprint: inc.fingerprint }, 'alert still firing after a restart: not announced again');
        return;
      }
      this.state.firing[inc.fingerprint] = { firedAt: inc.firedAt, start: inc.start };
    } else {
      if (!this.firing.has(inc.fingerprint) && !this.state.firing[inc.fingerprint]) return; // was inhibited
      this.firing.delete(inc.fingerprint);
      delete this.state.firing[inc.fingerprint];
    }
    this.dirty = true;
    this.pendingAlerts.push({ ...inc, status: t.status });
  }

  /**
   * Queues new alerts in every output's outbox on disk, then checkpoints at once so the firing set on
   * disk matches what was queued. Sending is each output's own loop: nothing here waits for a receiver.
   */
  private async deliver(): Promise<boolean> {
    if (this.pendingAlerts.length === 0) return false;
    const alerts = this.pendingAlerts;
    this.pendingAlerts = [];
    for (const alert of alerts) this.log.info({ fingerprint: alert.fingerprint, status: alert.status, rule: alert.rule }, alert.summary);
    // On disk in the outboxes and the email queue before the checkpoint records these alerts as announced.
    await this.outputs.accept(alerts);
    if (this.email) await this.email.accept(alerts).catch((e: Error) => this.log.error({ error: e.message }, 'email queue write failed'));
    await this.checkpoint();
    return true;
  }

  private async checkpoint(): Promise<void> {
    for (const [file, f] of this.followers) {
      const cp = f.checkpoint();
      if (cp) this.state.files[file] = cp;
      this.state.counters[file] = (this.inputs.get(file) as InputState).counters;
    }
    await this.store.save(this.state);
    this.metrics.lastCheckpoint = Date.now();
    this.dirty = false;
  }

  private async run(): Promise<void> {
    const pollMs = durationMs(this.config.poll_interval ?? '250ms');
    const checkpointMs = durationMs(this.config.checkpoint_interval ?? '2s');
    await this.discover(this.opts.fromStart ? 'start' : 'end');
    this.watchDirectories();
    // Open and position every input before saying so: "from the end" means the end at this moment.
    for (const f of this.followers.values()) await f.poll();
    await this.startSyslog();
    this.log.info({ files: [...this.followers.keys()], syslog: this.syslogServers.map((s) => s.name) }, 'ready: following');
    let lastCheckpoint = 0;
    let lastDiscover = Date.now();
    for (;;) {
      for (const [file, f] of this.followers) {
        await f.poll();
        this.metrics.lagBytes.set({ input: file }, f.lagBytes);
        const st = this.inputs.get(file) as InputState;
        // The poll read the file to its end: detect from what there is rather than wait for a full
        // sample, or its lines would reach the engine after newer lines of other files (and be late).
        if (st.decoder.holdingContent) st.decoder.decide();
      }
      // A syslog stream's first lines: detect from what arrived rather than wait for a full sample.
      for (const { st } of this.streams.values()) if (st.decoder.holdingContent && Date.now() - this.lastLineWall > pollMs) st.decoder.decide();
      const idle = Date.now() - this.lastLineWall;
      if (idle > pollMs) this.engine.advanceIdle(this.engine.newestEventTime + idle);
      if (await this.deliver()) lastCheckpoint = Date.now();
      this.metrics.eventsLate.set(this.engine.stats.late);
      this.metrics.keyEvictions.set(this.engine.evictions);
      this.metrics.alertsFiring.set(this.firing.size);
      if (Date.now() - lastDiscover > 1000) {
        for (const { name, server } of this.syslogServers) {
          const drops = await server.kernelDrops();
          if (drops !== null) this.metrics.syslogKernelDrops.set({ listener: name }, drops);
        }
        await this.discover('start');
        lastDiscover = Date.now();
      }
      if (this.stopping) break;
      if (this.dirty && Date.now() - lastCheckpoint >= checkpointMs) {
        await this.checkpoint();
        lastCheckpoint = Date.now();
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pollMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
    for (const f of this.followers.values()) await f.poll();
    await this.deliver();
    await this.checkpoint();
    for (const f of this.followers.values()) await f.close();
    for (const w of this.watchers) w.close();
    for (const { server } of this.syslogServers) await server.close();
    await this.email?.stop();
    await this.outputs.stop();
    await this.metrics.close();
    this.log.info({ engine: this.engine.stats }, 'stopped after a final checkpoint');
  }
}
