/**
 * Seeded randomness for the traffic generator. Every case draws from its own stream, derived from
 * (run seed, case number), so one case can be replayed without generating the others.
 *
 * The PRNG is written here rather than imported from src/synth: the evaluation must share no code
 * with the product it measures (a bug shared by both would be invisible).
 */

/** splitmix32-style finaliser: spreads (seed, index) pairs over the 32-bit space. */
function mix(x: number): number {
  let z = (x + 0x9e3779b9) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

/** The seed of case `index` of a run seeded with `seed`. */
export function caseSeed(seed: number, index: number): number {
  return mix(mix(seed) ^ Math.imul(index + 1, 0x27d4eb2d));
}

export class Rand {
  private state: number;

  constructor(seed: number) {
    this.state = mix(seed);
  }

  /** mulberry32: uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An independent stream for one part of a case, so adding draws to one part leaves the others unchanged. */
  fork(label: string): Rand {
    let h = this.state;
    for (let i = 0; i < label.length; i++) h = mix(h ^ label.charCodeAt(i));
    return new Rand(h);
  }

  float(min: number, max: number): number {
    return min + this.next() * (max - min);
  }

  /** Integer in [min, max], both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** Uniform over the logarithm: as many draws between 1 and 10 as between 100 and 1,000. */
  logUniform(min: number, max: number): number {
    return Math.exp(this.float(Math.log(min), Math.log(max)));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** One of the items with probability proportional to its weight. */
  weighted<T>(items: ReadonlyArray<readonly [T, number]>): T {
    const total = items.reduce((s, [, w]) => s + w, 0);
    let x = this.next() * total;
    for (const [item, w] of items) {
      x -= w;
      if (x < 0) return item;
    }
    return (items[items.length - 1] as readonly [T, number])[0];
  }

  /** Exponential with the given mean: the gap between events of a Poisson process. */
  exp(mean: number): number {
    return -Math.log(1 - this.next()) * mean;
  }

  /** Poisson count (Knuth below 30, a rounded normal above: exact enough for traffic volumes). */
  poisson(mean: number): number {
    if (mean <= 0) return 0;
    if (mean < 30) {
      const l = Math.exp(-mean);
      let k = 0;
      let p = 1;
      do {
        k++;
        p *= this.next();
      } while (p > l);
      return k - 1;
    }
    const u = 1 - this.next();
    const v = this.next();
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    return Math.max(0, Math.round(mean + z * Math.sqrt(mean)));
  }

  /** Geometric: failures before the first success when each try succeeds with probability 1 - p. */
  failuresBeforeSuccess(p: number, cap: number): number {
    let k = 0;
    while (k < cap && this.chance(p)) k++;
    return k;
  }

  /** Up to 8 lowercase hex digits. */
  hex(digits: number): string {
    return Math.floor(this.next() * 16 ** digits).toString(16).padStart(digits, '0');
  }
}
