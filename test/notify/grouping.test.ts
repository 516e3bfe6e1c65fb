/** Alertmanager-style grouping on a clock the test holds: group_wait, group_interval, repeat_interval, resolved, min severity. */
import type { Alert } from '../../src/daemon/outputs';
import { Grouper, type GroupingPolicy } from '../../src/notify/grouping';

const POLICY: GroupingPolicy = { groupBy: ['rule'], groupWaitMs: 30_000, groupIntervalMs: 300_000, repeatIntervalMs: 4 * 3_600_000, sendResolved: true, minSeverity: 'low' };

function alert(ip: string, status: Alert['status'] = 'firing', over: Partial<Alert> = {}): Alert {
  return {
    rule: 'brute-force', title: 'Brute force', kind: 'attack', severity: 'high', group: { ip }, fingerprint: `brute-force|${ip}`,
    start: '2026-11-20T09:00:00Z', end: '2026-11-20T09:05:00Z', firedAt: '2026-11-20T09:01:00Z', count: 30, metrics: { count: 30 },
    top: { ip: [], path: [], client: [], user: [] }, summary: `30 failed logins from ${ip}`, likely_cause: '', checks: [], samples: [], reasons: [],
    conditions: [], timeline: { start: '2026-11-20T09:00:00Z', stepMs: 60_000, counts: [30] }, approximate: false, open: true, status, ...over,
  };
}

test('alerts arriving within group_wait share one flush; nothing is due before group_wait', () => {
  const g = new Grouper(POLICY);
  for (let i = 0; i < 20; i++) g.accept(alert(`203.0.113.${i}`), 1_000 + i * 1000);
  expect(g.due(30_999)).toEqual([]);
  const [flush, ...rest] = g.due(31_000);
  expect(rest).toEqual([]);
  expect(flush?.firing).toHaveLength(20);
  expect(flush?.labels).toEqual({ rule: 'brute-force' });
});

test('after the first email, changes wait for group_interval; the resolved notice comes once, then the group is gone', () => {
  const g = new Grouper(POLICY);
  g.accept(alert('203.0.113.1'), 0);
  const first = g.due(30_000)[0];
  g.markSent(first?.key ?? '', 30_000, '<m1@x>');
  expect(g.due(31_000)).toEqual([]);
  g.accept(alert('203.0.113.2'), 60_000);
  expect(g.due(329_999)).toEqual([]);
  const second = g.due(330_000)[0];
  expect(second?.firing.map((a) => a.group.ip)).toEqual(['203.0.113.1', '203.0.113.2']);
  expect(second?.threadId).toBe('<m1@x>');
  g.markSent(second?.key ?? '', 330_000, '<m2@x>');
  g.accept(alert('203.0.113.1', 'resolved'), 400_000);
  g.accept(alert('203.0.113.2', 'resolved'), 400_000);
  const third = g.due(630_000)[0];
  expect(third?.resolved).toHaveLength(2);
  expect(third?.firing).toEqual([]);
  g.markSent(third?.key ?? '', 630_000, '<m3@x>');
  expect(g.groups.size).toBe(0);
});

test('the same firing alert again (a restart before the checkpoint) is not news; still firing after repeat_interval is', () => {
  const g = new Grouper(POLICY);
  g.accept(alert('203.0.113.1'), 0);
  const f = g.due(30_000)[0];
  g.markSent(f?.key ?? '', 30_000, '<m1@x>');
  expect(g.accept(alert('203.0.113.1', 'firing', { count: 99 }), 40_000)).toBe(false);
  expect(g.due(40_000 + POLICY.groupIntervalMs)).toEqual([]);
  const reminder = g.due(30_000 + POLICY.repeatIntervalMs)[0];
  expect(reminder?.repeat).toBe(true);
  expect(reminder?.firing[0]?.count).toBe(99);
});

test('min_severity filters; without send_resolved a resolution is silent; an unknown resolution is ignored', () => {
  const g = new Grouper({ ...POLICY, minSeverity: 'critical', sendResolved: false });
  expect(g.accept(alert('203.0.113.1'), 0)).toBe(false);
  expect(g.groups.size).toBe(0);
  g.setPolicy({ ...POLICY, sendResolved: false });
  g.accept(alert('203.0.113.1'), 0);
  g.markSent(g.due(30_000)[0]?.key ?? '', 30_000, '<m1@x>');
  g.accept(alert('203.0.113.1', 'resolved'), 60_000);
  expect(g.due(10 * 3_600_000)).toEqual([]);
  expect(g.groups.size).toBe(0);
  expect(g.accept(alert('198.51.100.9', 'resolved'), 70_000)).toBe(false);
});

test('group_by ip: one group per address', () => {
  const g = new Grouper({ ...POLICY, groupBy: ['rule', 'ip'] });
  g.accept(alert('203.0.113.1'), 0);
  g.accept(alert('203.0.113.2'), 0);
  expect(g.due(30_000).map((f) => f.labels)).toEqual([
    { rule: 'brute-force', ip: '203.0.113.1' },
    { rule: 'brute-force', ip: '203.0.113.2' },
  ]);
});
