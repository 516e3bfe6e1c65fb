/**
 * A notification queue in process, against a real HTTP receiver on 127.0.0.1: the dedup stage
 * (the same firing queued again after a restart is not sent twice; a new episode is), and the outbox
 * letting a newer version of an entry win over the sender settling the older one.
 */
import path from 'node:path';
import type { Alert } from '../../src/daemon/outputs';
import { NotificationQueue, type Receiver } from '../../src/notify/queue';
import { BodyEntrySchema, webhookReceiver, type BodyEntry } from '../../src/notify/receivers';
import { httpTarget } from '../../src/notify/http';
import { Outbox, QueuedSchema } from '../../src/notify/outbox';
import { z } from 'zod';
import { tempDir } from '../support/paths';
import { waitFor } from '../support/daemon';
import { TestReceiver } from '../support/receiver';

const log = { info: () => undefined, warn: () => undefined, error: () => undefined };

function alert(status: Alert['status'], start: string): Alert {
  return { rule: 'brute-force', fingerprint: 'brute-force|203.0.113.7', status, start, end: start, group: { ip: '203.0.113.7' } } as unknown as Alert;
}

async function queue(dir: string, receiver: Receiver<BodyEntry>): Promise<NotificationQueue<BodyEntry>> {
  const q = new NotificationQueue('webhook', 'test', dir, BodyEntrySchema, receiver, { outboxMax: 10, retry: { initialMs: 50, maxMs: 100 }, onLimit: () => undefined, tickMs: 20 }, log);
  await q.start();
  return q;
}

test('dedup: the same firing accepted again after a restart is sent once; a new episode and the resolution are sent', async () => {
  const r = await TestReceiver.start(() => 204);
  try {
    const dir = path.join(tempDir(), 'webhook');
    const target = await httpTarget('outputs.0', r.url(), 2000, {});
    const q1 = await queue(dir, webhookReceiver(target));
    await q1.accept([alert('firing', '2026-11-20T08:00:00.000Z')]);
    await waitFor(() => (q1.stats.sent === 1 ? true : undefined), 5000, () => JSON.stringify(q1.stats));
    await q1.stop();
    // The daemon restarted before its checkpoint and raised the same alert again.
    const q2 = await queue(dir, webhookReceiver(target));
    await q2.accept([alert('firing', '2026-11-20T08:00:00.000Z'), alert('firing', '2026-11-20T08:00:00.000Z')]);
    await q2.accept([alert('resolved', '2026-11-20T08:00:00.000Z'), alert('firing', '2026-11-20T09:00:00.000Z')]);
    await waitFor(() => (q2.stats.sent === 2 ? true : undefined), 5000, () => JSON.stringify(q2.stats));
    await q2.stop();
    expect(r.bodies<Alert>().map((b) => `${b.status} ${b.start}`)).toEqual(['firing 2026-11-20T08:00:00.000Z', 'resolved 2026-11-20T08:00:00.000Z', 'firing 2026-11-20T09:00:00.000Z']);
  } finally {
    await r.stop();
  }
});

test('outbox: settling an entry that a newer version replaced meanwhile leaves the newer one', async () => {
  const Schema = QueuedSchema.extend({ v: z.number() });
  const dir = tempDir();
  const o = new Outbox(dir, Schema);
  await o.init(() => undefined);
  const first = { id: 'a', createdAt: new Date().toISOString(), attempts: 0, nextAttemptAt: 0, lastError: null, v: 1 };
  await o.put(first);
  const [taken] = o.due(Date.now());
  await o.put({ ...first, v: 2 });
  await o.delivered(taken as typeof first);
  expect(o.get('a')?.v).toBe(2);
  await o.keep(taken as typeof first, 1, 2);
  expect(o.get('a')?.acceptedAt).toBeUndefined();
  // ...and it is what a restart finds on disk.
  const again = new Outbox(dir, Schema);
  await again.init(() => undefined);
  expect(again.get('a')?.v).toBe(2);
});
