/**
 * The rule-file schema. Kept free of transforms so `z.toJSONSchema` gives editors the exact
 * shape of the YAML; durations and globs are turned into numbers and matchers in compile.ts.
 */
import { z } from 'zod';
import { DIMENSIONS } from '../aggregate/keys';
import { AUTH_REASONS, type AuthReason } from '../parse/errorlog';

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

export const KINDS = ['attack', 'misconfiguration', 'anomaly'] as const;
export const PEER_CONDITIONS = ['public_address', 'private_address'] as const;
export type PeerCondition = (typeof PEER_CONDITIONS)[number];
export type Kind = (typeof KINDS)[number];
export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const DurationSchema = z
  .string()
  .regex(/^\d+(?:ms|s|m|h|d)$/, 'a duration such as 30s, 5m, 1h')
  .describe('A duration: a whole number and a unit (ms, s, m, h, d), e.g. 30s, 5m, 1h');

const CidrSchema = z
  .string()
  .regex(/^[0-9a-fA-F:.]+\/\d{1,3}$/, 'a CIDR such as 10.0.0.0/8 or 2001:db8::/32');

const ComparisonSchema = z.union([
  z.number().describe('shorthand for { gte: N }'),
  z
    .strictObject({ gt: z.number().optional(), gte: z.number().optional(), lt: z.number().optional(), lte: z.number().optional(), eq: z.number().optional() })
    .refine((c) => Object.keys(c).length > 0, 'give at least one of gt, gte, lt, lte, eq'),
]);

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
  when: z.partialRecord(z.enum(METRICS), ComparisonSchema).refine((w) => Object.keys(w).length > 0, 'a rule needs at least one condition'),
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
