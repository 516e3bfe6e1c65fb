/** The README's command examples that run on the bundled samples are run as written, in bash, by the real CLI. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CLI, ROOT } from '../support/paths';

const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const examples = [...README.matchAll(/```sh\n([\s\S]*?)```/g)]
  .flatMap((m) => (m[1] as string).split('\n'))
  .map((l) => l.replace(/\s+#[^'"]*$/, '').trim())
  .filter((l) => /^authwatch (report|parse) samples\//.test(l) && !/ -o /.test(l));

test('there are examples on the samples to run', () => {
  expect(examples.length).toBeGreaterThanOrEqual(2);
});

test.each(examples)('%s', (line) => {
  const r = spawnSync('bash', ['-c', `set -o pipefail; authwatch() { node "$CLI" "$@"; }; ${line}`], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CLI, NO_COLOR: '1' } });
  expect(r.stderr).not.toMatch(/malformed|nothing parsed|rror/);
  expect(r.status).toBe(0);
  expect(r.stdout.length).toBeGreaterThan(0);
});
