import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Interner } from '../../src/parse/intern';

describe('Interner', () => {
  test('always hands back the value it was given, whatever shared its slot before (real user agents, a tiny cache)', () => {
    const corpus = readFileSync(path.join(__dirname, '..', '..', 'samples', 'nginx-access.log'), 'latin1');
    const agents = [...corpus.matchAll(/"([^"]*)"\s*$/gm)].map((m) => m[1] as string);
    expect(new Set(agents).size).toBeGreaterThan(3);
    // Two slots: nearly every value evicts another, and lookalikes of the same length collide.
    const interner = new Interner(2, 1);
    const values = [...agents, ...agents.map((a) => a.replace(/\d/g, '7')), 'Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0', 'Mozilla/5.0 (X11; Linux x86_64) Firefox/121.0', ''];
    for (let round = 0; round < 3; round++) for (const v of values) expect(interner.intern(v)).toBe(v);
  });

  test('needs a power-of-two size', () => {
    expect(() => new Interner(1000)).toThrow(/power of two/);
  });
});
