/** The line an operator reads first, the same in every rendering. */
import type { ReportModel } from './model';
import { int, pct, plural } from '../present/numbers';
import { humanSpan } from '../present/time';

/** "3 attacks, 1 misconfiguration" (empty when there are none). */
function incidentCounts(r: ReportModel): string {
  const by = (kind: string) => r.incidents.filter((i) => i.kind === kind).length;
  return [
    by('attack') && plural(by('attack'), 'attack'),
    by('misconfiguration') && plural(by('misconfiguration'), 'misconfiguration'),
    by('anomaly') && plural(by('anomaly'), 'anomaly', 'anomalies'),
  ].filter(Boolean).join(', ');
}

/**
 * "2 attacks, 1 misconfiguration in 6 h 12 min of traffic". With no access-log requests it says what
 * was read instead ("1 attack: 45 error-log authentication failures, no access-log requests"), so an
 * error log given alone is not reported as an empty time range.
 */
export function verdict(r: ReportModel): string {
  const found = incidentCounts(r);
  if (r.requests === 0 && r.errorLog.authFailures > 0) {
    return `${found || 'No incidents'}: ${plural(r.errorLog.authFailures, 'error-log authentication failure')}, no access-log requests`;
  }
  // Say why there is nothing rather than "no incidents in no traffic".
  if (r.lines.parsed === 0) return found ? `${found}: no requests read` : 'No requests read';
  if (r.requests === 0) return found ? `${found}: no requests in the time range` : 'No requests in the time range';
  const span = humanSpan(r.range.from, r.range.to);
  return found ? `${found} in ${span} of traffic` : `No incidents in ${span} of traffic`;
}

/** "1,463 × 401 in 13,182 requests (11.1%)", or "" when there were no requests to count. */
export function headline(r: ReportModel): string {
  return r.requests === 0 ? '' : `${int(r.unauthorized.count)} × 401 in ${int(r.requests)} requests (${pct(r.unauthorized.ratio)})`;
}
