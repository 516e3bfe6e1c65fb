/** What the engine reports: one incident per (rule, group key) firing period. */
import type { Kind, Metric, Severity } from './schema';
import type { AuthReason } from '../parse/errorlog';

export interface Incident {
  rule: string;
  title: string;
  kind: Kind;
  severity: Severity;
  group: Record<string, string>;
  /** rule id + group key: one incident is one alert however long it lasts. */
  fingerprint: string;
  start: string;
  end: string;
  /** When the alert fired (start + `for`, at bucket granularity). */
  firedAt: string;
  /** Failures of this key from start to end. */
  count: number;
  /** The busiest window's metrics, against the baseline as it was when the alert fired; `top` from the same window. */
  metrics: Partial<Record<Metric, number>>;
  top: { ip: Array<{ key: string; count: number }>; path: Array<{ key: string; count: number }>; client: Array<{ key: string; count: number }>; user: Array<{ key: string; count: number }>; host?: Array<{ key: string; count: number }> };
  summary: string;
  likely_cause: string;
  checks: string[];
  samples: string[];
  /** Why, from error logs read alongside (joined by group key and window), most frequent first. */
  reasons: Array<{ reason: AuthReason; count: number; text: string }>;
  /** Counts are estimates (key table evictions or HyperLogLog past the exact limit). */
  approximate: boolean;
  /** Why it was classified so: each condition of the rule with the value that met it (at the busiest window). */
  conditions: Array<{ metric: Metric; op: 'gt' | 'gte' | 'lt' | 'lte' | 'eq'; threshold: number; value: number }>;
  /** Failures per minute from the start of the first matching window (bounded: the last 240 minutes). */
  timeline: { start: string; stepMs: number; counts: number[] };
  /** Still firing when the input ended. */
  open: boolean;
  /**
   * Incidents of the same actor paged under this one (an inhibition with `fold`: the addresses of a
   * subnet brute force), each with its own figures. Absent when nothing was folded.
   */
  folded?: Array<{ rule: string; group: Record<string, string>; count: number; start: string; end: string }>;
}
