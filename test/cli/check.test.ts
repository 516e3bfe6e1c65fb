/**
 * `authwatch config check|schema` and `authwatch rules check`: every problem at once, each at its real
 * line and column, in words that say what is allowed. The real CLI on real files.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CLI, ROOT, tempDir } from '../support/paths';
import { runCli } from '../support/cli';
import { ruleYaml } from '../support/rules';

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first`);
});



function write(dir: string, name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe('authwatch config check', () => {
  test('every problem at once, at its line and column, sorted, exit 2', () => {
    const dir = tempDir();
    const file = write(
      dir,
      'authwatch.yaml',
      `inputs:
  - path: /var/log/nginx/access.log
  - syslog: { protocol: udp, port: 70000 }
    path: x
state_dir: ./state
ouputs:
  - type: stdout
outputs:
  - type: smtp
  - type: jsonl
limits: { max_line_bytes: 10 }
`,
    );
    const r = runCli(['config', 'check', file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe(`${file}:3:5: inputs[1]: give either path (files) or syslog (a listener)`);
    expect(lines[1]).toBe(`${file}:3:36: inputs[1].syslog.port: 70000: must be at most 65535`);
    expect(lines[2]).toBe(`${file}:6:1: ouputs: unknown key "ouputs"; did you mean "outputs"?`);
    // The values allowed, by name (whatever output types exist), instead of "Invalid discriminator value".
    expect(lines[3]).toMatch(new RegExp(`^${file}:9:11: outputs\\[0\\]\\.type: "smtp" is not one of [a-z_, ]*\\bstdout\\b[a-z_, ]*$`));
    expect(lines[3]).toMatch(/\bjsonl\b.*|.*\bwebhook\b/);
    expect(lines[4]).toBe(`${file}:10:5: outputs[1].path: missing: a string is required`);
    expect(lines[5]).toBe(`${file}:11:27: limits.max_line_bytes: 10: must be at least 256`);
    expect(lines).toHaveLength(6);
  });

  test('YAML syntax errors, all of them, with their positions', () => {
    const dir = tempDir();
    const file = write(dir, 'bad.yaml', 'inputs:\n  - path: [unclosed\nstate_dir: x\nstate_dir: y\n');
    const r = runCli(['config', 'check', file]);
    expect(r.code).toBe(2);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const l of lines) expect(l).toMatch(new RegExp(`^${file}:[1-9]\\d*:[1-9]\\d*: YAML: `));
    expect(lines.some((l) => l.startsWith(`${file}:4:1: YAML: Map keys must be unique`))).toBe(true);
  });

  test('a valid config: OK with what it holds, and the rules it names are checked too', () => {
    const ok = runCli(['config', 'check', 'authwatch.example.yaml']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^authwatch\.example\.yaml: OK \(3 inputs, 2 outputs, \d+ rules, email; rules from the bundled rules\/\)\n$/);
    const dir = tempDir();
    mkdirSync(path.join(dir, 'rules'));
    write(path.join(dir, 'rules'), 'a.yaml', `rules:\n${ruleYaml('a').replace('count: 3', 'ratio: 2')}`);
    const file = write(dir, 'authwatch.yaml', 'inputs:\n  - path: ./access.log\nstate_dir: ./state\nrules: ./rules\n');
    const r = runCli(['config', 'check', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`${path.join(dir, 'rules', 'a.yaml')}:7:20: rule "a": when.ratio: out of range: a share from 0 to 1 (0.25 is 25 %)\n`);
  });

  test('a file that cannot be read', () => {
    const r = runCli(['config', 'check', '/no/such/authwatch.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('authwatch: /no/such/authwatch.yaml: cannot read the config (ENOENT)\n');
  });
});

describe('authwatch config schema', () => {
  test('is the committed authwatch.schema.json, which the example config names for editors', () => {
    const r = runCli(['config', 'schema']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(readFileSync(path.join(ROOT, 'authwatch.schema.json'), 'utf8'));
    const schema = JSON.parse(r.stdout);
    expect(schema.properties.outputs.items.oneOf ?? schema.properties.outputs.items.anyOf).toBeDefined();
    expect(schema.required).toEqual(expect.arrayContaining(['inputs', 'state_dir']));
    expect(readFileSync(path.join(ROOT, 'authwatch.example.yaml'), 'utf8').split('\n')[0]).toBe('# yaml-language-server: $schema=./authwatch.schema.json');
  });
});

describe('authwatch rules check', () => {
  test('every problem of every file at once: schema, ranges, duplicate ids, templates, inhibit names; real positions', () => {
    const dir = tempDir();
    write(
      dir,
      'a.yaml',
      `rules:
${ruleYaml('one').replace('kind: attack', 'kind: attak').replace('when: { count: 3 }', 'when: { count: 3, ratio: { gte: 1.5 }, distinct_paths: { gte: -1 }, ratoi: 0.5 }')}${ruleYaml('two', '    threshold: 4\n')}inhibit:
  - source: { rules: [nope] }
    target: { kinds: [attack] }
`,
    );
    write(dir, 'b.yaml', `rules:\n${ruleYaml('one')}${ruleYaml('three').replace('{group.ip}', '{group.path}')}${ruleYaml('four').replace('window: 5m', 'window: 5s')}`);
    const r = runCli(['rules', 'check', dir]);
    expect(r.code).toBe(2);
    const a = path.join(dir, 'a.yaml');
    const b = path.join(dir, 'b.yaml');
    expect(r.stderr.trimEnd().split('\n')).toEqual([
      `${a}:4:11: rule "one": kind: "attak" is not one of attack, misconfiguration, anomaly`,
      `${a}:7:37: rule "one": when.ratio.gte: out of range: a share from 0 to 1 (0.25 is 25 %)`,
      `${a}:7:67: rule "one": when.distinct_paths.gte: out of range: a count (0 or more)`,
      `${a}:7:73: rule "one": when.ratoi: unknown key "ratoi"; did you mean "ratio"?`,
      expect.stringMatching(new RegExp(`^${a}:22:5: rule "two": threshold: unknown key "threshold" \\(expected one of id, title, kind, `)),
      `${a}:24:23: inhibit[0].source.rules[0]: names an unknown rule "nope"`,
      `${b}:2:9: rule "one": id: duplicate id (also at ${a}:2:9)`,
      `${b}:18:14: rule "three": summary: template field {group.path} is not in group_by (ip)`,
      `${b}:26:13: rule "four": window: at least 10s (one bucket)`,
    ]);
  });

  test('thresholds inside their metric\'s range pass; "1 rule OK in 1 file"', () => {
    const dir = tempDir();
    write(dir, 'a.yaml', `rules:\n${ruleYaml('a').replace('count: 3', 'count: 3, ratio: { lte: 1 }, increase: { gte: -0.5 }, had_success_before: 1, distinct_paths: 0')}`);
    const r = runCli(['rules', 'check', dir]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('1 rule OK in 1 file (a)\n');
    expect(r.code).toBe(0);
  });

  test.each([
    ['ratio: 1.01', 'when.ratio: out of range: a share from 0 to 1'],
    ['increase: { lt: -2 }', 'when.increase.lt: out of range: the ratio minus the baseline ratio, from -1 to 1'],
    ['had_success_before: 2', 'when.had_success_before: out of range: 1 when the key succeeded before the window, else 0'],
    ['rate_per_min: { gt: -1 }', 'when.rate_per_min.gt: out of range: a rate per minute (0 or more)'],
    ['reason.user_not_found: -3', 'when.reason.user_not_found: out of range: a count (0 or more)'],
  ])('%s is refused', (condition, message) => {
    const dir = tempDir();
    write(dir, 'a.yaml', `rules:\n${ruleYaml('a').replace('count: 3', `count: 3, ${condition}`)}`);
    const r = runCli(['rules', 'check', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`rule "a": ${message}`);
  });

  test('the bundled rules pass, and a directory that does not exist is said with its reason', () => {
    const ok = runCli(['rules', 'check']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^\d+ rules OK in \d+ files \(/);
    const missing = runCli(['rules', 'check', '/no/such/rules']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe('/no/such/rules:0:0: cannot read the rules directory (ENOENT; check --rules)\n');
  });
});
