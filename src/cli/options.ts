/** CLI option values are a boundary like any other: each command checks its options with zod (loaded with the command, not at start-up). */
import { z } from 'zod';
import { UsageError } from '../errors';

export const positiveInt = z.coerce.number().int().positive();

/** The options as `schema` wants them, or a UsageError naming the first wrong flag. */
export function validated<T>(schema: z.ZodType<T>, raw: unknown): T {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const flag = issue?.path.length ? '--' + String(issue.path[0]).replace(/[A-Z]/g, (m) => '-' + m.toLowerCase()) : 'options';
  throw new UsageError(`${flag}: ${issue?.message ?? 'invalid value'}`);
}
