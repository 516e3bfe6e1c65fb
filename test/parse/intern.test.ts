import { readFileSync } from 'node:fs';
import v8 from 'node:v8';
import vm from 'node:vm';
import path from 'node:path';
import { Interner } from '../../src/parse/intern';
import { rng } from '../../src/synth/traffic';

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

  test('keeps copies: a thousand user agents cut from 64 KB lines hold kilobytes, not the lines', () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const interner = new Interner(1024);
    const random = rng(7);
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 1024; i++) {
      const agent = `sync-client/${Array.from({ length: 32 }, () => Math.floor(random() * 36).toString(36)).join('')}`;
      const line = `10.0.0.1 - - [${'x'.repeat(65_000)}] "${agent}"`;
      expect(interner.intern(line.slice(line.length - 1 - agent.length, line.length - 1))).toBe(agent);
    }
    gc();
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(8 * 1024 * 1024);
  });

  test('needs a power-of-two size', () => {
    expect(() => new Interner(1000)).toThrow(/power of two/);
  });
});
