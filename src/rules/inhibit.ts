/**
 * Inhibition, as in Alertmanager: while a source alert fires, matching target alerts are silenced.
 * A deploy that broke auth on /api must page once as a misconfiguration, not as a hundred
 * per-client alerts; a site-wide spike explained by an attack is not a second page.
 */
import type { Incident } from './incident';
import type { Inhibit } from './schema';
import { cidrMatcher } from '../aggregate/cidr';

function matches(inc: Incident, m: Inhibit['source']): boolean {
  return (m.rules === undefined || m.rules.includes(inc.rule)) && (m.kinds === undefined || m.kinds.includes(inc.kind));
}

function overlaps(a: Incident, b: Incident): boolean {
  return Date.parse(a.start) <= Date.parse(b.end) && Date.parse(b.start) <= Date.parse(a.end);
}

function pathScope(inc: Incident): string | undefined {
  return inc.group.path ?? inc.group.path_prefix ?? inc.top.path[0]?.key;
}

function underPath(path: string | undefined, scope: string | undefined): boolean {
  if (path === undefined || scope === undefined) return false;
  return path === scope || path.startsWith(scope.endsWith('/') ? scope : scope + '/');
}

function ipScope(inc: Incident): string | undefined {
  return inc.group.ip ?? inc.group.subnet ?? inc.top.ip[0]?.key;
}

/** Matchers by scope: a report applies the same few sources to every target. */
const scopeMatchers = new Map<string, (ip: string) => boolean>();

/**
 * Whether `ip` is inside `scope` (an address or a CIDR such as a subnet key). Containment, not
 * text: `2001:db8::/64` holds `2001:db8::5`, not `2001:db8:ffff::5` nor `2001:db80::5`.
 */
export function inScope(ip: string, scope: string): boolean {
  if (!scope.includes('/')) return ip === scope;
  let m = scopeMatchers.get(scope);
  if (m === undefined) {
    const made = cidrMatcher([scope]);
    m = typeof made === 'function' ? made : (other: string) => other === scope;
    if (scopeMatchers.size > 1024) scopeMatchers.clear();
    scopeMatchers.set(scope, m);
  }
  return m(ip);
}

function sameIp(target: Incident, source: Incident): boolean {
  const scope = ipScope(source);
  const ip = target.group.ip ?? target.top.ip[0]?.key;
  if (scope === undefined || ip === undefined) return false;
  return inScope(ip, scope);
}

/**
 * Whether the target's address (or subnet) caused most of the source's failures: then the source
 * is that address's doing (an attacker alone can lift a path's 401 share), and silencing the
 * target would silence the attack behind the very alert that explains it away.
 */
function causedMostOf(target: Incident, source: Incident): boolean {
  // Only alerts about an address: a site-wide or per-path alert is not "the address".
  const scope = target.group.ip ?? target.group.subnet;
  const total = source.metrics.count ?? source.count;
  if (scope === undefined || !(total > 0)) return false;
  let own = 0;
  for (const t of source.top.ip) if (inScope(t.key, scope)) own += t.count;
  return own * 2 > total;
}

export interface InhibitedIncident {
  incident: Incident;
  by: string;
  reason?: string;
}

export function applyInhibition(incidents: Incident[], rules: Inhibit[]): { kept: Incident[]; inhibited: InhibitedIncident[] } {
  const kept: Incident[] = [];
  const inhibited: InhibitedIncident[] = [];
  const folded = new Map<Incident, Incident[]>();
  for (const target of incidents) {
    let by: InhibitedIncident | undefined;
    for (const r of rules) {
      if (!matches(target, r.target)) continue;
      const source = incidents.find(
        (s) =>
          s !== target &&
          s.fingerprint !== target.fingerprint &&
          matches(s, r.source) &&
          overlaps(s, target) &&
          (r.equal ?? []).every((eq) => (eq === 'path' ? underPath(target.top.path[0]?.key ?? target.group.path, pathScope(s)) : sameIp(target, s))) &&
          // A fold pages the same actor once, under the source: nothing is silenced, but the source
          // must hold at least half of the target's failures to be that actor.
          (r.fold === true ? s.count * 2 >= target.count : !causedMostOf(target, s)),
      );
      if (source) {
        by = { incident: target, by: source.fingerprint, reason: r.reason };
        if (r.fold) folded.set(source, [...(folded.get(source) ?? []), target]);
        break;
      }
    }
    if (by) inhibited.push(by);
    else kept.push(target);
  }
  for (const [source, targets] of folded) {
    source.folded = targets.map((t) => ({ rule: t.rule, group: { ...t.group }, count: t.count, start: t.start, end: t.end }));
  }
  return { kept, inhibited };
}
