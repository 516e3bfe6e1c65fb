import { Engine, DEFAULT_ENGINE_OPTIONS, type AlertTransition } from '../../src/rules/engine';
import { compileRule, type CompiledRule } from '../../src/rules/compile';
import { parseRuleText } from '../../src/rules/load';
import { BASE, ev } from '../support/events';

function rule(yaml: string): CompiledRule {
  const r = parseRuleText('test.yaml', `rules:\n  - id: r\n    title: T\n    kind: attack\n    severity: high\n    summary: "{count}"\n    likely_cause: c\n    checks: [x]\n${yaml.replace(/^/gm, '    ')}`);
  if (r.problems.length) throw new Error(JSON.stringify(r.problems));
  const c = compileRule(r.rules[0] as never);
  if (typeof c === 'string') throw new Error(c);
  return c;
}

const PER_IP = rule('group_by: [ip]\nwindow: 1m\nwhen: { count: 5 }\nresolve_after: 1m');

function run(rules: CompiledRule[], events: ReturnType<typeof ev>[]) {
  const transitions: AlertTransition[] = [];
  const engine = new Engine(rules, DEFAULT_ENGINE_OPTIONS, (t) => transitions.push(t));
  for (const e of events) engine.add(e);
  return { incidents: engine.finish(), transitions, stats: engine.stats, engine };
}

describe('windows, watermark and late events', () => {
  test('5 failures inside one minute fire; 5 spread over three minutes do not', () => {
    expect(run([PER_IP], [0, 10, 20, 30, 40].map((s) => ev(s))).incidents).toHaveLength(1);
    expect(run([PER_IP], [0, 40, 80, 120, 160].map((s) => ev(s))).incidents).toHaveLength(0);
  });

  test('an event older than the watermark is counted as late, not analysed', () => {
    const { stats } = run([PER_IP], [ev(0), ev(200, { ip: '10.0.0.9', status: 200 }), ev(100), ev(139), ev(141)]);
    // Watermark = 200 s − 60 s = 140 s: buckets before 130 s are closed.
    expect(stats.late).toBe(2);
    expect(stats.events).toBe(3);
  });

  test('an event a little older than the very first one is not late', () => {
    // The first event at 10.5 s, the next at 9.9 s, in the bucket before: within the lateness.
    const { stats, incidents } = run([PER_IP], [ev(10.5), ev(9.9), ev(11), ev(12), ev(13)]);
    expect(stats.late).toBe(0);
    expect(incidents[0]?.count).toBe(5);
  });

  test('an event far ahead does not overwrite buckets still open (it closes them first)', () => {
    // Ring slots repeat every window + lateness buckets (15 here): 600 s later is a multiple of that.
    // 403s are counted on arrival (only 401s wait to be settled), and the later request is on the same key.
    const siteWide = rule('where: { status: [403] }\ngroup_by: []\nwindow: 1m\nwhen: { count: 5, total: 1 }');
    const burst = [0, 1, 2, 3, 4].map((s) => ev(s, { status: 403 }));
    const later = ev(600, { status: 200, ip: '192.0.2.9' });
    const r = run([siteWide], [...burst, later]);
    expect(r.incidents.map((i) => i.count)).toEqual([5]);
  });

  test('events within the allowed lateness are still counted in their own window', () => {
    const events = [ev(0), ev(30, { ip: '10.0.0.9', status: 200 }), ev(1), ev(2), ev(3), ev(4)];
    expect(run([PER_IP], events).incidents).toHaveLength(1);
  });
});

describe('settling 401s', () => {
  const ANY_PATH = rule('group_by: [ip]\nwindow: 1m\nwhen: { count: 1 }');
  test('a 401 answered by a success for the same client and path within 5 s is not a failure', () => {
    const r = run([ANY_PATH], [ev(0, { method: 'GET', path: '/admin/' }), ev(0.8, { method: 'GET', path: '/admin/', status: 200, remoteUser: 'alice' })]);
    expect(r.incidents).toHaveLength(0);
    expect(r.stats).toMatchObject({ answered401: 1, failed401: 0 });
  });

  test('a success too late, on another path, or from another client does not answer it', () => {
    for (const success of [ev(6, { status: 200 }), ev(1, { status: 200, path: '/other' }), ev(1, { status: 200, userAgent: 'other' }), ev(1, { status: 200, ip: '198.51.100.2' })]) {
      const r = run([ANY_PATH], [ev(0), success]);
      expect(r.stats).toMatchObject({ answered401: 0, failed401: 1 });
      expect(r.incidents).toHaveLength(1);
    }
  });
});

