/** authwatch.yaml: what `authwatch watch` follows, where it keeps state, and where alerts go. */
import { z } from 'zod';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { FormatSpecSchema } from '../decode/formats';
import { DurationSchema, SEVERITIES } from '../rules/schema';
import { ProblemListError, UsageError } from '../errors';
import { YamlSource, formatYamlPath, type YamlProblem } from './yaml';

const Cidr = z.string().regex(/^[0-9a-fA-F:.]+\/\d{1,3}$/, 'a CIDR such as 10.0.0.0/8');

const SyslogListenerSchema = z.strictObject({
  protocol: z.enum(['udp', 'tcp']).describe('udp: nginx access_log/error_log syslog:server=…; tcp: rsyslog/logger (octet counting or newline framing)'),
  bind: z.string().min(1).optional().describe('address to listen on (default 127.0.0.1)'),
  port: z.number().int().min(0).max(65535).describe('0: any free port (logged)'),
  allowed_senders: z.array(Cidr).optional().describe('CIDRs allowed to send (default: any that can reach the bind address)'),
  max_message_bytes: z.number().int().min(256).max(1_048_576).optional().describe('longer messages are dropped and counted (default 65536)'),
  receive_buffer_bytes: z.number().int().min(65_536).optional().describe('UDP socket receive buffer (default 4 MiB); kernel drops are in /metrics'),
  max_connections: z.number().int().min(1).max(65_536).optional().describe('TCP connections at once (default 256); more are refused and counted'),
});

/** One object with either `path` or `syslog` (not a zod union: its errors would lose the field that is wrong). */
export const InputSchema = z
  .strictObject({
    path: z.string().min(1).optional().describe('a file or a glob (new matching files are picked up)'),
    syslog: SyslogListenerSchema.optional().describe('listen for syslog messages instead of following files'),
    format: FormatSpecSchema.optional().describe('default auto (for syslog: detected per sending host and tag)'),
  })
  .refine((i) => (i.path === undefined) !== (i.syslog === undefined), 'give either path (files) or syslog (a listener)');
export type InputConfig = z.infer<typeof InputSchema>;
export type FileInputConfig = InputConfig & { path: string };
export type SyslogInputConfig = InputConfig & { syslog: z.infer<typeof SyslogListenerSchema> };

export function isSyslogInput(i: InputConfig): i is SyslogInputConfig {
  return i.syslog !== undefined;
}

export function isFileInput(i: InputConfig): i is FileInputConfig {
  return i.path !== undefined;
}

const OutputName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, 'lower-case letters, digits, - and _ (at most 40): it names the outbox directory and the metrics label')
  .optional()
  .describe('names the output in logs, metrics and its outbox directory (default: its type; needed when two outputs share a type)');

const HttpUrl = z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL' });

/** Credentials for an HTTP receiver: from the environment or a file, never written in the config. */
const HttpAuthSchema = z
  .strictObject({
    user: z.string().min(1).optional().describe('basic auth: the user name (with pass_env or pass_file)'),
    pass_env: z.string().min(1).optional().describe('basic auth: the environment variable holding the password'),
    pass_file: z.string().min(1).optional().describe('basic auth: a file holding the password (trailing newline ignored)'),
    token_env: z.string().min(1).optional().describe('bearer token: the environment variable holding it'),
    token_file: z.string().min(1).optional().describe('bearer token: a file holding it (trailing newline ignored)'),
  })
  .refine((a) => {
    const basic = a.user !== undefined && (a.pass_env === undefined) !== (a.pass_file === undefined);
    const bearer = (a.token_env === undefined) !== (a.token_file === undefined);
    const none = (...ks: Array<string | undefined>) => ks.every((k) => k === undefined);
    return (basic && none(a.token_env, a.token_file)) || (bearer && none(a.user, a.pass_env, a.pass_file));
  }, 'give user with one of pass_env or pass_file (basic auth), or one of token_env or token_file (bearer token); a secret is never written in the config');

