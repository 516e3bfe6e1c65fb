import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { parseRuleText, loadRules, formatProblem } from '../../src/rules/load';
import { ruleFileJsonSchema } from '../../src/rules/schema';
import { renderTemplate } from '../../src/rules/compile';
import { DistinctCounter } from '../../src/aggregate/distinct';
import { CLI, ROOT, tempDir } from '../support/paths';
import { ruleYaml } from '../support/rules';

const GOOD = `rules:\n${ruleYaml('ok')}`;

describe('rule files', () => {
  test('the bundled rules load, and rules/schema.json is what `rules schema` prints', async () => {
    const set = await loadRules(path.join(ROOT, 'rules'));
    expect(set.rules.map((r) => r.id).sort()).toEqual([
      'auth-401-spike', 'auth-broken-on-path', 'brute-force', 'brute-force-slow', 'brute-force-subnet', 'credential-stuffing', 'password-file-unreadable', 'path-enumeration', 'scanner', 'sensitive-file-probe',
      'stale-credential', 'user-guessing',
    ]);
    expect(JSON.parse(readFileSync(path.join(ROOT, 'rules', 'schema.json'), 'utf8'))).toEqual(ruleFileJsonSchema());
  });

  test('a bad field names file, line, rule id and field path', () => {
    const text = GOOD.replace('when: { count: 3 }', 'when: { count: { gte: "three" } }');
    const { problems } = parseRuleText('rules/x.yaml', text);
    expect(problems).toHaveLength(1);
    expect(formatProblem(problems[0] as never)).toMatch(/^rules\/x\.yaml:7:\d+: rule "ok": when\.count/);
  });

  test('unknown keys, bad kinds and YAML syntax errors are reported with their line', () => {
    expect(formatProblem(parseRuleText('f.yaml', GOOD.replace('kind: attack', 'kind: attak')).problems[0] as never)).toMatch(/^f\.yaml:4:\d+: rule "ok": kind: /);
    expect(formatProblem(parseRuleText('f.yaml', GOOD + '    threshold: 5\n').problems[0] as never)).toMatch(/rule "ok": .*threshold/);
    expect(formatProblem(parseRuleText('f.yaml', 'rules:\n  - id: [unclosed\n').problems[0] as never)).toMatch(/^f\.yaml:\d+:\d+: YAML: /);
  });

  test('`rules check` exits 2 on an unknown template field, a duplicate id and a bad glob target', () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, 'rules'));
    writeFileSync(path.join(dir, 'rules', 'a.yaml'), GOOD.replace('{group.ip}', '{group.path}'));
    writeFileSync(path.join(dir, 'rules', 'b.yaml'), GOOD);
    const r = spawnSync(process.execPath, [CLI, 'rules', 'check', path.join(dir, 'rules')], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/a\.yaml.*rule "ok": summary: template field \{group\.path\} is not in group_by/);
    expect(r.stderr).toMatch(/b\.yaml.*rule "ok": id: duplicate id/);
    const ok = spawnSync(process.execPath, [CLI, 'rules', 'check'], { encoding: 'utf8' });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/^12 rules OK in 3 files/);
  });

  test('likely_cause and checks are templates checked like summary: an unknown field is a load error naming the file and field', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'a.yaml'), GOOD.replace('likely_cause: c', 'likely_cause: "{no_such_field} did it"'));
    writeFileSync(path.join(dir, 'b.yaml'), GOOD.replace('id: ok', 'id: ok-b').replace('checks: [x]', 'checks: ["x", { text: "block {group.path}", if: public_address }]'));
    const problems = await loadRules(dir).then(() => [], (e: { problems: Array<{ file: string; ruleId?: string; field: string; message: string }> }) => e.problems);
    expect(problems.map((p) => [path.basename(p.file), p.ruleId, `${p.field}: ${p.message.split(';')[0]}`])).toEqual([
      ['a.yaml', 'ok', 'likely_cause: unknown template field {no_such_field}'],
      ['b.yaml', 'ok-b', 'checks[1].text: template field {group.path} is not in group_by (ip)'],
    ]);
  });

  test('templates insert values and never execute them', () => {
    expect(renderTemplate('{count} on {top_path}, {ratio}', { count: 1204, top_path: '${process.exit(1)}{count}', ratio: 0.953 })).toBe('1,204 on ${process.exit(1)}{count}, 95.3%');
  });
});

describe('distinct counter', () => {
  test('exact up to its limit, then HyperLogLog within a few percent', () => {
    for (const n of [100, 5_000, 200_000]) {
      const d = new DistinctCounter(256);
      for (let i = 0; i < n; i++) d.add(`client-${i}`);
      for (let i = 0; i < n; i += 3) d.add(`client-${i}`);
      if (n <= 256) expect(d.count()).toBe(n);
      else expect(Math.abs(d.count() - n) / n).toBeLessThan(0.05);
      expect(d.approximate).toBe(n > 256);
    }
  });
});
