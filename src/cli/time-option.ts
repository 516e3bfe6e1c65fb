/** --since / --until values: an ISO 8601 time, or a time relative to now such as -2h, -30m, -1d. */
import { z } from 'zod';
import { sub } from 'date-fns/sub';

const RELATIVE = /^-(\d+)(s|m|h|d|w)$/;

export const TimeOptionSchema = z
  .string()
  .refine((s) => RELATIVE.test(s) || !Number.isNaN(Date.parse(s)), { message: 'expected an ISO time (2026-11-20T09:00:00Z) or a relative one (-2h, -30m, -1d)' });

export function resolveTime(value: string, now = new Date()): number {
  const m = RELATIVE.exec(value);
  if (!m) return Date.parse(value);
  const n = Number(m[1]);
  const unit = ({ s: 'seconds', m: 'minutes', h: 'hours', d: 'days', w: 'weeks' } as const)[m[2] as 's' | 'm' | 'h' | 'd' | 'w'];
  return sub(now, { [unit]: n }).getTime();
}
