/**
 * One generated log per incident kind (plus a clean one): the incident is found with the right
 * kind, group key and time range, and nothing else is. Then all six in one log, in every format.
 */
import path from 'node:path';
import { runReport } from '../../src/report/run';
import { loadRules, type RuleSet } from '../../src/rules/load';
import { CUSTOM_NGINX_FORMAT, type SynthFormat } from '../../src/synth/traffic';
import type { Incident } from '../../src/rules/incident';
import { ROOT, tempDir } from '../support/paths';
import { writeMixed, writeScenario, type Expected, type ScenarioName } from '../support/scenarios';

let rules: RuleSet;
const dir = tempDir();
beforeAll(async () => {
  rules = await loadRules(path.join(ROOT, 'rules'));
});

function formatSpec(format: SynthFormat): string {
  return format === 'custom' ? `nginx:${CUSTOM_NGINX_FORMAT}` : 'auto';
}

function expectMatches(incidents: Incident[], expected: Expected[]): void {
  const brief = (i: Incident) => `${i.rule} ${JSON.stringify(i.group)} ${i.start}..${i.end}`;
  expect(incidents.map(brief).map((b) => b.split(' ')[0]).sort()).toEqual(expected.map((e) => e.rule).sort());
  for (const e of expected) {
    const i = incidents.find((x) => x.rule === e.rule) as Incident;
    expect({ kind: i.kind, group: i.group }).toEqual({ kind: e.kind, group: e.group });
    const start = Date.parse(i.start);
    const end = Date.parse(i.end);
    if (start < e.startBetween[0] || start > e.startBetween[1] || end < e.endBetween[0] || end > e.endBetween[1]) {
      throw new Error(`${brief(i)} outside start ${new Date(e.startBetween[0]).toISOString()}..${new Date(e.startBetween[1]).toISOString()}, end ${new Date(e.endBetween[0]).toISOString()}..${new Date(e.endBetween[1]).toISOString()}`);
    }
    expect(i.samples.length).toBeGreaterThan(0);
    expect(i.checks.length).toBeGreaterThan(0);
    expect(i.summary).not.toMatch(/\{[a-z_.]+\}/);
  }
}

describe('one incident per log', () => {
  const names: ScenarioName[] = ['clean', 'brute-force', 'credential-stuffing', 'scanner', 'auth-broken-on-path', 'stale-credential', 'auth-401-spike'];
  test.each(names)('%s', async (name) => {
    const s = writeScenario(dir, name);
    const report = await runReport([s.file], { format: 'auto', rules });
    expect(report.lines.malformed).toBe(0);
    expectMatches(report.incidents, s.expected);
    expect(report.analysis?.late).toBe(0);
  });

  test('clean traffic has 401s, and they are all answered (challenges, token refresh)', async () => {
    const s = writeScenario(dir, 'clean');
    const report = await runReport([s.file], { format: 'auto', rules });
    expect(report.unauthorized.count).toBeGreaterThan(50);
    expect(report.analysis?.answered401).toBe(report.unauthorized.count);
    expect(report.analysis?.failed401).toBe(0);
  });
});

describe('all six in one log, in every format', () => {
  const formats: SynthFormat[] = ['combined', 'common', 'vhost_combined', 'json', 'custom'];
  test.each(formats)('%s', async (format) => {
    const s = writeMixed(dir, format);
    const report = await runReport([s.file], { format: formatSpec(format), rules });
    expect(report.lines.malformed).toBe(0);
    // In common format there is no user agent: the stale client is known by its user alone.
    const expected = s.expected.map((e) => (format === 'common' && e.group.client ? { ...e, group: { ...e.group, client: '(no user agent)' } } : e));
    expectMatches(report.incidents, expected);
    // Severity first, then start.
    const ranks = report.incidents.map((i) => ['critical', 'high', 'medium', 'low'].indexOf(i.severity));
    expect([...ranks].sort((a, b) => a - b)).toEqual(ranks);
  });
});
