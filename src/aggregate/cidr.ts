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

/** Ranges whose peers are usually a proxy, a load balancer or a container bridge, not the client. */
const LOCAL_RANGES: ReadonlySet<string> = new Set(['loopback', 'private', 'linkLocal', 'uniqueLocal', 'carrierGradeNat']);

/**
 * Whether an address (or the network of a CIDR such as a subnet key) is loopback, private,
 * link-local, unique-local or CGNAT: seen as the client, it usually means `trusted_proxies` is unset.
 */
export function isLocalAddress(addressOrCidr: string): boolean {
  const ip = addressOrCidr.split('/')[0] as string;
  if (!isIP(ip)) return false;
  return LOCAL_RANGES.has(ipaddr.process(ip).range());
}
