import { KeyTable, type TableOptions } from '../../src/aggregate/table';
import { ev } from '../support/events';
import { rng } from '../../src/synth/traffic';
import type { AuthFailureEvent } from '../../src/parse/errorlog';

const OPTIONS: TableOptions = {
  bucketMs: 10_000, windowMs: 60_000, baselineMs: 3_600_000, aheadMs: 65_000, groupBy: ['client', 'user'], pathPrefixSegments: 2,
  capacity: 100, countsAuthFailures: false, trackBaseline: false, tracksAllRequests: false, promoteAt: 1,
};

describe('KeyTable with a multi-dimension key on failures only', () => {
  test('requests reach the key of their client and user, and no other, while keys of the same client come and go', () => {
    const table = new KeyTable(OPTIONS);
    const fail = (s: number, ua: string, user: string) => table.addFailure(ev(s, { userAgent: ua, remoteUser: user }), Math.floor(s / 10), 0);
    const request = (s: number, ua: string, user: string) => table.requestState(ev(s, { status: 200, userAgent: ua, remoteUser: user }));
    expect(request(0, 'sync/1', 'alice')).toBeUndefined(); // no key yet
    fail(0, 'sync/1', 'alice');
    fail(1, 'sync/1', 'bob');
    expect(request(2, 'sync/1', 'alice')?.group).toEqual({ client: 'sync/1', user: 'alice' });
    expect(request(2, 'sync/1', 'bob')?.group).toEqual({ client: 'sync/1', user: 'bob' });
    expect(request(2, 'sync/1', 'carol')).toBeUndefined();
    expect(request(2, 'other/2', 'alice')).toBeUndefined();
    // One key of sync/1 idles out, the other stays reachable.
    fail(500, 'sync/1', 'bob');
    table.expireIdle(400);
    expect(table.keys.size).toBe(1);
    expect(request(501, 'sync/1', 'alice')).toBeUndefined();
    expect(request(501, 'sync/1', 'bob')?.group).toEqual({ client: 'sync/1', user: 'bob' });
    // Then both; a new failure for one brings it back, and only it.
    table.expireIdle(1_000);
    expect(table.keys.size).toBe(0);
    expect(request(10_000, 'sync/1', 'alice')).toBeUndefined();
    fail(10_001, 'sync/1', 'bob');
    expect(request(10_002, 'sync/1', 'bob')?.group).toEqual({ client: 'sync/1', user: 'bob' });
    expect(request(10_002, 'sync/1', 'alice')).toBeUndefined();
  });
});

describe('KeyTable with a multi-dimension key over every request', () => {
  test('each client and user pair has one state, found again by later requests, and a dropped one is not found', () => {
    const table = new KeyTable({ ...OPTIONS, tracksAllRequests: true });
    const request = (s: number, ua: string, user: string) => table.requestState(ev(s, { status: 200, userAgent: ua, remoteUser: user })) as NonNullable<ReturnType<KeyTable['requestState']>>;
    const alice = request(0, 'sync/1', 'alice');
    const bob = request(0, 'sync/1', 'bob');
    expect(alice).not.toBe(bob);
    expect(request(1, 'sync/1', 'alice')).toBe(alice);
    expect(request(1, 'sync/1', '').group).toEqual({ client: 'sync/1', user: '(no user)' });
    expect(table.keys.size).toBe(3);
    table.addRequest(bob, ev(500, { status: 200, userAgent: 'sync/1', remoteUser: 'bob' }), 50, true, false);
    table.expireIdle(400);
    expect(table.keys.size).toBe(1);
    expect(request(501, 'sync/1', 'bob')).toBe(bob);
    const again = request(501, 'sync/1', 'alice');
    expect(again).not.toBe(alice);
    expect(table.keys.size).toBe(2);
  });
});

describe('KeyTable window counts', () => {
  test('the count slid from one bucket to the next equals a count over the whole ring (random failures, ahead and late writes, auth failures)', () => {
    const options: TableOptions = { ...OPTIONS, groupBy: ['ip'], countsAuthFailures: true, windowMs: 50_000, aheadMs: 30_000 };
    for (let seed = 1; seed <= 10; seed++) {
      const random = rng(seed);
      const table = new KeyTable(options);
      const ips = ['10.0.0.1', '10.0.0.2', '10.0.0.3'];
      let slid = 0;
      for (let closing = 0; closing < 400; closing++) {
        // Writes land up to 3 buckets ahead (what the lateness allows), or in the bucket counted last
        // (the engine releases a late 401 into the bucket that closed last); sometimes none for a while.
        const writes = random() < 0.3 ? 0 : Math.floor(random() * 4);
        for (let w = 0; w < writes; w++) {
          const ip = ips[Math.floor(random() * ips.length)] as string;
          const bucket = Math.max(0, closing - 1 + Math.floor(random() * 5));
          const e = ev(bucket * 10 + random() * 10, { ip });
          const kind = random();
          if (kind < 0.2) table.addAuthFailure(authFailure(e.time, ip), bucket);
          else if (kind < 0.4) {
            const st = table.requestState({ ...e, status: 200 });
            if (st) table.addRequest(st, e, bucket, true, false);
          } else table.addFailure(e, bucket, 0);
        }
        for (const st of table.keys.values()) {
          const before = st.countedBucket;
          const n = table.windowCount(st, closing);
          if (before === closing - 1 && st.lastFailBucket > closing - table.windowBuckets) slid++;
          const f = table.figures(st, closing, false);
          // A table whose rule reads reasons counts error-log failures as its own.
          expect(n).toBe(f.count);
        }
      }
      // Most counts were slid, not walked: the test exercised the shortcut.
      expect(slid).toBeGreaterThan(200);
    }
  });
});

function authFailure(time: number, ip: string): AuthFailureEvent {
  return { kind: 'auth_failure', time, ip, user: '', reason: 'user_not_found', detail: '', message: 'user not found', request: '', path: '/login', host: '', server: 'nginx', raw: 'raw', file: 'error.log', line: 1 };
}
