/**
 * authwatch's alerts in Prometheus Alertmanager's shape: labels (alertname = the rule, kind,
 * severity, the group key's fields, the host when there is one, static labels from the config),
 * annotations (summary, likely cause, checks, evidence, sample lines: each bounded), startsAt, endsAt
 * on resolution, generatorURL. Two receivers use it:
 *   - the `alertmanager` output posts them to `/api/v2/alerts` of every Alertmanager of an HA set (as
 *     Prometheus does), each with its own queue, and sends firing ones again every `resend_interval`,
 *     so that Alertmanager's own `resolve_timeout` ends them if authwatch dies;
 *   - a webhook with `format: alertmanager` posts the body Alertmanager's webhook receiver posts
 *     (version 4), so anything built for Alertmanager webhooks takes authwatch's alerts directly.
 * Label and annotation values are log values: control characters are shown as escapes and lengths
 * bounded, so a crafted path cannot break a downstream template or balloon a request.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Alert } from '../daemon/outputs';
import { viewIncident } from '../present/incident';
import { forTerminal, truncate } from '../report/sanitize';
import { notificationKey } from './dedup';
import { QueuedSchema } from './outbox';
import { postJson, type HttpTarget } from './http';
import type { Receiver } from './queue';
import type { BodyEntry } from './receivers';

export interface AlertShape {
  /** Static labels from the config; an alert's own labels win. */
  labels: Record<string, string>;
  /** `{rule}` is replaced by the rule id. */
  generatorUrl?: string;
  sampleLines: number;
}

export const PostableAlertSchema = z.object({
  labels: z.record(z.string(), z.string()),
  annotations: z.record(z.string(), z.string()),
  startsAt: z.string(),
  /** Absent while firing: Alertmanager then ends the alert resolve_timeout after it last heard of it. */
  endsAt: z.string().optional(),
  generatorURL: z.string().optional(),
});
export type PostableAlert = z.infer<typeof PostableAlertSchema>;

/** Longer label values are cut and given a hash of the whole, so two long values stay two alerts. */
const MAX_LABEL_VALUE = 256;
const MAX_ANNOTATION = 4096;
const MAX_SAMPLE_LINE = 300;

/** A log value as label or annotation text: control characters shown as escapes, bounded. */
function logText(s: string, max: number): string {
  return truncate(forTerminal(s), max);
}

function labelValue(v: string): string {
  const safe = forTerminal(v);
  if (safe.length <= MAX_LABEL_VALUE) return safe;
  return `${safe.slice(0, MAX_LABEL_VALUE - 18)}…#${createHash('sha256').update(v).digest('hex').slice(0, 16)}`;
}

/** A label name Alertmanager accepts ([a-zA-Z_][a-zA-Z0-9_]*): group fields are (ip, path_prefix…), this keeps it so. */
function labelName(k: string): string {
  const n = k.replace(/[^a-zA-Z0-9_]/g, '_');
  return /^[0-9]/.test(n) ? `_${n}` : n;
}

export function alertLabels(a: Alert, staticLabels: Record<string, string>): Record<string, string> {
  const own: Record<string, string> = { alertname: a.rule, kind: a.kind, severity: a.severity };
  for (const [k, v] of Object.entries(a.group)) if (v !== '') own[labelName(k)] = labelValue(v);
  const hosts = a.top.host ?? [];
  if (own.host === undefined && hosts.length === 1) own.host = labelValue((hosts[0] as { key: string }).key);
  return { ...staticLabels, ...own };
}

