/**
 * Incident kinds and severities, in their own module without zod so the CLI can offer them
 * (`--fail-on`, shell completion) without loading the schema library at start-up.
 */
export const KINDS = ['attack', 'misconfiguration', 'anomaly'] as const;
export type Kind = (typeof KINDS)[number];
export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];
