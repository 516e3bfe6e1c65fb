/**
 * Which addresses were let in, and where: the mark of a misconfiguration is failures from clients
 * that were succeeding on the same resource a moment ago. "The same resource" is the method and
 * the first path segment: a brute-forcer that GETs the login form (200) before each POST is not
 * vouched for by that 200, nor one that browses the public pages before trying `/admin/`; an API
 * client that was getting 200 on `GET /api/...` and now gets 401 there is.
 *
 * A second, weaker mark is kept beside it: the address's last success anywhere (a page, the login
 * form): an address the site knows, which credential stuffing's fresh addresses are not.
 *
 * Per address, a Float64Array: [last success anywhere, then RESOURCES pairs of (resource hash, last
 * success time)], the oldest pair overwritten. Numbers in place, so a success allocates nothing once its address is
 * known (a time is not a small integer: stored in an object field or a Map it would be boxed).
 * Bounded by `capacity` addresses, oldest-inserted dropped first.
 */
import type { LogEvent } from '../parse/event';

const RESOURCES = 4;
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 16777619;

/** FNV-1a of `method path-up-to-its-second-slash`, read in place (no slice: this runs on every success). */
export function resourceHash(method: string, path: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < method.length; i++) h = Math.imul(h ^ method.charCodeAt(i), FNV_PRIME);
  h = Math.imul(h ^ 32, FNV_PRIME);
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === 47 && i > 0) break;
    h = Math.imul(h ^ c, FNV_PRIME);
  }
  return h >>> 0;
}

/** What a failing address had before its failure, as bits: let in on the same resource; known to the site. */
export const LET_IN = 1;
export const KNOWN = 2;

/**
 * How long being let in on a resource vouches for an address: a day. An integration whose key was
 * revoked keeps failing for hours, and still is the client that was let in; a guesser never was.
 */
export const LET_IN_MEMORY_MS = 24 * 3_600_000;

export class SuccessMemory {
  private readonly byIp = new Map<string, Float64Array>();

  constructor(private readonly capacity: number) {}

  remember(e: LogEvent): void {
    const h = resourceHash(e.method, e.path);
    let m = this.byIp.get(e.ip);
    if (m === undefined) {
      m = new Float64Array(1 + RESOURCES * 2).fill(-1);
      this.byIp.set(e.ip, m);
      if (this.byIp.size > this.capacity) {
        const oldest = this.byIp.keys().next();
        if (!oldest.done) this.byIp.delete(oldest.value);
      }
    }
    if (e.time > (m[0] as number)) m[0] = e.time;
    let slot = 1;
    for (let i = 1; i < m.length; i += 2) {
      if (m[i] === h) {
        slot = i;
        break;
      }
      if ((m[i + 1] as number) < (m[slot + 1] as number)) slot = i;
    }
    m[slot] = h;
    if (e.time > (m[slot + 1] as number)) m[slot + 1] = e.time;
  }

  /** Whether `e`'s address succeeded on `e`'s resource within `lookbackMs` before it. */
  okBefore(e: LogEvent, lookbackMs: number): boolean {
    const m = this.byIp.get(e.ip);
    if (m === undefined) return false;
    const h = resourceHash(e.method, e.path);
    for (let i = 1; i < m.length; i += 2) {
      if (m[i] !== h) continue;
      const t = m[i + 1] as number;
      return t <= e.time && e.time - t <= lookbackMs;
    }
    return false;
  }

  /** LET_IN | KNOWN bits of a failure: let in on its resource within a day, seen succeeding anywhere within `knownMs`. */
  standing(e: LogEvent, knownMs: number): number {
    return (this.okBefore(e, LET_IN_MEMORY_MS) ? LET_IN : 0) | (this.knownBefore(e, knownMs) ? KNOWN : 0);
  }

  /** Whether `e`'s address succeeded anywhere on the site within `lookbackMs` before it. */
  knownBefore(e: LogEvent, lookbackMs: number): boolean {
    const t = this.byIp.get(e.ip)?.[0];
    return t !== undefined && t >= 0 && t <= e.time && e.time - t <= lookbackMs;
  }

  get size(): number {
    return this.byIp.size;
  }
}
