/**
 * Receivers told of each firing and each resolution, one notification each (deduplicated): a JSON
 * lines file and a webhook. A webhook's body is authwatch's alert object (the default), or the body
 * Alertmanager's own webhook receiver posts (`format: alertmanager`), so anything built for
 * Alertmanager webhooks takes authwatch's alerts as they are.
 */
import { promises as fs } from 'node:fs';
import { z } from 'zod';
import type { Alert } from '../daemon/outputs';
import { notificationKey } from './dedup';
import { QueuedSchema } from './outbox';
import { printableJson } from '../report/sanitize';
import { postJson, type HttpTarget } from './http';
import type { Receiver } from './queue';

/** A notification whose body is fixed when it is queued: a retry sends the same bytes. */
export const BodyEntrySchema = QueuedSchema.extend({ fingerprints: z.array(z.string()), body: z.string() });
export type BodyEntry = z.infer<typeof BodyEntrySchema>;

/** One entry per alert, its body made by `body`. */
function perAlert(body: (a: Alert) => string): Receiver<BodyEntry>['compose'] {
  return (alerts, now, newId) =>
    alerts.map((a) => ({
      entry: { id: newId(notificationKey(a)), createdAt: new Date(now).toISOString(), attempts: 0, nextAttemptAt: now, lastError: null, fingerprints: [a.fingerprint], body: body(a) },
      fingerprints: [a.fingerprint],
    }));
}

export function jsonlReceiver(file: string): Receiver<BodyEntry> {
  return {
    dedup: true,
    // Escaped like stdout: a file of alerts is read with cat and tail.
    compose: perAlert((a) => printableJson(a)),
    integration: {
      what: 'alert line',
      batchSize: 1,
      async send([e]) {
        try {
          await fs.appendFile(file, (e as BodyEntry).body + '\n', { mode: 0o600 });
          return { ok: true };
        } catch (err) {
          return { ok: false, retry: true, reason: `cannot append to ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
        }
      },
    },
  };
}

/**
 * A webhook: one POST per entry, with the entry id as Idempotency-Key, so a receiver can recognise
 * the resend of a request whose answer never came back (delivery is at least once).
 */
export function webhookReceiver(target: HttpTarget, compose: Receiver<BodyEntry>['compose'] = perAlert((a) => JSON.stringify(a))): Receiver<BodyEntry> {
  return {
    dedup: true,
    compose,
    integration: {
      what: 'webhook notification',
      batchSize: 1,
      send: ([e], signal) => postJson(target, target.url, (e as BodyEntry).body, signal, { 'idempotency-key': (e as BodyEntry).id }),
      acceptedFields: (e, attempt) => ({ fingerprints: e.fingerprints, response: attempt.response }),
    },
  };
}