const RetrySchema = z.strictObject({ initial: DurationSchema.optional(), max: DurationSchema.optional() });

/** What every HTTP output takes: timeout, retry backoff, credentials, TLS. */
const httpOptions = {
  timeout: DurationSchema.optional().describe('for one request, connect to last byte of the answer (default 10s)'),
  retry: RetrySchema.optional().describe('backoff while the receiver is down or answers 408/429/5xx (default 5s doubling to 5m)'),
  auth: HttpAuthSchema.optional(),
  tls_verify: z.boolean().optional().describe('verify the server certificate (default true)'),
  ca_file: z.string().min(1).optional().describe('PEM file of the CA that signed the server certificate'),
};

/** Checked by hand rather than as the record's key schema: zod reports a bad key only as "Invalid key in record". */
const LabelsSchema = z.record(z.string(), z.string().max(1024)).superRefine((labels, ctx) => {
  for (const k of Object.keys(labels)) if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(k)) ctx.addIssue({ code: 'custom', path: [k], message: 'not a label name: letters, digits and _, not starting with a digit' });
});

/** Labels and links of alerts in Alertmanager's shape (the alertmanager output and webhooks with format: alertmanager). */
const alertShapeOptions = {
  labels: LabelsSchema.optional().describe('static labels added to every alert (an alert\'s own labels win)'),
  generator_url: HttpUrl.optional().describe('link back from each alert (e.g. to a report); {rule} is replaced by the rule id'),
  sample_lines: z.number().int().min(0).max(20).optional().describe('log lines quoted in the samples annotation (default 5)'),
};

export const OutputSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('stdout') }),
  z.strictObject({ type: z.literal('jsonl'), name: OutputName, path: z.string().min(1), retry: RetrySchema.optional() }),
  z.strictObject({
    type: z.literal('webhook'),
    name: OutputName,
    url: HttpUrl,
    format: z.enum(['authwatch', 'alertmanager']).optional().describe("authwatch (default): one alert object a request; alertmanager: the body of Alertmanager's webhook receiver"),
    receiver: z.string().min(1).max(100).optional().describe('format alertmanager: the receiver field (default: the output name)'),
    external_url: HttpUrl.optional().describe('format alertmanager: the externalURL field (default empty)'),
    ...httpOptions,
    ...alertShapeOptions,
  }),
  z.strictObject({
    type: z.literal('alertmanager'),
    name: OutputName,
    urls: z.array(HttpUrl).min(1).describe('every Alertmanager of an HA set: each gets every alert (as Prometheus does)'),
    resend_interval: DurationSchema.optional().describe("firing alerts are sent again this often; keep it under Alertmanager's resolve_timeout (default 1m; resolve_timeout defaults to 5m)"),
    ...httpOptions,
    ...alertShapeOptions,
  }),
]);
export type OutputConfig = z.infer<typeof OutputSchema>;
export type WebhookOutputConfig = Extract<OutputConfig, { type: 'webhook' }>;
export type AlertmanagerOutputConfig = Extract<OutputConfig, { type: 'alertmanager' }>;

/** The name an output goes by: its own, or its type. */
export function outputName(o: OutputConfig): string {
  return ('name' in o ? o.name : undefined) ?? o.type;
}

const OutputsSchema = z.array(OutputSchema).superRefine((outputs, ctx) => {
  const seen = new Set<string>();
  outputs.forEach((o, i) => {
    const name = outputName(o);
    if (seen.has(name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `two outputs are named ${name}: give each its own name (it names the outbox directory)` });
    seen.add(name);
    if (o.type === 'alertmanager' && new Set(o.urls.map((u) => u.replace(/\/+$/, ''))).size < o.urls.length) ctx.addIssue({ code: 'custom', path: [i, 'urls'], message: 'the same Alertmanager is listed twice' });
    if (o.type === 'webhook' && (o.format ?? 'authwatch') === 'authwatch') {
      for (const k of ['labels', 'generator_url', 'sample_lines', 'receiver', 'external_url'] as const) {
        if (o[k] !== undefined) ctx.addIssue({ code: 'custom', path: [i, k], message: `${k} applies to format: alertmanager only` });
      }
    }
  });
});

