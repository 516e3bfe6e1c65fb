/** CIDR lists from rules and config, turned once into a matcher for client addresses. */
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/** A matcher, or the first entry that is not a valid CIDR (for the caller's error message). */
export function cidrMatcher(cidrs: readonly string[]): ((ip: string) => boolean) | { invalid: string } {
  const parsed: Array<[ipaddr.IPv4 | ipaddr.IPv6, number]> = [];
  for (const c of cidrs) {
    try {
      parsed.push(ipaddr.parseCIDR(c));
    } catch {
      return { invalid: c };
    }
  }
  return (ip: string) => {
    if (parsed.length === 0 || !isIP(ip)) return false;
    const addr = ipaddr.process(ip);
    return parsed.some(([range, bits]) => addr.kind() === range.kind() && addr.match(range, bits));
  };
}
