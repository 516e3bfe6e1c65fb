/**
 * The rule-file schema. Kept free of transforms so `z.toJSONSchema` gives editors the exact
 * shape of the YAML; durations and globs are turned into numbers and matchers in compile.ts.
 */
import { z } from 'zod';
import { DIMENSIONS } from '../aggregate/keys';
import { AUTH_REASONS, type AuthReason } from '../parse/errorlog';
import { KINDS, SEVERITIES } from './severity';

export const METRICS = [
  'count', 'total', 'ratio', 'answered', 'success',
  'distinct_ips', 'distinct_users', 'distinct_paths', 'distinct_clients',
  'attempts_per_ip', 'rate_per_min', 'span', 'had_success_before', 'previously_ok_share', 'known_share',
  'top_ip_share', 'ratio_without_top',
  // Failures by the answer, for rules whose `status` takes more than 401: served (2xx), denied (401, 403), missing (404, 410).
  'served', 'denied', 'missing',
  'baseline_total', 'baseline_span', 'baseline_count', 'baseline_ratio', 'baseline_rate_per_min', 'increase', 'rate_factor',
  // From error logs read alongside: authentication failures by the reason the server gave.
  'auth_failures', ...AUTH_REASONS.map((r) => `reason.${r}` as const),
] as const;
export type Metric = (typeof METRICS)[number];
export type ReasonMetric = `reason.${AuthReason}`;

export { KINDS, SEVERITIES, type Kind, type Severity } from './severity';
export const PEER_CONDITIONS = ['public_address', 'private_address'] as const;
export type PeerCondition = (typeof PEER_CONDITIONS)[number];

export const DurationSchema = z
  .string()
  .regex(/^\d+(?:ms|s|m|h|d)$/, 'a duration such as 30s, 5m, 1h')
  .describe('A duration: a whole number and a unit (ms, s, m, h, d), e.g. 30s, 5m, 1h');

const CidrSchema = z
  .string()
  .regex(/^[0-9a-fA-F:.]+\/\d{1,3}$/, 'a CIDR such as 10.0.0.0/8 or 2001:db8::/32');

/**
 * The values a metric can take. A threshold outside them can never hold, or always holds (`ratio:
 * {gte: 1.5}`, `distinct_paths: {gte: -1}`): a mistake, refused with the range in the message (and
 * given to editors as the JSON Schema's minimum and maximum).
 */
interface MetricRange {
  /** Names the threshold schema in the JSON Schema's $defs. */
  id: string;
  min: number;
  max?: number;
  what: string;
}
const COUNT: MetricRange = { id: 'count_threshold', min: 0, what: 'a count (0 or more)' };
const SHARE: MetricRange = { id: 'share_threshold', min: 0, max: 1, what: 'a share from 0 to 1 (0.25 is 25 %)' };
const RATE: MetricRange = { id: 'rate_threshold', min: 0, what: 'a rate per minute (0 or more)' };
const METRIC_RANGES: Record<Exclude<Metric, ReasonMetric>, MetricRange> = {
  count: COUNT, total: COUNT, ratio: SHARE, answered: COUNT, success: COUNT,
  distinct_ips: COUNT, distinct_users: COUNT, distinct_paths: COUNT, distinct_clients: COUNT,
  attempts_per_ip: { id: 'attempts_per_ip_threshold', min: 0, what: 'failures per address (0 or more)' },
  rate_per_min: RATE,
  span: { id: 'span_threshold', min: 0, what: 'seconds from the first failure to the last (0 or more)' },
  had_success_before: { id: 'flag_threshold', min: 0, max: 1, what: '1 when the key succeeded before the window, else 0' },
  previously_ok_share: SHARE, known_share: SHARE, top_ip_share: SHARE, ratio_without_top: SHARE,
  served: COUNT, denied: COUNT, missing: COUNT,
  baseline_span: { id: 'baseline_span_threshold', min: 0, what: 'seconds of history the baseline holds (0 or more)' },
  baseline_total: COUNT, baseline_count: COUNT, baseline_ratio: SHARE, baseline_rate_per_min: RATE,
  increase: { id: 'increase_threshold', min: -1, max: 1, what: 'the ratio minus the baseline ratio, from -1 to 1' },
  rate_factor: { id: 'rate_factor_threshold', min: 0, what: 'the rate over the baseline rate (0 or more)' },
  auth_failures: COUNT,
};

export function metricRange(metric: Metric): MetricRange {
  return metric.startsWith('reason.') ? COUNT : METRIC_RANGES[metric as Exclude<Metric, ReasonMetric>];
}

/** One schema per range (the JSON Schema defines each once, and metrics refer to it). */
const comparisonSchemas = new Map<MetricRange, ReturnType<typeof comparisonSchemaFor>>();

function comparisonSchema(metric: Metric): ReturnType<typeof comparisonSchemaFor> {
  const range = metricRange(metric);
  let schema = comparisonSchemas.get(range);
  if (schema === undefined) comparisonSchemas.set(range, (schema = comparisonSchemaFor(range)));
  return schema;
}

