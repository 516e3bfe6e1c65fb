/** Group-by dimensions: how a rule's group key is read off an event. */
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import type { LogEvent } from '../parse/event';

export const DIMENSIONS = ['ip', 'subnet', 'path', 'path_prefix', 'client', 'user', 'host'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

/** /24 for IPv4, /64 for IPv6: the usual unit one actor controls. A host name is its own subnet. */
export function subnetOf(ip: string): string {
  const v = isIP(ip);
  if (v === 4) return ip.slice(0, ip.lastIndexOf('.')) + '.0/24';
  if (v === 6) {
    const parts = ipaddr.IPv6.parse(ip).parts.slice(0, 4);
    return ipaddr.IPv6.parse(parts.map((p) => p.toString(16)).join(':') + '::').toRFC5952String() + '/64';
  }
  return ip;
}

/** The first `segments` path segments: `/api/v2/orders/7` → `/api/v2` for 2. */
export function pathPrefix(path: string, segments: number): string {
  if (path === '') return '';
  let idx = 0;
  for (let s = 0; s < segments; s++) {
    const next = path.indexOf('/', idx + 1);
    if (next === -1) return path;
    idx = next;
  }
  return path.slice(0, idx);
}

/** The fields group keys are read from: an access event has them all; an error-log auth failure too (no user agent). */
export type KeyFields = Pick<LogEvent, 'ip' | 'path' | 'userAgent' | 'remoteUser' | 'host'>;

/** Client identity: the user agent; an empty one is a fact worth keeping visible. */
export function clientOf(e: KeyFields): string {
  return e.userAgent === '' ? '(no user agent)' : e.userAgent;
}

export function dimensionValue(e: KeyFields, dim: Dimension, prefixSegments: number): string {
  switch (dim) {
    case 'ip': return e.ip;
    case 'subnet': return subnetOf(e.ip);
    case 'path': return e.path || '(no path)';
    case 'path_prefix': return pathPrefix(e.path, prefixSegments) || '(no path)';
    case 'client': return clientOf(e);
    case 'user': return e.remoteUser || '(no user)';
    case 'host': return e.host || '(no host)';
  }
}