describe('lifecycle: pending, firing, resolved', () => {
  test('one incident for continuous failures, however long; count covers all of them', () => {
    const events = Array.from({ length: 600 }, (_, i) => ev(i)); // 10 minutes at 1/s
    const r = run([PER_IP], events);
    expect(r.incidents).toHaveLength(1);
    expect(r.incidents[0]).toMatchObject({ count: 600, start: new Date(BASE).toISOString(), end: new Date(BASE + 599_000).toISOString(), open: true });
    expect(r.transitions.map((t) => t.status)).toEqual(['firing']);
  });

  test('{peak_per_min} is the busiest minute: a burst is not averaged over the window', () => {
    const burst = rule('group_by: [ip]\nwindow: 5m\nwhen: { count: 20 }');
    burst.summary = '{count} (at most {peak_per_min} in a minute; {rate_per_min} a minute over {window})';
    const events = [...Array.from({ length: 25 }, (_, i) => ev(i * 0.04)), ...Array.from({ length: 5 }, (_, i) => ev(120 + i))];
    expect(run([burst], events).incidents.map((i) => i.summary)).toEqual(['30 (at most 25 in a minute; 6 a minute over 5 min)']);
  });

  test('a pause longer than resolve_after makes two incidents; a shorter one does not', () => {
    const burst = (from: number) => Array.from({ length: 10 }, (_, i) => ev(from + i));
    const long = run([PER_IP], [...burst(0), ...burst(300)]);
    expect(long.incidents.map((i) => i.count)).toEqual([10, 10]);
    expect(long.transitions.map((t) => t.status)).toEqual(['firing', 'resolved', 'firing']);
    const short = run([PER_IP], [...burst(0), ...burst(90)]);
    expect(short.incidents.map((i) => i.count)).toEqual([20]);
  });

  test('`repeat`: an alert still firing is announced again every `repeat` of event time, until it resolves', () => {
    const r = rule('group_by: [ip]\nwindow: 1m\nwhen: { count: 5 }\nresolve_after: 1m\nrepeat: 2m');
    const t = run([r], Array.from({ length: 420 }, (_, i) => ev(i))).transitions; // 7 minutes at 1/s
    expect(t.map((x) => (x.repeat ? 'repeat' : x.status))).toEqual(['firing', 'repeat', 'repeat', 'repeat']);
    // Each repeat carries the incident as it stands: more failures each time.
    expect(t.map((x) => x.incident.count)).toEqual([...t.map((x) => x.incident.count)].sort((a, b) => a - b));
    expect(new Set(t.map((x) => x.incident.count)).size).toBe(4);
  });

  test('`for` keeps a short burst pending and never fires it', () => {
    const slow = rule('group_by: [ip]\nwindow: 1m\nwhen: { count: 5 }\nfor: 2m');
    expect(run([slow], Array.from({ length: 20 }, (_, i) => ev(i))).incidents).toHaveLength(0);
    const fired = run([slow], Array.from({ length: 200 }, (_, i) => ev(i)));
    expect(fired.incidents).toHaveLength(1);
    expect(Date.parse(fired.incidents[0]?.firedAt as string) - BASE).toBeGreaterThanOrEqual(120_000);
  });
});

describe('metrics', () => {
  test('ratio, distinct counts, attempts per IP, had_success_before, previously_ok_share', () => {
    // `total` in the conditions makes the table count every request, not only failing keys.
    const r = rule('group_by: [path]\nwindow: 1m\nwhen: { count: 4, total: 1 }');
    const events = [
      ev(0, { ip: '10.0.0.1', status: 200 }),
      ev(10, { ip: '10.0.0.1', remoteUser: 'ann' }),
      ev(11, { ip: '10.0.0.2', remoteUser: 'bob' }),
      ev(12, { ip: '10.0.0.2', remoteUser: 'cid' }),
      ev(13, { ip: '10.0.0.3' }),
      ev(14, { ip: '10.0.0.4', status: 200 }),
    ];
    const m = run([r], events).incidents[0]?.metrics;
    expect(m).toMatchObject({ count: 4, total: 6, success: 2, distinct_ips: 3, distinct_users: 3, distinct_paths: 1, attempts_per_ip: 1.333, had_success_before: 1 });
    expect(m?.ratio).toBeCloseTo(4 / 6, 3);
    // Weighted by failures: 1 of the 4 failures comes from an address that had a 200 (10.0.0.1).
    expect(m?.previously_ok_share).toBeCloseTo(1 / 4, 3);
    // The busiest address (10.0.0.2, 2 failures) taken out: 2 failures of 4 requests left.
    expect(m?.top_ip_share).toBeCloseTo(2 / 4, 3);
    expect(m?.ratio_without_top).toBeCloseTo(2 / 4, 3);
    expect(m?.distinct_clients).toBe(3);
    expect(m?.span).toBe(3); // first failure at 10 s, last at 13 s
    expect(m?.rate_per_min).toBe(4); // 4 failures in a 1-minute window
  });

  test('answered 401s are counted as such, and rate_factor compares with the floored baseline rate', () => {
    const r = rule('group_by: [path]\nwindow: 1m\nwhen: { count: 10, rate_factor: 1, answered: { gte: 0 } }\nbaseline_warmup: 0s');
    const challenges = [ev(0, { ip: '10.0.0.8' }), ev(0.5, { ip: '10.0.0.8', status: 200, remoteUser: 'ann' })];
    const failures = Array.from({ length: 12 }, (_, i) => ev(5 + i, { ip: `10.0.1.${i}` }));
    const m = run([r], [...challenges, ...failures]).incidents[0]?.metrics;
    expect(m?.answered).toBe(1);
    expect(m?.count).toBe(12);
    expect(m?.baseline_rate_per_min).toBe(0);
    // No failures in the hour before: the rate is compared with the 0.2/min floor.
    expect(m?.rate_factor).toBeCloseTo(12 / 0.2, 3);
  });

  test('a rule on failure metrics only keeps no per-request figures, and reports none', () => {
    const lazy = run([rule('group_by: [ip]\nwindow: 1m\nwhen: { count: 2 }')], [ev(0, { status: 200 }), ev(1), ev(2)]).incidents[0]?.metrics;
    expect(lazy?.count).toBe(2);
    for (const m of ['total', 'ratio', 'success', 'answered', 'had_success_before', 'baseline_total']) expect(lazy).not.toHaveProperty(m);
  });

  test('baseline: the key\'s figures over the hour before the window', () => {
    const r = rule('group_by: [path]\nwindow: 5m\nwhen: { ratio: 0.5, baseline_total: 50 }\npath_prefix_segments: 1');
    // The baseline is made of whole 5-minute slots before the window: this history ends a slot earlier.
    const history = Array.from({ length: 100 }, (_, i) => ev(-3300 + i * 30, { ip: `10.1.0.${i % 50}`, status: i % 10 === 0 ? 401 : 200, path: '/api', userAgent: `c${i % 50}` }));
    const now = Array.from({ length: 20 }, (_, i) => ev(i * 5, { ip: `10.1.0.${i}`, path: '/api', userAgent: `c${i}` }));
    const m = run([r], [...history, ...now]).incidents[0]?.metrics;
    expect(m?.baseline_total).toBe(100);
    expect(m?.baseline_count).toBe(10);
    expect(m?.baseline_ratio).toBeCloseTo(0.1, 3);
    expect(m?.ratio).toBe(1);
    expect(m?.increase).toBeCloseTo(0.9, 3);
  });
});

