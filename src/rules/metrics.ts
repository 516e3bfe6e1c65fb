/** Window figures → the named metrics a rule's `when` compares. */
import type { WindowFigures } from '../aggregate/table';
import type { CompiledRule } from './compile';
import type { Metric } from './schema';
import { AUTH_REASONS } from '../parse/errorlog';

/** Floor under the baseline failure rate (per minute): a quiet baseline must not make 3 failures look like a 300× spike. */
export const BASELINE_RATE_FLOOR_PER_MIN = 0.2;

export function computeMetrics(f: WindowFigures, rule: CompiledRule, baselineSpanMs: number): Record<Metric, number> {
  const windowMin = rule.windowMs / 60_000;
  const ratio = f.total > 0 ? f.count / f.total : 0;
  const baselineRatio = f.baselineTotal > 0 ? f.baselineCount / f.baselineTotal : 0;
  const ratePerMin = f.count / windowMin;
  const baselineRate = f.baselineCount / (baselineSpanMs / 60_000);
  const reasons = {} as Record<`reason.${(typeof AUTH_REASONS)[number]}`, number>;
  for (const r of AUTH_REASONS) reasons[`reason.${r}`] = f.reasons[r] ?? 0;
  return {
    ...reasons,
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
    previously_ok_share: f.distinctClients > 0 ? f.previouslyOkClients / f.distinctClients : 0,
    baseline_total: f.baselineTotal,
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
