/** Window figures → the named metrics a rule's `when` compares. */
import type { WindowFigures } from '../aggregate/table';
import type { CompiledRule } from './compile';
import type { Metric } from './schema';

/** Floor under the baseline failure rate (per minute): a quiet baseline must not make 3 failures look like a 300× spike. */
export const BASELINE_RATE_FLOOR_PER_MIN = 0.2;

export function computeMetrics(f: WindowFigures, rule: CompiledRule): Record<Metric, number> {
  const windowMin = rule.windowMs / 60_000;
  const ratio = f.total > 0 ? f.count / f.total : 0;
  const baselineRatio = f.baselineTotal > 0 ? f.baselineCount / f.baselineTotal : 0;
  const ratePerMin = f.count / windowMin;
  // Over the history actually observed: a log that starts mid-traffic has minutes of it, and
  // dividing by the whole look-back would make its first windows read as a spike.
  const baselineRate = f.baselineSpanMs > 0 ? f.baselineCount / (f.baselineSpanMs / 60_000) : 0;
  const r = f.reasons;
  // One literal with every key (the return type makes it complete): keys built in a loop and spread
  // cost ~60 µs a call, most of the time spent closing a bucket with live alerts.
  return {
    'reason.user_not_found': r.user_not_found ?? 0,
    'reason.password_mismatch': r.password_mismatch ?? 0,
    'reason.password_file_unreadable': r.password_file_unreadable ?? 0,
    'reason.denied_by_rule': r.denied_by_rule ?? 0,
    'reason.limit_req': r.limit_req ?? 0,
    'reason.digest_nonce': r.digest_nonce ?? 0,
    'reason.digest_other': r.digest_other ?? 0,
    'reason.wrong_scheme': r.wrong_scheme ?? 0,
    'reason.authz_denied': r.authz_denied ?? 0,
    'reason.pam_failure': r.pam_failure ?? 0,
    'reason.tls_handshake': r.tls_handshake ?? 0,
    'reason.tls_sni_mismatch': r.tls_sni_mismatch ?? 0,
    'reason.other': r.other ?? 0,
    auth_failures: f.authFailures,
    count: f.count,
    total: f.total,
    ratio,
    answered: f.answered,
    success: f.success,
    distinct_ips: f.distinctIps,
    distinct_users: f.distinctUsers,
    distinct_paths: f.distinctPaths,
    distinct_clients: f.distinctClients,
    attempts_per_ip: f.distinctIps > 0 ? f.count / f.distinctIps : 0,
    rate_per_min: ratePerMin,
    span: f.count > 0 ? (f.lastFail - f.firstFail) / 1000 : 0,
    had_success_before: f.hadSuccessBefore ? 1 : 0,
    previously_ok_share: f.count > 0 ? f.previouslyOkFailures / f.count : 0,
    known_share: f.count > 0 ? f.knownFailures / f.count : 0,
    served: f.served,
    denied: f.denied,
    missing: f.missing,
    top_ip_share: f.count > 0 ? f.topIpFailures / f.count : 0,
    // The busiest address's requests are taken to be all failures (an attacker's are): the ratio
    // left is then a floor, so a step that holds without it is not that address's doing.
    ratio_without_top: f.total > f.topIpFailures ? (f.count - f.topIpFailures) / (f.total - f.topIpFailures) : 0,
    baseline_total: f.baselineTotal,
    baseline_span: f.baselineSpanMs / 1000,
    baseline_count: f.baselineCount,
    baseline_ratio: baselineRatio,
    baseline_rate_per_min: baselineRate,
    increase: ratio - baselineRatio,
    rate_factor: ratePerMin / Math.max(baselineRate, BASELINE_RATE_FLOOR_PER_MIN),
  };
}

export function roundMetrics(m: Record<Metric, number>): Record<Metric, number> {
  const out = {} as Record<Metric, number>;
  for (const [k, v] of Object.entries(m) as Array<[Metric, number]>) out[k] = Number.isInteger(v) ? v : Math.round(v * 1000) / 1000;
  return out;
}
