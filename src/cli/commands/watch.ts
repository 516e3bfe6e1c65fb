/** `authwatch watch`: the daemon. */
import { z } from 'zod';
import { UsageError } from '../../errors';
import { validated } from '../options';

const WatchOptionsSchema = z.object({ config: z.string().min(1), fromStart: z.boolean().optional(), metrics: z.string().optional() });

export async function watchCommand(raw: unknown, bundledRules: string): Promise<void> {
  const opts = validated(WatchOptionsSchema, raw);
  const m = opts.metrics === undefined ? undefined : /^(.*):(\d+)$/.exec(opts.metrics);
  if (opts.metrics !== undefined && !m) throw new UsageError(`--metrics: expected host:port, e.g. 127.0.0.1:9464`);
  // Alerts printed into a pipe whose reader has gone (`authwatch watch … | head -3`): stop as on
  // SIGTERM (read what is left, checkpoint, exit 0), as `tail -f | head` ends, not with an EPIPE trace.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') process.kill(process.pid, 'SIGTERM');
  });
  const { WatchDaemon } = await import('../../daemon/watch');
  await new WatchDaemon({
    configFile: opts.config,
    bundledRules,
    fromStart: opts.fromStart === true,
    metrics: m ? { host: (m[1] as string).replace(/^\[|\]$/g, ''), port: Number(m[2]) } : undefined,
  }).start();
}
