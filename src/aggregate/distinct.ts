/**
 * Distinct counting that stays exact while small and bounded when not: a Set up to
 * `exactLimit` values, then a HyperLogLog (p = 12: 4 KiB, ~1.6 % standard error).
 * Hand-written because the npm sketches measured 400 µs an update; this is a few hashes.
 */

const P = 12;
const M = 1 << P;
const ALPHA = 0.7213 / (1 + 1.079 / M);

/** FNV-1a 32-bit, then a murmur3 finalizer so the low bits used for the register index are well mixed. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export const DEFAULT_EXACT_LIMIT = 256;

export class DistinctCounter {
  /** The first value is kept in a field: most keys under a flood never see a second one. */
  private first: string | undefined = undefined;
  private exact: Set<string> | null = null;
  private registers: Uint8Array | null = null;

  constructor(private readonly exactLimit = DEFAULT_EXACT_LIMIT) {}

  /** True once the count is an estimate. */
  get approximate(): boolean {
    return this.registers !== null;
  }

  add(value: string): void {
    if (this.registers === null && this.exact === null) {
      if (this.first === undefined || this.first === value) {
        this.first = value;
        return;
      }
      this.exact = new Set([this.first, value]);
      this.first = undefined;
      return;
    }
    if (this.exact) {
      this.exact.add(value);
      if (this.exact.size > this.exactLimit) this.toSketch();
      return;
    }
    this.addHash(hash32(value));
  }

  private addHash(h: number): void {
    const regs = this.registers as Uint8Array;
    const idx = h >>> (32 - P);
    const rest = (h << P) >>> 0;
    const rank = rest === 0 ? 32 - P + 1 : Math.clz32(rest) + 1;
    if (rank > (regs[idx] as number)) regs[idx] = rank;
  }

  private toSketch(): void {
    const values = this.exact ?? new Set(this.first === undefined ? [] : [this.first]);
    this.exact = null;
    this.first = undefined;
    this.registers = new Uint8Array(M);
    for (const v of values) this.addHash(hash32(v));
  }

  merge(other: DistinctCounter): void {
    if (other.registers === null) {
      if (other.first !== undefined) this.add(other.first);
      if (other.exact) for (const v of other.exact) this.add(v);
      return;
    }
    if (this.registers === null) this.toSketch();
    const a = this.registers as Uint8Array;
    const b = other.registers as Uint8Array;
    for (let i = 0; i < M; i++) if ((b[i] as number) > (a[i] as number)) a[i] = b[i] as number;
  }

  count(): number {
    if (this.registers === null) return this.exact ? this.exact.size : this.first === undefined ? 0 : 1;
    const regs = this.registers as Uint8Array;
    let sum = 0;
    let zeros = 0;
    for (let i = 0; i < M; i++) {
      const r = regs[i] as number;
      sum += 2 ** -r;
      if (r === 0) zeros++;
    }
    const estimate = (ALPHA * M * M) / sum;
    // Small-range correction (linear counting) where the raw estimate is biased.
    if (estimate <= 2.5 * M && zeros > 0) return Math.round(M * Math.log(M / zeros));
    return Math.round(estimate);
  }

  /** The values, while exact (for evidence such as "users tried"). */
  values(): string[] | null {
    if (this.registers !== null) return null;
    return this.exact ? [...this.exact] : this.first === undefined ? [] : [this.first];
  }
}