/** Alert labels an email group can be keyed by (an incident's rule, kind, severity and group fields). */
export const GROUP_LABELS = ['rule', 'kind', 'severity', 'ip', 'path', 'client', 'user', 'host'] as const;

export const TimeZoneSchema = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'an IANA time zone such as Europe/Paris or UTC');

export const SmtpSchema = z.strictObject({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).optional().describe('default 587, or 465 with secure'),
  secure: z.boolean().optional().describe('TLS from the first byte (port 465); otherwise STARTTLS when offered'),
  starttls: z.enum(['auto', 'required', 'never']).optional().describe('default auto: used when the server offers it'),
  tls_verify: z.boolean().optional().describe('verify the server certificate (default true)'),
  auth: z
    .strictObject({
      user: z.string().min(1),
      pass_env: z.string().min(1).optional().describe('name of the environment variable holding the password'),
      pass_file: z.string().min(1).optional().describe('file holding the password (trailing newline ignored)'),
    })
    .refine((a) => (a.pass_env === undefined) !== (a.pass_file === undefined), 'give exactly one of pass_env or pass_file (a password is never written in the config)')
    .optional(),
  timeout: DurationSchema.optional().describe('connect/greeting timeout (default 10s)'),
});
export type SmtpConfig = z.infer<typeof SmtpSchema>;

export const EmailSchema = z.strictObject({
  smtp: SmtpSchema,
  from: z.string().min(3),
  to: z.array(z.string().min(3)).min(1),
  subject_prefix: z.string().max(40).optional().describe('default [authwatch]'),
  min_severity: z.enum(SEVERITIES).optional().describe('alerts below it are not emailed (default low: all)'),
  send_resolved: z.boolean().optional().describe('send a notice when an alert resolves (default true)'),
  group_by: z.array(z.enum(GROUP_LABELS)).optional().describe('alerts with the same values share an email (default [rule])'),
  group_wait: DurationSchema.optional().describe('wait before the first email of a new group, to gather its alerts (default 30s)'),
  group_interval: DurationSchema.optional().describe('wait before an email about changes to a group already notified (default 5m)'),
  repeat_interval: DurationSchema.optional().describe('remind of alerts still firing after this long (default 4h)'),
  max_per_hour: z.number().int().min(1).optional().describe('at most this many emails an hour; the rest fold into one digest (default 20)'),
  retry: z.strictObject({ initial: DurationSchema.optional(), max: DurationSchema.optional() }).optional().describe('backoff while the server is unreachable (default 5s doubling to 10m)'),
  timezone: TimeZoneSchema.optional().describe('times are shown in UTC and in this zone (default UTC only)'),
  sample_lines: z.number().int().min(0).max(50).optional().describe('log lines quoted per alert (default 5)'),
});
export type EmailConfig = z.infer<typeof EmailSchema>;

/** Resource bounds: what an attacker who writes the logs (or fills a directory) can make authwatch hold. Each hit is counted and logged. */
export const LimitsSchema = z.strictObject({
  max_line_bytes: z.number().int().min(256).optional().describe('longer lines are counted as malformed (default 65536)'),
  max_files: z.number().int().min(1).optional().describe('files followed at once; more matching a glob are skipped and said (default 512)'),
  key_capacity: z.number().int().min(100).optional().describe('keys kept per rule table; past it the lightest are evicted and figures marked approximate (default 20000)'),
  outbox_max: z.number().int().min(1).optional().describe('notifications queued on disk per output (emails: past it, alerts wait in their groups; other outputs: past it, a notification is refused, counted and logged) (default 1000)'),
});
export type Limits = z.infer<typeof LimitsSchema>;

