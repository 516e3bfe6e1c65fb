/**
 * How a number reads, everywhere: report renderings, emails, and the rules' summary templates. It
 * imports nothing, so the rules can format with it too and "50.0%" reads the same in a summary and
 * in the evidence beside it.
 */

export function int(n: number): string {
  return n.toLocaleString('en-US');
}

/** "33.8%"; a share too small for one decimal keeps three ("0.050%") rather than reading as zero. */
export function pct(share: number): string {
  return (share * 100).toFixed(share > 0 && share < 0.001 ? 3 : 1) + '%';
}

/** "1 attack", "3 attacks", "1,204 lines". */
export function plural(n: number, word: string, many = `${word}s`): string {
  return n === 1 ? `1 ${word}` : `${int(n)} ${many}`;
}

/** Metrics that are shares (0..1) or differences of shares: shown as percentages. */
const PERCENT_METRICS = new Set(['ratio', 'baseline_ratio', 'previously_ok_share', 'known_share', 'increase', 'top_ip_share', 'ratio_without_top']);

/** A rule metric's value as a person reads it: shares as percentages, counts with separators, rates to two figures. */
export function figure(metric: string, v: number): string {
  if (PERCENT_METRICS.has(metric)) return pct(v);
  if (Number.isInteger(v)) return int(v);
  return v >= 10 ? int(Math.round(v)) : v.toFixed(1);
}