export function alertAnnotations(a: Alert, sampleLines: number): Record<string, string> {
  const view = viewIncident(a, 1, { timeZone: 'UTC' });
  const evidence = `${view.evidence}. Rule ${a.rule} matched: ${view.conditions.join('; ')}.`;
  const annotations: Record<string, string> = {
    summary: logText(a.summary, MAX_ANNOTATION),
    likely_cause: logText(a.likely_cause, MAX_ANNOTATION),
    checks: a.checks.map((c, i) => `${i + 1}. ${logText(c, MAX_SAMPLE_LINE * 2)}`).join('\n').slice(0, MAX_ANNOTATION),
    evidence: logText(evidence, MAX_ANNOTATION),
  };
  const samples = a.samples.slice(0, sampleLines).map((s) => logText(s, MAX_SAMPLE_LINE));
  if (samples.length > 0) annotations.samples = samples.join('\n').slice(0, MAX_ANNOTATION);
  return annotations;
}

/** An alert as Alertmanager's API takes it. A resolution ends at the last failure, never later than now nor before the start. */
export function postableAlert(a: Alert, shape: AlertShape, now: number): PostableAlert {
  const start = Date.parse(a.start);
  const alert: PostableAlert = { labels: alertLabels(a, shape.labels), annotations: alertAnnotations(a, shape.sampleLines), startsAt: new Date(start).toISOString() };
  if (a.status === 'resolved') alert.endsAt = new Date(Math.max(start, Math.min(Date.parse(a.end), now))).toISOString();
  if (shape.generatorUrl) alert.generatorURL = shape.generatorUrl.replace('{rule}', encodeURIComponent(a.rule));
  return alert;
}

/**
 * Alertmanager's fingerprint of a label set (prometheus/common model.LabelSet.Fingerprint): FNV-1a
 * 64 over the names in sorted order, each name and value followed by a 0xff byte, as 16 hex digits.
 * Written out because no npm package does this one hash; BigInt is fine off the hot path.
 */
export function fingerprintOf(labels: Record<string, string>): string {
  const PRIME = 0x100000001b3n;
  const MASK = 0xffffffffffffffffn;
  let h = 0xcbf29ce484222325n;
  const add = (bytes: Iterable<number>) => {
    for (const b of bytes) h = ((h ^ BigInt(b)) * PRIME) & MASK;
  };
  for (const name of Object.keys(labels).sort()) {
    add(Buffer.from(name, 'utf8'));
    add([0xff]);
    add(Buffer.from(labels[name] as string, 'utf8'));
    add([0xff]);
  }
  return h.toString(16).padStart(16, '0');
}

/** An Alertmanager queue entry: the alert as last composed, keyed by its Alertmanager fingerprint (a newer state replaces an older one). */
export const AlertmanagerEntrySchema = QueuedSchema.extend({ fingerprint: z.string(), alert: PostableAlertSchema });
export type AlertmanagerEntry = z.infer<typeof AlertmanagerEntrySchema>;

/** Alerts per request, as Prometheus batches them. */
const BATCH = 64;

/**
 * One Alertmanager of the output: state-like (the newest state of each alert replaces the queued one,
 * no notification log needed); a firing alert stays in the outbox after it was accepted and is sent
 * again every `resendMs` while the daemon still has it firing (`isFiring`); a resolved one is removed
 * once accepted.
 */
export function alertmanagerReceiver(target: HttpTarget, shape: AlertShape, resendMs: number, isFiring: (fingerprint: string) => boolean): Receiver<AlertmanagerEntry> {
  const endpoint = new URL(`${target.url.pathname.replace(/\/+$/, '')}/api/v2/alerts`, target.url);
  return {
    dedup: false,
    compose: (alerts, now) =>
      alerts.map((a) => {
        const alert = postableAlert(a, shape, now);
        const entry: AlertmanagerEntry = { id: `am-${fingerprintOf(alert.labels)}`, createdAt: new Date(now).toISOString(), attempts: 0, nextAttemptAt: now, lastError: null, fingerprint: a.fingerprint, alert };
        return { entry, fingerprints: [a.fingerprint] };
      }),
    same: (queued, next) => JSON.stringify(queued.alert) === JSON.stringify(next.alert),
    integration: {
      what: 'Alertmanager alerts',
      batchSize: BATCH,
      send: (batch, signal) => postJson(target, endpoint, JSON.stringify(batch.map((e) => e.alert)), signal),
      resendAt: (e, now) => (e.alert.endsAt === undefined ? now + resendMs : null),
      // Accepted before and no longer firing here (a restart lost it, a rule changed): stop re-sending; resolve_timeout ends it there.
      obsolete: (e) => e.acceptedAt !== undefined && e.alert.endsAt === undefined && !isFiring(e.fingerprint),
      acceptedFields: (e) => ({ fingerprint: e.fingerprint, alertmanagerFingerprint: e.id.slice(3), status: e.alert.endsAt === undefined ? 'firing' : 'resolved' }),
    },
  };
}

