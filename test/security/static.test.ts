/**
 * Rules and config are data, never code: no eval, Function or vm anywhere in the product, and a
 * template renders values (a log value that looks like a placeholder or a template literal stays text).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { renderTemplate } from '../../src/rules/compile';
import { ROOT } from '../support/paths';

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

test('no eval, new Function, vm or string timers in src/', () => {
  const found: string[] = [];
  for (const f of sources(path.join(ROOT, 'src'))) {
    readFileSync(f, 'utf8').split('\n').forEach((line, i) => {
      if (/\beval\s*\(|new\s+Function\s*\(|\bFunction\s*\(\s*['"`]|from 'node:vm'|require\('vm'\)|setTimeout\s*\(\s*['"`]/.test(line)) found.push(`${path.relative(ROOT, f)}:${i + 1}: ${line.trim()}`);
    });
  }
  expect(found).toEqual([]);
});

test('templates fill own fields with text and nothing else', () => {
  const values = { count: 3, 'group.ip': '${process.exit(1)} {count} <b>' };
  expect(renderTemplate('{count} from {group.ip}', values)).toBe('3 from ${process.exit(1)} {count} <b>');
  expect(renderTemplate('{constructor} {__proto__} {toString}', values)).toBe('{constructor} {__proto__} {toString}');
});