function comparisonSchemaFor(range: MetricRange) {
  const message = `out of range: ${range.what}`;
  const bound = range.max === undefined ? z.number().min(range.min, message) : z.number().min(range.min, message).max(range.max, message);
  return z
    .union([
      bound.describe('shorthand for { gte: N }'),
      z
        .strictObject({ gt: bound.optional(), gte: bound.optional(), lt: bound.optional(), lte: bound.optional(), eq: bound.optional() })
        .refine((c) => Object.keys(c).length > 0, 'give at least one of gt, gte, lt, lte, eq'),
    ])
    .meta({ id: range.id, description: `a threshold on ${range.what}` });
}

const WhenSchema = z
  .strictObject(Object.fromEntries(METRICS.map((m) => [m, comparisonSchema(m).optional()])) as Record<Metric, z.ZodOptional<ReturnType<typeof comparisonSchema>>>)
  .refine((w) => Object.keys(w).length > 0, 'a rule needs at least one condition');

export const WhereSchema = z
  .strictObject({
    status: z
      .array(z.union([z.int().min(100).max(599), z.enum(['1xx', '2xx', '3xx', '4xx', '5xx'])]))
      .min(1)
      .optional()
      .describe('responses counted as failures: codes or classes such as 4xx (default [401]); answered 401s never count'),
    method: z.array(z.string().regex(/^[A-Z]+$/)).optional(),
    path: z.array(z.string().min(1)).optional().describe('path globs (picomatch, case-insensitive); a request must match one'),
    path_not: z.array(z.string().min(1)).optional(),
    client: z.array(z.string().min(1)).optional().describe('user-agent globs, case-insensitive'),
    client_not: z.array(z.string().min(1)).optional(),
    exclude_cidrs: z.array(CidrSchema).optional(),
  })
  .describe('Which requests the rule looks at. `status` picks the failures among them; the rest filter requests.');

export const RuleSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes'),
  title: z.string().min(1),
  kind: z.enum(KINDS),
  severity: z.enum(SEVERITIES),
  enabled: z.boolean().optional(),
  where: WhereSchema.optional(),
  group_by: z.array(z.enum(DIMENSIONS)).optional().describe('dimensions of the group key; [] (default) is site-wide'),
  path_prefix_segments: z.int().min(1).max(10).optional().describe('segments kept by path_prefix (default 2: /api/v2)'),
  window: DurationSchema,
  baseline: DurationSchema.optional().describe('look-back before the window for baseline_* metrics (default 1h)'),
  baseline_warmup: DurationSchema.optional().describe('history a rule with baseline conditions needs before it may fire (default 30m, at most `baseline`); until then the report says the baseline is warming up'),
  when: WhenSchema,
  for: DurationSchema.optional().describe('how long the condition must hold before the alert fires (default 0s)'),
  resolve_after: DurationSchema.optional().describe('how long the condition must be false before the alert resolves (default 5m)'),
  repeat: DurationSchema.optional().describe('re-notify interval while firing (default 4h)'),
  summary: z.string().min(1).describe('template: {count}, {group.ip}, {top_path}, {window}... (values are inserted, never executed)'),
  likely_cause: z.string().min(1),
  checks: z
    .array(
      z.union([
        z.string().min(1),
        z.strictObject({
          text: z.string().min(1),
          if: z.enum(PEER_CONDITIONS).describe("public_address: the incident's address is a public one; private_address: loopback, private, link-local, CGNAT or unique-local (usually a proxy seen instead of the client)"),
        }),
      ]),
    )
    .min(1)
    .describe('what to check, in order; a check with `if` is given only when its condition holds'),
});
export type Rule = z.infer<typeof RuleSchema>;

const MatcherSchema = z.strictObject({
  rules: z.array(z.string()).optional(),
  kinds: z.array(z.enum(KINDS)).optional(),
});

export const InhibitSchema = z.strictObject({
  source: MatcherSchema.describe('alerts that, while firing, silence the targets'),
  target: MatcherSchema,
  equal: z.array(z.enum(['path', 'ip'])).optional().describe("'path': only targets whose failures are on the source's path (prefix); 'ip': on its IP (subnet, by CIDR containment)"),
  fold: z.boolean().optional().describe('the targets are the same actor as the source: listed in its incident (`folded`) instead of paged apart'),
  reason: z.string().optional(),
});
export type Inhibit = z.infer<typeof InhibitSchema>;

export const RuleFileSchema = z.strictObject({
  $schema: z.string().optional(),
  rules: z.array(RuleSchema).optional(),
  inhibit: z.array(InhibitSchema).optional(),
});
export type RuleFile = z.infer<typeof RuleFileSchema>;

export function ruleFileJsonSchema(): unknown {
  return z.toJSONSchema(RuleFileSchema, { io: 'input' });
}
