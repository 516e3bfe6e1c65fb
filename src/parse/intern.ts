/**
 * Hands back one string object for a value that repeats from line to line. A site's traffic
 * carries a few hundred user agents of 100+ characters, and every map that keys on one (top
 * lists, rule tables, the challenge settler) would otherwise hash a fresh copy and compare it
 * character by character with the key it finds; the interned copy hashes once and compares by
 * reference. A direct-mapped cache: a few sampled characters pick the slot, a full comparison
 * decides, and a different value just takes the slot over. Values are never changed, only shared.
 */
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
    // Versions sit in the middle and at the end of a user agent: sample there, and the length.
    const slot =
      (n * 31 + s.charCodeAt(n >> 2) + s.charCodeAt(n >> 1) * 7 + s.charCodeAt((n * 3) >> 2) * 17 + s.charCodeAt(n - 9) * 5 + s.charCodeAt(n - 1) * 13) & this.mask;
    const known = this.slots[slot] as string;
    if (known === s) return known;
    this.slots[slot] = s;
    return s;
  }
}

/** User agents, shared by every access-log parser. */
export const userAgents = new Interner();
