/**
 * Alert grouping in the Alertmanager sense, on wall-clock time: alerts sharing the `group_by`
 * labels share an email. A new group waits `group_wait` to gather its alerts; a notified group
 * with changes waits `group_interval` after its last email; alerts still firing are repeated after
 * `repeat_interval`. Pure state (serializable, `now` passed in) so the notifier can persist it and
 * tests can drive it without timers.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Alert } from '../daemon/outputs';
import { GROUP_LABELS } from '../config/schema';
import { SEVERITIES, type Severity } from '../rules/schema';

export type GroupLabel = (typeof GROUP_LABELS)[number];

export interface GroupingPolicy {
  groupBy: GroupLabel[];
  groupWaitMs: number;
  groupIntervalMs: number;
  repeatIntervalMs: number;
  sendResolved: boolean;
  minSeverity: Severity;
}

/** An alert as the group holds it: what was last said of it in an email. */
const MemberSchema = z.object({
  alert: z.custom<Alert>((v) => typeof v === 'object' && v !== null && 'fingerprint' in v),
  notified: z.enum(['none', 'firing']),
});

export const GroupStateSchema = z.object({
  labels: z.record(z.string(), z.string()),
  members: z.record(z.string(), MemberSchema),
  createdAt: z.number(),
  lastSentAt: z.number().nullable(),
  /** Something happened since the last email (a new alert, a resolution). */
  changed: z.boolean(),
  /** Message-ID of the group's first email: later ones reply to it, so a mail client threads them. */
  threadId: z.string().nullable(),
});
export type GroupState = z.infer<typeof GroupStateSchema>;

/** What one email says about one group. */
export interface GroupFlush {
  key: string;
  labels: Record<string, string>;
  firing: Alert[];
  /** Alerts that were firing and ended (or fired and ended before the first email). */
  resolved: Alert[];
  /** A reminder: nothing changed, the alerts are still firing after repeat_interval. */
  repeat: boolean;
  threadId: string | null;
}

export function labelsOf(alert: Alert, groupBy: GroupLabel[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const l of groupBy) {
    const v = l === 'rule' ? alert.rule : l === 'kind' ? alert.kind : l === 'severity' ? alert.severity : alert.group[l];
    labels[l] = v ?? '';
  }
  return labels;
}

export function groupKeyOf(labels: Record<string, string>): string {
  return createHash('sha256').update(JSON.stringify(Object.entries(labels))).digest('hex').slice(0, 16);
}

export class Grouper {
  constructor(
    private policy: GroupingPolicy,
    readonly groups: Map<string, GroupState> = new Map(),
  ) {}

  setPolicy(policy: GroupingPolicy): void {
    this.policy = policy;
  }

  /** Takes an alert transition; returns false when the policy ignores it (below min severity, or nothing new). */
  accept(alert: Alert, now: number): boolean {
    if (SEVERITIES.indexOf(alert.severity) < SEVERITIES.indexOf(this.policy.minSeverity)) return false;
    const labels = labelsOf(alert, this.policy.groupBy);
    const key = groupKeyOf(labels);
    let g = this.groups.get(key);
    if (alert.status === 'resolved') {
      const m = g?.members[alert.fingerprint];
      if (!g || !m) return false; // never announced (or filtered): nothing to resolve
      if (m.notified === 'none' || this.policy.sendResolved) {
        m.alert = alert;
        g.changed = true;
      } else delete g.members[alert.fingerprint];
      if (Object.keys(g.members).length === 0) this.groups.delete(key);
      return true;
    }
    if (!g) {
      g = { labels, members: {}, createdAt: now, lastSentAt: null, changed: false, threadId: null };
      this.groups.set(key, g);
    }
    const m = g.members[alert.fingerprint];
    // The same alert again (a daemon restart before its checkpoint): refresh its figures, say nothing new.
    if (m && m.alert.status === 'firing') {
      m.alert = alert;
      return false;
    }
    g.members[alert.fingerprint] = { alert, notified: 'none' };
    g.changed = true;
    return true;
  }

  /** Groups whose email is due at `now`, oldest first. Does not change state: see markSent. */
  due(now: number): GroupFlush[] {
    const out: Array<GroupFlush & { since: number }> = [];
    for (const [key, g] of this.groups) {
      const members = Object.values(g.members);
      const firing = members.filter((m) => m.alert.status === 'firing').map((m) => m.alert);
      const resolved = members.filter((m) => m.alert.status === 'resolved').map((m) => m.alert);
      let repeat = false;
      if (g.changed) {
        if (g.lastSentAt === null ? now - g.createdAt < this.policy.groupWaitMs : now - g.lastSentAt < this.policy.groupIntervalMs) continue;
      } else if (firing.length > 0 && g.lastSentAt !== null && now - g.lastSentAt >= this.policy.repeatIntervalMs) {
        repeat = true;
      } else continue;
      out.push({ key, labels: g.labels, firing, resolved, repeat, threadId: g.threadId, since: g.lastSentAt ?? g.createdAt });
    }
    return out.sort((a, b) => a.since - b.since).map(({ since: _since, ...f }) => f);
  }

  /** The group's email is in the outbox: its firing alerts are announced, its resolved ones are done. */
  markSent(key: string, now: number, messageId: string): void {
    const g = this.groups.get(key);
    if (!g) return;
    for (const [fp, m] of Object.entries(g.members)) {
      if (m.alert.status === 'resolved') delete g.members[fp];
      else m.notified = 'firing';
    }
    g.lastSentAt = now;
    g.changed = false;
    g.threadId ??= messageId;
    if (Object.keys(g.members).length === 0) this.groups.delete(key);
  }
}
