/**
 * Matching reported incidents to what was injected (the definition is in eval/README.md):
 *
 * A reported incident matches an injected one when
 *   1. their times overlap, the injected span widened by 10 min before (a window reaches back) and
 *      30 min after (an incident resolves after a quiet period), and
 *   2. it names the actor: a value of its group key is one of the actor's (address, address inside a
 *      subnet the actor used, path under one of the actor's paths or above it, user agent, user), or —
 *      for a site-wide incident, whose group names nobody — one of the first three entries of its top
 *      addresses, paths, clients or users does; a site-wide incident with no top entries matches on
 *      time alone. When a proxy's address is logged for every client, that address names every actor.
 *
 * The reported kind of an injected incident is the kind of its matching incidents: attack,
 * misconfiguration, both (a confusion), anomaly only, or nothing. Reported incidents that match no
 * injected incident are false alerts.
 */
import { canonicalIp, cidrContains } from './net';
import type { ReportedIncident } from './product';
import type { Expected, TruthItem } from './truth';

const MIN = 60_000;
export const SLACK_BEFORE_MS = 10 * MIN;
export const SLACK_AFTER_MS = 30 * MIN;

export const REPORTED_KINDS = ['attack', 'misconfiguration', 'both', 'anomaly', 'nothing'] as const;
export type ReportedKind = (typeof REPORTED_KINDS)[number];

/** Paths compared without query and trailing slash. */
function normPath(p: string): string {
  const q = p.replace(/\?.*$/, '');
  return q.length > 1 && q.endsWith('/') ? q.slice(0, -1) : q;
}

/**
 * A reported path belongs to the actor's path when it is the same, under it, or a prefix above it
 * (`/api` for an actor on `/api/v2`). The root names only a root actor: `/` as a reported prefix
 * would otherwise contain everything.
 */
export function pathRelated(reported: string, actor: string): boolean {
  const r = normPath(reported);
  const a = normPath(actor);
  if (r === a) return true;
  if (a === '/') return true;
  if (r === '/' || r === '') return false;
  return r.startsWith(a + '/') || a.startsWith(r + '/');
}

function clientKey(ua: string): string {
  return ua === '-' || ua === '' || ua === '(no user agent)' ? '' : ua;
}

/** The actor's values in comparable form, built once per injected incident. */
export class ActorIndex {
  readonly ips: Set<string>;
  readonly clients: Set<string>;
  readonly users: Set<string>;

  constructor(readonly truth: TruthItem, readonly proxyPeer: string | null) {
    this.ips = new Set(truth.actor.ips.map((ip) => canonicalIp(ip) ?? ip));
    this.clients = new Set(truth.actor.clients.map(clientKey));
    this.users = new Set(truth.actor.users);
  }

  hasIp(ip: string): boolean {
    const c = canonicalIp(ip) ?? ip;
    if (this.proxyPeer !== null && c === canonicalIp(this.proxyPeer)) return true;
    return this.ips.has(c);
  }

  hasSubnet(cidr: string): boolean {
    if (this.truth.actor.subnets.includes(cidr)) return true;
    if (this.proxyPeer !== null && cidrContains(cidr, this.proxyPeer)) return true;
    for (const ip of this.truth.actor.ips) if (cidrContains(cidr, ip)) return true;
    return false;
  }

  hasPath(path: string): boolean {
    return this.truth.actor.paths.some((a) => pathRelated(path, a));
  }

  hasClient(ua: string): boolean {
    return this.clients.has(clientKey(ua));
  }

  hasUser(user: string): boolean {
    return user !== '' && user !== '(no user)' && this.users.has(user);
  }
}

function overlaps(inc: ReportedIncident, t: TruthItem): boolean {
  const s = Date.parse(inc.start);
  const e = Date.parse(inc.end);
  return s <= t.end + SLACK_AFTER_MS && e >= t.start - SLACK_BEFORE_MS;
}

/** Whether one value of a group key names the actor; null for a dimension that names nobody (host). */
function groupValueNames(dim: string, value: string, a: ActorIndex): boolean | null {
  switch (dim) {
    case 'ip': return a.hasIp(value);
    case 'subnet': return a.hasSubnet(value);
    case 'path':
    case 'path_prefix': return a.hasPath(value);
    case 'client': return a.hasClient(value);
    case 'user': return value === '(no user)' ? null : a.hasUser(value);
    default: return null;
  }
}

export function matches(inc: ReportedIncident, a: ActorIndex): boolean {
  if (!overlaps(inc, a.truth)) return false;
  let named = false;
  for (const [dim, value] of Object.entries(inc.group)) {
    const r = groupValueNames(dim, value, a);
    if (r === null) continue;
    named = true;
    if (r) return true;
  }
  if (named) return false;
  // Site-wide: the incident's leading addresses, paths, clients and users.
  const top = inc.top ?? {};
  const first = (list: Array<{ key: string }> | undefined) => (list ?? []).slice(0, 3).map((x) => x.key);
  const ips = first(top.ip);
  const paths = first(top.path);
  const clients = first(top.client);
  const users = first(top.user);
  if (ips.length + paths.length + clients.length + users.length === 0) return true;
  return ips.some((x) => a.hasIp(x)) || paths.some((x) => a.hasPath(x)) || clients.some((x) => a.hasClient(x)) || users.some((x) => a.hasUser(x));
}

export function reportedKindOf(incidents: ReportedIncident[]): ReportedKind {
  const kinds = new Set(incidents.map((i) => i.kind));
  if (kinds.has('attack') && kinds.has('misconfiguration')) return 'both';
  if (kinds.has('attack')) return 'attack';
  if (kinds.has('misconfiguration')) return 'misconfiguration';
  return incidents.length ? 'anomaly' : 'nothing';
}

export function isCorrect(expected: Expected, reported: ReportedKind): boolean {
  return expected === 'quiet' ? reported === 'nothing' : reported === expected;
}

export interface ItemJudgement {
  truth: TruthItem;
  reported: ReportedKind;
  correct: boolean;
  matched: ReportedIncident[];
}

export interface CaseJudgement {
  items: ItemJudgement[];
  falseAlerts: ReportedIncident[];
}

/** Judges one case: each injected incident's reported kind, and the incidents that match none. */
export function judgeCase(truth: TruthItem[], incidents: ReportedIncident[], proxyPeer: string | null): CaseJudgement {
  const actors = truth.map((t) => new ActorIndex(t, proxyPeer));
  const used = new Set<ReportedIncident>();
  const items = actors.map((a) => {
    const matched = incidents.filter((inc) => matches(inc, a));
    for (const m of matched) used.add(m);
    const reported = reportedKindOf(matched);
    return { truth: a.truth, reported, correct: isCorrect(a.truth.expected, reported), matched };
  });
  return { items, falseAlerts: incidents.filter((i) => !used.has(i)) };
}
