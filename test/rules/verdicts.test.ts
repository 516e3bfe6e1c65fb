/**
 * Attack, misconfiguration or nothing, on traffic shaped like the cases that were misjudged
 * (issue 17): each test writes real access and error log lines and reads them as `report` does.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Traffic, background } from '../../src/synth/traffic';
import { loadRules, type RuleSet } from '../../src/rules/load';
import { ROOT, tempDir } from '../support/paths';
import { H, M, found, hammer, loginUsers, report, writeSite } from '../support/sites';

const T0 = Date.UTC(2026, 10, 20, 6, 0, 0);
let rules: RuleSet;
const dir = tempDir();
beforeAll(async () => {
  rules = await loadRules(path.join(ROOT, 'rules'));
});

describe('who fails, weighted by failures', () => {
  test('one address hammering a login where ordinary users sometimes mistype is a brute force, not a broken path, and is not silenced', async () => {
    const t = new Traffic(17);
    background(t, T0, T0 + 3 * H, 12);
    // ~20 logins a minute, 15 % of them mistyped first: the path's failing clients are mostly people who succeed.
    loginUsers(t, T0, T0 + 3 * H, 20, 0.15);
    hammer(t, { ip: '203.0.113.9', user: '-', method: 'POST', target: '/login', status: 401, userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)' }, T0 + 2 * H, 20 * 60 * 4, 250);
    const r = await report([writeSite(dir, t).access], rules);
    expect(found(r)).toEqual(['brute-force 203.0.113.9']);
    expect(r.inhibited.filter((x) => x.rule !== 'auth-401-spike')).toEqual([]);
  });

  test('an inhibition never silences the address that caused most of the failures it explains, whatever the rules say', async () => {
    // A rule pack whose broken-path rule still counts clients and keeps the attacker in the step.
    const own = path.join(tempDir(), 'rules');
    cpSync(path.join(ROOT, 'rules'), own, { recursive: true });
    const file = path.join(own, 'misconfiguration.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^ {6}(ratio_without_top|top_ip_share|previously_ok_share): .*\n/gm, ''));
    const loose = await loadRules(own);
    const t = new Traffic(17);
    background(t, T0, T0 + 3 * H, 12);
    loginUsers(t, T0, T0 + 3 * H, 20, 0.15);
    hammer(t, { ip: '203.0.113.9', user: '-', method: 'POST', target: '/login', status: 401, userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)' }, T0 + 2 * H, 20 * 60 * 4, 250);
    const r = await report([writeSite(dir, t).access], loose);
    expect(found(r)).toEqual(['auth-broken-on-path /login', 'brute-force 203.0.113.9']);
    expect(r.inhibited.filter((x) => x.rule === 'brute-force')).toEqual([]);
  });
});

describe('a baseline knows how much history it holds', () => {
  test('a log that starts mid-traffic does not open with a site-wide spike: the report says the baseline is warming up', async () => {
    const t = new Traffic(21);
    // A busy login: ~60 visits a minute, a quarter of them mistype once: 15 unanswered 401s a minute, from the first line on.
    background(t, T0, T0 + 2 * H, 30);
    loginUsers(t, T0, T0 + 2 * H, 60, 0.25);
    const r = await report([writeSite(dir, t).access], rules);
    expect(found(r)).toEqual([]);
    const w = r.analysis?.warmup;
    expect(w?.historyFrom).toBe(r.range?.from);
    expect(Date.parse(w?.until ?? '') - Date.parse(w?.historyFrom ?? '')).toBe(30 * M);
    expect(w?.rules.map((x) => x.rule)).toEqual(expect.arrayContaining(['auth-401-spike', 'credential-stuffing', 'auth-broken-on-path']));
    // The spike's own conditions (50 failures in 5 min) held while there was nothing to compare them with.
    expect(w?.heldBack.map((h) => h.rule)).toContain('auth-401-spike');
  });
});
