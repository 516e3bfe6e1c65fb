/**
 * The man page and the shell completions come from the same commander definitions as --help: every
 * command and option --help lists is in them. Completions are run in a real bash; the man page is
 * rendered by groff with warnings on.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CLI, ROOT, tempDir } from '../support/paths';
import { runCli } from '../support/cli';

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first`);
});

/** Every command path and its options, read from --help output as a user sees it. */
function helpTree(words: string[] = []): Array<{ words: string[]; options: string[]; commands: string[] }> {
  const help = runCli([...words, '--help']).stdout;
  const section = (title: string) => (help.split(`\n${title}:\n`)[1] ?? '').split('\n\n')[0]?.split('\n') ?? [];
  const options = section('Options')
    .map((l) => /^ {2}(-\w|--[\w-]+)(?:, (--[\w-]+))?/.exec(l))
    .flatMap((m) => (m ? [m[1], m[2]] : []))
    .filter((o): o is string => o !== undefined);
  // A command's line starts two spaces in; wrapped descriptions are indented further.
  const commands = section('Commands').map((l) => /^ {2}([a-z][\w-]*)/.exec(l)?.[1]).filter((c): c is string => c !== undefined && c !== 'help');
  return [{ words, options, commands }, ...commands.flatMap((c) => helpTree([...words, c]))];
}

const tree = helpTree();

test('--help has commands to compare with', () => {
  expect(tree.map((t) => t.words.join(' '))).toEqual(expect.arrayContaining(['report', 'parse', 'watch', 'config check', 'config schema', 'rules check', 'email test', 'completion', 'man']));
  expect(tree.find((t) => t.words.join(' ') === 'report')?.options).toEqual(expect.arrayContaining(['--fail-on', '-o', '--out', '--summary']));
});

describe('authwatch man', () => {
  const man = runCli(['man']).stdout;

  test('every command and option of --help, and the exit codes', () => {
    const plain = man.replace(/\\-/g, '-');
    for (const t of tree.filter((x) => x.commands.length === 0)) {
      expect(plain).toContain(`.SS "authwatch ${t.words.join(' ')}"`);
      const body = plain.split(`.SS "authwatch ${t.words.join(' ')}"`)[1]?.split('.SS ')[0] ?? '';
      for (const o of t.options) expect(body).toMatch(new RegExp(`^\\.B (.*[ ,])?${o}\\b`, 'm'));
    }
    expect(plain).toMatch(/^\.SH EXIT STATUS\n\.TP\n\.B 0\n/m);
    for (const code of [0, 1, 2, 3, 70]) expect(plain).toMatch(new RegExp(`^\\.B ${code}$`, 'm'));
  });

  test('renders with groff without a warning, and holds no path of this machine', () => {
    const r = spawnSync('groff', ['-man', '-Tutf8', '-ww', '-z'], { input: man, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(man).not.toContain(ROOT);
    // Without the overstrikes (x\bx) that grotty prints for bold.
    const text = execFileSync('groff', ['-man', '-Tascii'], { input: man, encoding: 'utf8' }).replace(/.\x08/g, '');
    expect(text).toMatch(/authwatch report \[options\] <files\.\.\.>/);
    expect(text).toMatch(/--fail-on <severity>/);
  });
});

describe('authwatch completion bash, in a real bash', () => {
  const dir = tempDir();
  const script = path.join(dir, 'authwatch.bash');
  writeFileSync(script, runCli(['completion', 'bash']).stdout);

  /** What bash offers after the words typed (the last one is the one being completed). */
  function complete(...words: string[]): string[] {
    const program = `source ${JSON.stringify(script)}; COMP_WORDS=(authwatch ${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length}; _authwatch; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const r = spawnSync('bash', ['-c', program], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    return r.stdout.split('\n').filter(Boolean);
  }

  test('commands, then subcommands', () => {
    const top = tree[0]?.commands ?? [];
    expect(complete('').sort()).toEqual([...top].sort());
    expect(complete('re')).toEqual(['report']);
    expect(complete('rules', '').sort()).toEqual(['check', 'schema']);
    expect(complete('config', 'c')).toEqual(['check']);
  });

  test('every option of every command, as --help lists them', () => {
    for (const t of tree) expect(complete(...t.words, '-').sort()).toEqual([...t.options].sort());
  });

  test('option values: choices, files; arguments: files, shells', () => {
    expect(complete('report', '--output', '')).toEqual(['text', 'json', 'html', 'md']);
    expect(complete('report', 'samples/', '--fail-on', 'h')).toEqual(['high']);
    expect(complete('completion', '')).toEqual(['bash', 'zsh']);
    expect(complete('report', 'samples/nginx-access.lo')).toEqual(['samples/nginx-access.log', 'samples/nginx-access.log.1.gz']);
    expect(complete('report', '-o', 'READ')).toEqual(['README.md']);
    expect(complete('report', '--rules', 'rul')).toEqual(['rules']);
  });
});

describe('authwatch completion zsh, in a real zsh', () => {
  const dir = tempDir();
  const script = path.join(dir, '_authwatch');
  writeFileSync(script, runCli(['completion', 'zsh']).stdout);

  /** What zsh's completion system offers for the line typed, in an interactive zsh on a pseudo-terminal. */
  function complete(line: string): string[] {
    const r = spawnSync('zsh', [path.join(ROOT, 'test', 'support', 'zsh-complete.zsh'), `authwatch ${line}`, script], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(0);
    return r.stdout.replace(/\r/g, '').split('\n').filter(Boolean);
  }

  test('commands, subcommands, options, choices and files', () => {
    expect(complete('').sort()).toEqual([...(tree[0]?.commands ?? [])].sort());
    expect(complete('rules ').sort()).toEqual(['check', 'schema']);
    expect(complete('report -').sort()).toEqual([...(tree.find((t) => t.words.join(' ') === 'report')?.options ?? [])].sort());
    expect(complete('report --output ')).toEqual(['text', 'json', 'html', 'md']);
    expect(complete('report --fail-on ')).toEqual(['low', 'medium', 'high', 'critical']);
    expect(complete('completion ')).toEqual(['bash', 'zsh']);
    expect(complete('report samples/nginx-acc')).toEqual(['samples/nginx-access.log', 'samples/nginx-access.log.1.gz']);
  });
});
