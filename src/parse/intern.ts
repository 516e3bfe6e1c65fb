/**
 * Hands back one string object for a value that repeats from line to line. A site's traffic
 * carries a few hundred user agents of 100+ characters, and every map that keys on one (top
 * lists, rule tables, the challenge settler) would otherwise hash a fresh copy and compare it
 * character by character with the key it finds; the interned copy hashes once and compares by
 * reference. A direct-mapped cache: a few sampled characters pick the slot, a full comparison
 * decides, and a different value just takes the slot over. Values are never changed, only shared.
 */
import { ownCopy } from './text';

export class Interner {
  private readonly slots: string[];
  private readonly mask: number;

  /** `slots`: a power of two. Strings shorter than `minLength` hash cheaply and are returned as they are. */
  constructor(slots = 1024, private readonly minLength = 16) {
    if (slots <= 0 || (slots & (slots - 1)) !== 0) throw new RangeError(`Interner slots must be a power of two, got ${slots}`);
    this.slots = new Array<string>(slots).fill('');
    this.mask = slots - 1;
  }

  intern(s: string): string {
    const n = s.length;
    if (n < this.minLength) return s;
    // Sixteen characters spread over the value, and its length, mixed: user agents of one browser
    // differ only in a version somewhere. On the bench day's 1 M lines, 2 % of lookups miss (five
    // samples added without mixing missed 13 %).
    let h = n;
    const step = n >> 4 || 1;
    for (let i = n - 1; i >= 0; i -= step) h = Math.imul(h ^ s.charCodeAt(i), 0x9e3779b1);
    const slot = (h ^ (h >>> 16)) & this.mask;
    const known = this.slots[slot] as string;
    if (known === s) return known;
    // A field cut from a line shares the line's memory: a copy is kept instead, so the cache holds
    // user agents, not up to a thousand whole lines (each up to the 64 KB line cap).
    const own = ownCopy(s);
    this.slots[slot] = own;
    return own;
  }
}

/** User agents, shared by every access-log parser. */
export const userAgents = new Interner();
