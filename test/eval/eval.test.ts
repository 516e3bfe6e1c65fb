/**
 * The evaluation's own instruments: the generator is deterministic for a seed and writes lines the
 * product reads without a malformed one (through the real CLI), and the matcher classifies a
 * hand-made list of reported incidents as eval/README.md defines it.
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { CYCLE, caseKind, generateCase, writeCase, type GeneratedCase } from '../../eval/cases';
import { judgeCase, pathRelated } from '../../eval/match';
import type { ReportedIncident } from '../../eval/product';
import { summarize, type CaseResult } from '../../eval/score';
import type { TruthItem } from '../../eval/truth';
import { CLI, tempDir } from '../support/paths';

const SMALL = { maxRequests: 1500 };

describe('generator', () => {
  test('a seed and a case number give the same files and labels, another seed other ones', () => {
    for (const index of [0, 7, 9, 12, 16]) {
      const a = generateCase(5, index, SMALL);
      const b = generateCase(5, index, SMALL);
      expect(b.files).toEqual(a.files);
      expect(b.truth).toEqual(a.truth);
      expect(a.kind).toBe(caseKind(index));
      const other = generateCase(6, index, SMALL);
      expect(other.files.map((f) => f.text)).not.toEqual(a.files.map((f) => f.text));
    }
  });

  test('authwatch reads every generated line (access and error logs, every format) with none malformed; each case is labelled as its kind', () => {
    const dir = tempDir('authwatch-eval-test-');
    try {
      const cases: GeneratedCase[] = Array.from({ length: CYCLE.length }, (_, i) => generateCase(11, i, SMALL));
      for (const c of cases) {
        if (c.kind === 'clean') expect(c.truth).toEqual([]);
        else expect(c.truth.map((t) => t.kind)).toEqual([c.kind]);
      }
      const runs = new Map<string, string[]>();
      const expectedKind = new Map<string, string>();
      for (const c of cases) {
        const files = writeCase(c, path.join(dir, `case-${c.index}`));
        files.forEach((f) => expectedKind.set(f, f.endsWith('error.log') ? 'error' : 'access'));
        const key = c.formatOption ?? 'auto';
        runs.set(key, [...(runs.get(key) ?? []), ...files]);
      }
      const formats = new Set<string>();
      for (const [format, files] of runs) {
        const r = spawnSync(process.execPath, [CLI, 'report', ...files, '--output', 'json', '--format', format], { encoding: 'utf8', maxBuffer: 64 << 20 });
        expect(r.status).toBe(0);
        const report = JSON.parse(r.stdout) as { sources: Array<{ path: string; format: string; lines: number; parsed: number; malformed: number }> };
        for (const s of report.sources) {
          expect({ file: s.path, malformed: s.malformed }).toEqual({ file: s.path, malformed: 0 });
          expect(s.parsed).toBe(s.lines);
          const isError = /_error$/.test(s.format);
          expect(isError ? 'error' : 'access').toBe(expectedKind.get(s.path));
          formats.add(s.format);
        }
      }
      // The cases cover both servers' error logs and several access formats.
      expect([...formats]).toEqual(expect.arrayContaining(['nginx_error', 'apache_error', 'combined', 'json']));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const T0 = Date.UTC(2026, 10, 20, 9, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString();
const MIN = 60_000;

function truth(over: Partial<TruthItem> = {}): TruthItem {
  return {
    kind: 'brute-force-fast', expected: 'attack', variant: 'login', start: T0, end: T0 + 10 * MIN, detail: 'test',
    actor: { ips: ['203.0.113.7'], subnets: [], paths: ['/login'], clients: ['Mozilla/4.0 (Hydra)'], users: [] }, ...over,
  };
}

function incident(kind: string, group: Record<string, string>, startMin: number, endMin: number, top: ReportedIncident['top'] = {}): ReportedIncident {
  return { rule: `${kind}-rule`, kind, severity: 'high', group, start: iso(T0 + startMin * MIN), end: iso(T0 + endMin * MIN), count: 1, summary: 's', top };
}

describe('matcher', () => {
  test('an incident naming the attacker in its window is the attack; others are false alerts', () => {
    const j = judgeCase([truth()], [incident('attack', { ip: '203.0.113.7' }, 1, 9), incident('attack', { ip: '198.51.100.1' }, 1, 9)], null);
    expect(j.items[0]?.reported).toBe('attack');
    expect(j.items[0]?.correct).toBe(true);
    expect(j.falseAlerts.map((f) => f.group)).toEqual([{ ip: '198.51.100.1' }]);
  });

  test('attack and misconfiguration both naming the actor is a confusion, not a find', () => {
    const j = judgeCase([truth()], [incident('attack', { ip: '203.0.113.7' }, 1, 9), incident('misconfiguration', { path_prefix: '/login' }, 2, 12)], null);
    expect(j.items[0]?.reported).toBe('both');
    expect(j.items[0]?.correct).toBe(false);
  });

  test('a misconfiguration reported for an attack is wrong; an anomaly alone is "anomaly"', () => {
    expect(judgeCase([truth()], [incident('misconfiguration', { client: 'Mozilla/4.0 (Hydra)', user: '(no user)' }, 0, 30)], null).items[0]?.reported).toBe('misconfiguration');
    const spike = judgeCase([truth()], [incident('anomaly', {}, 0, 20, { ip: [{ key: '203.0.113.7', count: 40 }], path: [{ key: '/login', count: 40 }] })], null);
    expect(spike.items[0]?.reported).toBe('anomaly');
    expect(spike.falseAlerts).toEqual([]);
  });

  test('time: the window widened by 10 min before and 30 min after, no further', () => {
    const t = truth();
    expect(judgeCase([t], [incident('attack', { ip: '203.0.113.7' }, -25, -11)], null).items[0]?.reported).toBe('nothing');
    expect(judgeCase([t], [incident('attack', { ip: '203.0.113.7' }, -25, -9)], null).items[0]?.reported).toBe('attack');
    expect(judgeCase([t], [incident('attack', { ip: '203.0.113.7' }, 39, 50)], null).items[0]?.reported).toBe('attack');
    expect(judgeCase([t], [incident('attack', { ip: '203.0.113.7' }, 41, 50)], null).items[0]?.reported).toBe('nothing');
  });

  test('subnets, IPv6 spellings, the proxy address and site-wide incidents without top entries', () => {
    const v6 = truth({ actor: { ips: ['2a02:8108:1a40:4e2b::5', '2a02:8108:1a40:4e2b:0:0:0:6'], subnets: ['2a02:8108:1a40:4e2b::/64'], paths: ['/'], clients: [], users: [] } });
    expect(judgeCase([v6], [incident('attack', { subnet: '2a02:8108:1a40:4e2b::/64' }, 0, 5)], null).items[0]?.reported).toBe('attack');
    expect(judgeCase([v6], [incident('attack', { ip: '2a02:8108:1a40:4e2b::6' }, 0, 5)], null).items[0]?.reported).toBe('attack');
    expect(judgeCase([v6], [incident('attack', { subnet: '2a02:8108:1a40:4e2c::/64' }, 0, 5)], null).items[0]?.reported).toBe('nothing');
    expect(judgeCase([truth()], [incident('attack', { ip: '127.0.0.1' }, 0, 5)], '127.0.0.1').items[0]?.reported).toBe('attack');
    expect(judgeCase([truth()], [incident('attack', { ip: '127.0.0.1' }, 0, 5)], null).items[0]?.reported).toBe('nothing');
    expect(judgeCase([truth()], [incident('misconfiguration', {}, 0, 5)], null).items[0]?.reported).toBe('misconfiguration');
  });

  test('paths: same, under or above the actor\'s; the root names only a root actor', () => {
    expect(pathRelated('/api/v2/orders', '/api/v2/')).toBe(true);
    expect(pathRelated('/api', '/api/v2/')).toBe(true);
    expect(pathRelated('/api/v3', '/api/v2/')).toBe(false);
    expect(pathRelated('/', '/login')).toBe(false);
    expect(pathRelated('/login', '/')).toBe(true);
    expect(pathRelated('/login?next=/', '/login')).toBe(true);
  });

  test('benign: quiet is right, any matching incident is not', () => {
    const wave = truth({ kind: 'token-refresh-wave', expected: 'quiet', actor: { ips: ['198.51.100.4'], subnets: [], paths: ['/api/'], clients: [], users: [] } });
    expect(judgeCase([wave], [], null).items[0]?.correct).toBe(true);
    const noisy = judgeCase([wave], [incident('anomaly', {}, 0, 5, { path: [{ key: '/api/orders', count: 90 }] })], null);
    expect(noisy.items[0]).toMatchObject({ reported: 'anomaly', correct: false });
  });

  test('the summary counts confusions, quiet benign cases and false alerts per week of traffic', () => {
    const base = { pages: 1, matched: [], inhibited: [], falseAlerts: [], hours: 84, lines: 10, malformed: 0, detail: '', site: '', files: [], formatOption: null, tags: { proxy: 'none' } };
    const results: CaseResult[] = [
      { ...base, index: 0, kind: 'brute-force-fast', variant: 'login', expected: 'attack', reported: 'attack', correct: true },
      { ...base, index: 1, kind: 'brute-force-fast', variant: 'login', expected: 'attack', reported: 'both', correct: false },
      { ...base, index: 2, kind: 'broken-deploy', variant: 'api-all', expected: 'misconfiguration', reported: 'attack', correct: false },
      { ...base, index: 3, kind: 'token-refresh-wave', variant: 'small', expected: 'quiet', reported: 'nothing', correct: true },
      { ...base, index: 4, kind: 'clean', variant: null, expected: null, reported: null, correct: null, falseAlerts: [{ rule: 'scanner', kind: 'attack', group: {}, start: '', end: '', summary: '' }] },
    ];
    const s = summarize(1, results, (i) => `replay ${i}`);
    expect(s.confusions).toBe(2);
    expect(s.recall['brute-force-fast']).toEqual({ cases: 2, correct: 1, rate: 0.5 });
    expect(s.benignQuiet).toEqual({ cases: 1, correct: 1, rate: 1 });
    expect(s.falseAlerts.all).toEqual({ count: 1, hours: 420, perDay: 0.057, perWeek: 0.4 });
    expect(s.falseAlerts.clean.perWeek).toBe(2);
    expect(s.worst.map((w) => w.index)).toEqual([1, 2, 4]);
    expect(s.worst[0]?.replay).toBe('replay 1');
  });
});