export const ConfigSchema = z.strictObject({
  inputs: z.array(InputSchema).min(1),
  rules: z.string().min(1).optional().describe('rule directory (default: the bundled rules/)'),
  state_dir: z.string().min(1),
  trusted_proxies: z.array(Cidr).optional().describe('peers whose X-Forwarded-For is believed'),
  ignore: z.strictObject({ cidrs: z.array(Cidr).optional(), user_agents: z.array(z.string().min(1)).optional() }).optional(),
  outputs: OutputsSchema.optional().describe('default: stdout'),
  limits: LimitsSchema.optional().describe('resource bounds'),
  email: EmailSchema.optional().describe('email alerts through SMTP (grouped, rate-limited, queued on disk)'),
  poll_interval: DurationSchema.optional().describe('how often files are checked (default 250ms; inotify wakes it sooner)'),
  checkpoint_interval: DurationSchema.optional().describe('default 2s'),
  allowed_lateness: DurationSchema.optional().describe('how far behind the newest event a line may arrive and still count (default 60s)'),
  max_future: DurationSchema.optional().describe('events dated further ahead of this machine\'s clock are counted and set aside, never analysed (default: allowed_lateness, so that no event on time is made late)'),
});
export type Config = z.infer<typeof ConfigSchema>;

/** An output with its file paths (the jsonl file, a CA file, password and token files) made absolute. */
function outputPaths(o: OutputConfig, abs: (p: string) => string): OutputConfig {
  const opt = (p: string | undefined) => (p === undefined ? undefined : abs(p));
  if (o.type === 'jsonl') return { ...o, path: abs(o.path) };
  if (o.type === 'stdout') return o;
  return { ...o, ca_file: opt(o.ca_file), auth: o.auth && { ...o.auth, pass_file: opt(o.auth.pass_file), token_file: opt(o.auth.token_file) } };
}

/** Validates a config's text: the config, or every problem in it as `file:line:column: field: message`, sorted by position. */
export function validateConfigText(file: string, text: string): { ok: true; config: Config } | { ok: false; problems: string[] } {
  const { source, problems } = YamlSource.parse(text);
  const at = (p: YamlProblem) => `${file}:${p.line}:${p.column}: ${p.path.length > 0 ? formatYamlPath(p.path) + ': ' : ''}${p.message}`;
  if (!source) return { ok: false, problems: problems.map(at) };
  const parsed = ConfigSchema.safeParse(source.data ?? {});
  if (parsed.success) return { ok: true, config: parsed.data };
  return { ok: false, problems: source.problemsFor(parsed.error.issues, ConfigSchema).map(at) };
}

/** Loads and validates the config; relative paths are relative to the config file. Errors name file:line and field. */
export async function loadConfig(file: string): Promise<Config> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    throw new UsageError(`${file}: cannot read the config (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const parsed = validateConfigText(file, text);
  if (!parsed.ok) throw new ProblemListError(parsed.problems);
  const base = path.dirname(path.resolve(file));
  const abs = (p: string) => (path.isAbsolute(p) ? p : path.join(base, p));
  const c = parsed.config;
  return {
    ...c,
    inputs: c.inputs.map((i) => (isFileInput(i) ? { ...i, path: abs(i.path) } : i)),
    rules: c.rules === undefined ? undefined : abs(c.rules),
    state_dir: abs(c.state_dir),
    outputs: c.outputs?.map((o) => outputPaths(o, abs)),
    email: c.email?.smtp.auth?.pass_file === undefined ? c.email : { ...c.email, smtp: { ...c.email.smtp, auth: { ...c.email.smtp.auth, pass_file: abs(c.email.smtp.auth.pass_file) } } },
  };
}

/** The JSON Schema of authwatch.yaml as written (input side: durations as strings), for editors. */
export function configJsonSchema(): unknown {
  return z.toJSONSchema(ConfigSchema, { io: 'input' });
}
