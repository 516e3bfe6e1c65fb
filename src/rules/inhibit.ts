/**
 * Inhibition, as in Alertmanager: while a source alert fires, matching target alerts are silenced.
 * A deploy that broke auth on /api must page once as a misconfiguration, not as a hundred
 * per-client alerts; a site-wide spike explained by an attack is not a second page.
 */
import type { Incident } from './incident';
import type { Inhibit } from './schema';

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

function sameIp(target: Incident, source: Incident): boolean {
  const scope = ipScope(source);
  const ip = target.top.ip[0]?.key ?? target.group.ip;
  if (scope === undefined || ip === undefined) return false;
  if (scope.endsWith('/24')) return ip.startsWith(scope.slice(0, -4) + '.');
  if (scope.endsWith('/64')) return ip.startsWith(scope.slice(0, -5));
  return ip === scope;
}

export interface InhibitedIncident {
  incident: Incident;
  by: string;
  reason?: string;
}

export function applyInhibition(incidents: Incident[], rules: Inhibit[]): { kept: Incident[]; inhibited: InhibitedIncident[] } {
  const kept: Incident[] = [];
  const inhibited: InhibitedIncident[] = [];
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
          (r.equal ?? []).every((eq) => (eq === 'path' ? underPath(target.top.path[0]?.key ?? target.group.path, pathScope(s)) : sameIp(target, s))),
      );
      if (source) {
        by = { incident: target, by: source.fingerprint, reason: r.reason };
        break;
      }
    }
    if (by) inhibited.push(by);
    else kept.push(target);
  }
  return { kept, inhibited };
}
