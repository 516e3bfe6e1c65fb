/** Client addresses as real servers see them: public IPv4 and IPv6, NAT pools, subnets an actor rotates through. */
import ipaddr from 'ipaddr.js';
import type { Rand } from './rand';

/**
 * First octets of public unicast IPv4 space (no private, loopback, CGNAT, multicast, documentation or
 * link-local ranges): the addresses a server on the internet sees.
 */
const PUBLIC_V4_FIRST = [
  2, 5, 8, 12, 13, 17, 18, 20, 23, 24, 31, 34, 35, 37, 38, 40, 41, 45, 46, 47, 49, 50, 51, 52, 54, 58, 59, 60, 61, 62, 64, 65, 66, 67, 68, 69,
  70, 71, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 91, 92, 93, 94, 95, 96, 97, 98, 99, 101, 102, 103, 104,
  105, 106, 107, 108, 109, 110, 111, 112, 113, 114, 115, 116, 117, 118, 119, 120, 121, 122, 123, 124, 125, 128, 129, 130, 131, 134, 136, 137,
  138, 139, 140, 141, 142, 143, 144, 145, 146, 147, 148, 149, 150, 151, 152, 153, 154, 155, 156, 157, 158, 159, 160, 161, 162, 163, 164, 165,
  166, 167, 168, 170, 171, 173, 174, 175, 176, 177, 178, 179, 180, 181, 182, 183, 184, 185, 186, 187, 188, 189, 190, 191, 193, 194, 195, 196,
  197, 199, 200, 201, 202, 204, 205, 206, 207, 208, 209, 210, 211, 212, 213, 216, 217, 218, 219, 220, 221, 222, 223,
];

/** Global IPv6 prefixes of large providers (documentation space 2001:db8::/32 excluded on purpose). */
const PUBLIC_V6_FIRST = ['2a01', '2a02', '2a00', '2a03', '2a05', '2600', '2601', '2603', '2604', '2605', '2607', '2620', '2400', '2401', '2402', '2403', '2404', '2405', '2406', '2408', '2409', '2800', '2803', '2c0f', '2001'];

export function publicV4(r: Rand): string {
  return `${r.pick(PUBLIC_V4_FIRST)}.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}`;
}

/** A /64 prefix as four hex groups, e.g. `2a02:8108:1a40:4e2b`. */
export function publicV6Prefix(r: Rand): string {
  const first = r.pick(PUBLIC_V6_FIRST);
  // 2001: only 2001:0xxx-2001:0fff style allocations that are not documentation (2001:db8).
  const second = first === '2001' ? (0x4000 + r.int(0, 0x3fff)).toString(16) : r.int(0x100, 0xffff).toString(16);
  return `${first}:${second}:${r.int(1, 0xffff).toString(16)}:${r.int(1, 0xffff).toString(16)}`;
}

/** An address inside a /64, printed the way nginx and Apache print it (RFC 5952). */
export function v6In(prefix: string, r: Rand): string {
  const iid = r.chance(0.3) ? `0:0:0:${r.int(1, 0xffff).toString(16)}` : `${r.hex(4)}:${r.hex(4)}:${r.hex(4)}:${r.hex(4)}`;
  return ipaddr.IPv6.parse(`${prefix}:${iid}`).toRFC5952String();
}

export function publicV6(r: Rand): string {
  return v6In(publicV6Prefix(r), r);
}

/** A public address, IPv6 with probability `v6Share`. */
export function publicIp(r: Rand, v6Share: number): string {
  return r.chance(v6Share) ? publicV6(r) : publicV4(r);
}

/** Canonical text of an address for comparisons (IPv4-mapped IPv6 becomes IPv4); null when it is not one. */
export function canonicalIp(text: string): string | null {
  if (!ipaddr.isValid(text)) return null;
  const a = ipaddr.process(text);
  return a.kind() === 'ipv6' ? (a as ipaddr.IPv6).toRFC5952String() : a.toString();
}

/** Whether `ip` lies inside `cidr` (`203.0.113.0/24`, `2a02:8108:1a40:4e2b::/64`); false for anything unparsable. */
export function cidrContains(cidr: string, ip: string): boolean {
  try {
    const [net, bits] = ipaddr.parseCIDR(cidr);
    const a = ipaddr.process(ip);
    if (a.kind() !== net.kind()) return false;
    return a.match(net, bits);
  } catch {
    return false;
  }
}