/** Alertmanager's Go zero time: what its webhook says for endsAt while an alert fires. */
const GO_ZERO_TIME = '0001-01-01T00:00:00Z';

/** Go's %q of a label value, near enough: JSON quoting escapes the same characters for what labels hold. */
function groupKeyOf(groupLabels: Record<string, string>): string {
  return `{}:{${Object.keys(groupLabels).sort().map((k) => `${k}=${JSON.stringify(groupLabels[k])}`).join(', ')}}`;
}

function common(maps: Array<Record<string, string>>): Record<string, string> {
  const [first, ...rest] = maps;
  return Object.fromEntries(Object.entries(first ?? {}).filter(([k, v]) => rest.every((m) => m[k] === v)));
}

/** Messages per request at most; more alerts of one rule go in several messages rather than being cut (truncatedAlerts stays 0). */
const MAX_ALERTS_PER_MESSAGE = 100;

export interface WebhookMessageOptions extends AlertShape {
  receiver: string;
  externalUrl: string;
}

/** The body Alertmanager's webhook receiver posts (notify/webhook Message, version 4) for alerts of one rule, grouped by alertname as a root route would. */
export function webhookMessage(alerts: Alert[], o: WebhookMessageOptions, now: number): object {
  const shaped = alerts.map((a) => ({ a, p: postableAlert(a, o, now) }));
  const groupLabels = { alertname: (alerts[0] as Alert).rule };
  return {
    receiver: o.receiver,
    status: alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
    alerts: shaped.map(({ a, p }) => ({
      status: a.status,
      labels: p.labels,
      annotations: p.annotations,
      startsAt: p.startsAt,
      endsAt: p.endsAt ?? GO_ZERO_TIME,
      generatorURL: p.generatorURL ?? '',
      fingerprint: fingerprintOf(p.labels),
    })),
    groupLabels,
    commonLabels: common(shaped.map(({ p }) => p.labels)),
    commonAnnotations: common(shaped.map(({ p }) => p.annotations)),
    externalURL: o.externalUrl,
    version: '4',
    groupKey: groupKeyOf(groupLabels),
    truncatedAlerts: 0,
  };
}

/** Webhook entries in Alertmanager's format: the alerts of one batch grouped by rule, one message per group (split past 100 alerts). */
export function alertmanagerWebhookCompose(o: WebhookMessageOptions): Receiver<BodyEntry>['compose'] {
  return (alerts, now, newId) => {
    const byRule = new Map<string, Alert[]>();
    for (const a of alerts) byRule.set(a.rule, [...(byRule.get(a.rule) ?? []), a]);
    const out: Array<{ entry: BodyEntry; fingerprints: string[] }> = [];
    for (const group of byRule.values()) {
      for (let i = 0; i < group.length; i += MAX_ALERTS_PER_MESSAGE) {
        const part = group.slice(i, i + MAX_ALERTS_PER_MESSAGE);
        const fingerprints = part.map((a) => a.fingerprint);
        const entry: BodyEntry = { id: newId(part.map(notificationKey).join('\n')), createdAt: new Date(now).toISOString(), attempts: 0, nextAttemptAt: now, lastError: null, fingerprints, body: JSON.stringify(webhookMessage(part, o, now)) };
        out.push({ entry, fingerprints });
      }
    }
    return out;
  };
}
