/** `authwatch email test`: one message through the config's SMTP settings, and the server's answer. */
import { z } from 'zod';
import { FailureError, UsageError } from '../../errors';
import { loadConfig } from '../../config/schema';
import { validated } from '../options';
import { stdout } from '../output';

export async function emailTestCommand(raw: unknown): Promise<void> {
  const opts = validated(z.object({ config: z.string().min(1) }), raw);
  const config = await loadConfig(opts.config);
  if (!config.email) throw new UsageError(`${opts.config}: no email: section to test`);
  const { sendTestEmail } = await import('../../notify/test-send');
  const result = await sendTestEmail(config.email);
  if (!result.ok) throw new FailureError(result.line);
  await stdout().write(result.line + '\n');
}