describe('baseline history', () => {
  test('the baseline rate is over the history observed, and a baseline rule waits for its warm-up', () => {
    const r = rule('group_by: []\nwindow: 5m\nwhen: { count: 10, rate_factor: 3 }\nbaseline_warmup: 20m');
    // 2 failures a minute from the first event on, from ever-new addresses, then 20 a minute from 30 min.
    const steady = Array.from({ length: 60 }, (_, i) => ev(i * 30, { ip: `10.2.0.${i}` }));
    const burst = Array.from({ length: 100 }, (_, i) => ev(1800 + i * 3, { ip: `10.3.0.${i}` }));
    const { incidents, stats } = run([r], [...steady, ...burst]);
    // 25 to 30 min of history (whole 5-minute slots before the window): 2 a minute, not 50 / 60.
    expect(incidents).toHaveLength(1);
    expect(incidents[0]?.metrics.baseline_rate_per_min).toBeCloseTo(2, 3);
    expect([25 * 60, 30 * 60]).toContain(incidents[0]?.metrics.baseline_span);
    // The steady 10 failures per 5 min met `count` before 20 min of history: held back, not alerted.
    expect(stats.warmup.heldBack).toEqual([expect.objectContaining({ rule: 'r', group: {} })]);
    expect(Date.parse(incidents[0]?.start as string) - BASE).toBeGreaterThanOrEqual(20 * 60_000);
  });
});

describe('bounded memory', () => {
  test('1 M distinct IPs in 401s: every key table stays within its capacity, and the heavy hitter is still found exactly', () => {
    const r = rule('group_by: [ip]\nwindow: 5m\nwhen: { count: 50 }');
    const spread = rule('group_by: [path]\nwindow: 5m\nwhen: { distinct_ips: 1000 }');
    const capacity = 5000;
    const engine = new Engine([r, spread], { ...DEFAULT_ENGINE_OPTIONS, capacity });
    let maxSize = 0;
    for (let i = 0; i < 1_000_000; i++) {
      const sec = i / 2000; // 500 s of a botnet at 2,000 requests a second
      engine.add(ev(sec, { ip: `${10 + (i >>> 16)}.${(i >>> 8) & 255}.${i & 255}.1` }));
      if (i % 100 === 0) engine.add(ev(sec, { ip: '203.0.113.66' }));
      if (i % 50_000 === 0) maxSize = Math.max(maxSize, engine.maxTableSize);
    }
    const incidents = engine.finish();
    expect(maxSize).toBeLessThanOrEqual(capacity);
    expect(engine.stats.evictions).toBeGreaterThan(0);
    const heavy = incidents.find((i) => i.rule === 'r' && i.group.ip === '203.0.113.66');
    expect(heavy?.count).toBe(10_000);
    expect(heavy?.approximate).toBe(true); // the table evicted keys: the report says figures may be estimates
    const botnet = incidents.find((i) => i.group.path === '/login');
    expect(botnet?.approximate).toBe(true);
    // 5 minutes of the flood: 600,000 distinct addresses, estimated by HyperLogLog within 5 %.
    expect(Math.abs((botnet?.metrics.distinct_ips as number) - 600_001) / 600_001).toBeLessThan(0.05);
  });
});
