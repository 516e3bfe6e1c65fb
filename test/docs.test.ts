/**
 * The README's configuration examples are read by the real config loader, so the documentation
 * cannot drift from what authwatch accepts.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { loadConfig } from '../src/config/schema';
import { compileNginxFormat } from '../src/parse/logformat';
import { ROOT, tempDir } from './support/paths';

const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

function section(heading: string): string {
  const start = README.indexOf(heading);
  if (start === -1) throw new Error(`README has no "${heading}"`);
  const next = README.indexOf('\n### ', start + heading.length);
  return README.slice(start, next === -1 ? undefined : next);
}

function fenced(text: string, lang: string): string[] {
  return [...text.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1] as string);
}

test('the fleet setup: the authwatch config loads, and the nginx log_format it names is the one it reads', async () => {
  const fleet = section('### A fleet of web servers');
  const [yaml] = fenced(fleet, 'yaml');
  const file = path.join(tempDir('authwatch-docs-'), 'authwatch.yaml');
  writeFileSync(file, `${yaml}state_dir: ./state\noutputs:\n  - type: stdout\n`);
  const config = await loadConfig(file);
  expect(config.inputs.map((i) => ('syslog' in i ? i.syslog?.protocol : 'file'))).toEqual(['udp', 'udp', 'tcp']);
  // The log_format of the nginx snippet, joined as nginx joins its quoted pieces, is the format of the first input.
  const [nginx] = fenced(fleet, 'nginx');
  const pieces = [...(/log_format authwatch ([\s\S]*?);/.exec(nginx as string)?.[1] ?? '').matchAll(/'([^']*)'/g)].map((m) => m[1]).join('');
  expect(config.inputs[0]?.format).toBe(`nginx:${pieces}`);
  expect(() => compileNginxFormat(pieces)).not.toThrow();
});

test("the Alertmanager setup: authwatch's side loads, and Alertmanager's own amtool accepts the route and receivers", async () => {
  const am = section('### Alertmanager: alerts where on-call already lives');
  const [authwatch, alertmanager] = fenced(am, 'yaml');
  const dir = tempDir('authwatch-docs-');
  const file = path.join(dir, 'authwatch.yaml');
  writeFileSync(file, `inputs:\n  - path: ./access.log\nstate_dir: ./state\n${authwatch}`);
  const config = await loadConfig(file);
  expect(config.outputs?.map((o) => o.type)).toEqual(['alertmanager']);
  const amFile = path.join(dir, 'alertmanager.yml');
  writeFileSync(amFile, alertmanager as string);
  const check = spawnSync('amtool', ['check-config', amFile], { encoding: 'utf8' });
  expect(`${check.stdout}${check.stderr}`).toContain('SUCCESS');
  expect(check.status).toBe(0);
});
