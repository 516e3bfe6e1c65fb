import { KeyTable, type TableOptions } from '../../src/aggregate/table';
import { ev } from '../support/events';

const OPTIONS: TableOptions = {
  bucketMs: 10_000, windowMs: 60_000, baselineMs: 3_600_000, aheadMs: 65_000, groupBy: ['client', 'user'], pathPrefixSegments: 2,
  capacity: 100, countsAuthFailures: false, trackBaseline: false, tracksAllRequests: false, promoteAt: 1,
};

describe('KeyTable with a multi-dimension key on failures only', () => {
  test('requests reach the key of their client and user, and no other, while keys of the same client come and go', () => {
    const table = new KeyTable(OPTIONS);
    const fail = (s: number, ua: string, user: string) => table.addFailure(ev(s, { userAgent: ua, remoteUser: user }), Math.floor(s / 10), false);
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
