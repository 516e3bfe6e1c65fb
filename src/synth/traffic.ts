/**
 * Deterministic synthetic traffic: background browsing and API use, the normal 401 patterns
 * (Basic-auth challenge answered by a success, a token-expiry wave that refreshes), and each
 * incident the default rules must find. Used for samples/, scenario tests and the benchmark.
 */

export interface SynthRequest {
  time: number;
  ip: string;
  user: string;
  method: string;
  target: string;
  status: number;
  bytes: number;
  referer: string;
  userAgent: string;
  host: string;
}

/** mulberry32: tiny, fast, good enough for traffic shapes, and the same sequence on every machine. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Traffic {
  readonly requests: SynthRequest[] = [];
  readonly random: () => number;

  constructor(seed: number, readonly host = 'shop.example.com') {
    this.random = rng(seed);
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)] as T;
  }

  int(min: number, max: number): number {
    return min + Math.floor(this.random() * (max - min + 1));
  }

  add(r: Omit<SynthRequest, 'host' | 'referer' | 'bytes'> & Partial<Pick<SynthRequest, 'referer' | 'bytes'>>): void {
    this.requests.push({ referer: '-', bytes: r.status === 401 ? 179 : this.int(200, 40000), host: this.host, ...r });
  }

  sorted(): SynthRequest[] {
    return [...this.requests].sort((a, b) => a.time - b.time);
  }
}

export const BROWSERS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
];
const PAGES = ['/', '/products', '/products/42', '/products/77', '/cart', '/about', '/static/app.js', '/static/app.css', '/images/logo.png', '/search?q=boots'];
const API_PATHS = ['/api/v2/orders', '/api/v2/products', '/api/v2/cart', '/api/v2/profile'];

function ipv4(t: Traffic, prefix: string): string {
  return `${prefix}.${t.int(1, 254)}`;
}

/** Anonymous browsing, a few 404s, Basic-auth challenges on /admin answered with a success. */
export function background(t: Traffic, start: number, end: number, perMinute: number): void {
  const visitors = Array.from({ length: 60 }, (_, i) => ({ ip: i % 9 === 0 ? `2001:db8:${i}::${t.int(1, 99)}` : ipv4(t, `${t.pick(['192.0.2', '198.51.100', '100.64.3', '172.20.9'])}`), ua: t.pick(BROWSERS) }));
  const admins = [
    { ip: '10.8.0.15', user: 'alice', ua: BROWSERS[0] as string },
    { ip: '10.8.0.23', user: 'bob', ua: BROWSERS[2] as string },
  ];
  for (let time = start; time < end; time += 60000) {
    const n = t.int(Math.floor(perMinute * 0.7), Math.ceil(perMinute * 1.3));
    for (let k = 0; k < n; k++) {
      const v = t.pick(visitors);
      const at = time + t.int(0, 59999);
      const page = t.random() < 0.04 ? `/old/${t.int(1, 500)}.html` : t.pick(PAGES);
      t.add({ time: at, ip: v.ip, user: '-', method: 'GET', target: page, status: page.startsWith('/old/') ? 404 : t.random() < 0.1 ? 304 : 200, referer: 'https://shop.example.com/', userAgent: v.ua });
    }
    // A browser's first request to a Basic-auth area gets the challenge, then succeeds with credentials.
    if (t.random() < 0.25) {
      const a = t.pick(admins);
      const at = time + t.int(0, 50000);
      t.add({ time: at, ip: a.ip, user: '-', method: 'GET', target: '/admin/', status: 401, userAgent: a.ua });
      t.add({ time: at + t.int(300, 900), ip: a.ip, user: a.user, method: 'GET', target: '/admin/', status: 200, userAgent: a.ua });
      for (let k = 0; k < 3; k++) t.add({ time: at + 1000 + k * 2000, ip: a.ip, user: a.user, method: 'GET', target: `/admin/orders?page=${k}`, status: 200, userAgent: a.ua });
    }
  }
}

export interface ApiClient {
  ip: string;
  ua: string;
}

export function apiClients(t: Traffic, count: number): ApiClient[] {
  return Array.from({ length: count }, (_, i) => ({ ip: `198.18.${Math.floor(i / 200)}.${(i % 200) + 10}`, ua: `${t.pick(['shop-ios/5.2', 'shop-android/5.1', 'partner-feed/1.4', 'okhttp/4.12.0'])} (client ${i})` }));
}

/** Mobile/partner API clients using bearer tokens: 2xx, with rare 404s. */
export function apiTraffic(t: Traffic, clients: ApiClient[], start: number, end: number, perClientPerMinute: number): void {
  for (let time = start; time < end; time += 60000) {
    for (const c of clients) {
      if (t.random() > perClientPerMinute) continue;
      t.add({ time: time + t.int(0, 59999), ip: c.ip, user: '-', method: t.pick(['GET', 'GET', 'POST']), target: t.pick(API_PATHS), status: t.random() < 0.01 ? 404 : 200, userAgent: c.ua });
    }
  }
}

/** Access tokens expire together: each client gets one 401, refreshes, and retries with success. Normal. */
export function tokenExpiryWave(t: Traffic, clients: ApiClient[], at: number): void {
  for (const c of clients) {
    const s = at + t.int(0, 20000);
    const path = t.pick(API_PATHS);
    t.add({ time: s, ip: c.ip, user: '-', method: 'GET', target: path, status: 401, userAgent: c.ua });
    t.add({ time: s + t.int(100, 600), ip: c.ip, user: '-', method: 'POST', target: '/oauth/token', status: 200, userAgent: c.ua });
    t.add({ time: s + t.int(700, 1500), ip: c.ip, user: '-', method: 'GET', target: path, status: 200, userAgent: c.ua });
  }
}

/** One IP hammering the login form with wrong passwords. */
export function bruteForce(t: Traffic, ip: string, at: number, attempts: number, gapMs: number, path = '/login'): void {
  const ua = 'python-requests/2.32.3';
  for (let k = 0; k < attempts; k++) t.add({ time: at + k * gapMs + t.int(0, Math.floor(gapMs / 2)), ip, user: '-', method: 'POST', target: path, status: 401, userAgent: ua });
}

/** Many never-seen IPs, each trying a few leaked credentials on the login path; one succeeds. */
export function credentialStuffing(t: Traffic, at: number, ips: number, durationMs: number, path = '/login'): void {
  for (let k = 0; k < ips; k++) {
    const ip = `${t.pick(['45.13', '91.240', '185.220', '103.77'])}.${t.int(0, 255)}.${t.int(1, 254)}`;
    const ua = t.pick(BROWSERS);
    const tries = t.int(1, 3);
    const s = at + t.int(0, durationMs);
    for (let j = 0; j < tries; j++) t.add({ time: s + j * t.int(1500, 4000), ip, user: '-', method: 'POST', target: path, status: k === ips - 1 && j === tries - 1 ? 302 : 401, userAgent: ua });
  }
}

/** One IP probing many protected paths: 401/403/404. */
export function scanner(t: Traffic, ip: string, at: number, paths: number): void {
  const words = ['admin', 'wp-admin', 'manager/html', 'phpmyadmin', 'api/private', '.git/config', 'backup', 'console', 'jenkins', 'grafana', 'solr/admin', 'actuator/env', 'server-status', 'cgi-bin/status', 'owa', 'private', 'config.php', 'admin.php', 'login.php', 'staff'];
  for (let k = 0; k < paths; k++) {
    const path = `/${words[k % words.length]}${k >= words.length ? `/${k}` : ''}`;
    t.add({ time: at + k * t.int(200, 900), ip, user: '-', method: 'GET', target: path, status: t.pick([401, 401, 403, 404]), userAgent: 'Mozilla/5.0 zgrab/0.x' });
  }
}

/** A deploy breaks auth under a prefix: every client's requests there get 401 until the rollback. */
export function brokenDeploy(t: Traffic, clients: ApiClient[], from: number, to: number, perClientPerMinute: number): void {
  for (let time = from; time < to; time += 60000) {
    for (const c of clients) {
      if (t.random() > perClientPerMinute) continue;
      t.add({ time: time + t.int(0, 59999), ip: c.ip, user: '-', method: 'GET', target: t.pick(API_PATHS), status: 401, userAgent: c.ua });
    }
  }
}

/** An integration whose API key was rotated keeps calling on its schedule and always gets 401. */
export function staleCredential(t: Traffic, okFrom: number, failFrom: number, to: number, everyMs: number): void {
  const c = { ip: '203.0.113.40', user: 'svc-inventory', ua: 'inventory-sync/2.3 (+https://erp.example.net)' };
  for (let time = okFrom; time < to; time += everyMs) {
    t.add({ time: time + t.int(0, 400), ip: c.ip, user: c.user, method: 'GET', target: '/api/v2/inventory', status: time >= failFrom ? 401 : 200, userAgent: c.ua });
  }
}

// ---- Rendering in each log format ----

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n: number) => String(n).padStart(2, '0');

/** `$time_local` in the given offset (minutes east of UTC). */
export function clfTime(ms: number, offsetMinutes = 0): string {
  const d = new Date(ms + offsetMinutes * 60000);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const o = Math.abs(offsetMinutes);
  return `${p2(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} ${sign}${p2(Math.floor(o / 60))}${p2(o % 60)}`;
}

export function isoTime(ms: number, offsetMinutes = 0): string {
  const s = clfTime(ms, offsetMinutes);
  const d = new Date(ms + offsetMinutes * 60000).toISOString().slice(0, 19);
  return `${d}${s.slice(21, 24)}:${s.slice(24, 26)}`;
}

const q = (s: string) => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');

export type SynthFormat = 'combined' | 'common' | 'vhost_combined' | 'json' | 'custom';

/** The custom Nginx log_format the `custom` rendering follows (request time at the end). */
export const CUSTOM_NGINX_FORMAT = '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time';

export function render(r: SynthRequest, format: SynthFormat, offsetMinutes = 0): string {
  const head = `${r.ip} - ${r.user} [${clfTime(r.time, offsetMinutes)}] "${r.method} ${q(r.target)} HTTP/1.1" ${r.status} ${r.bytes}`;
  switch (format) {
    case 'common': return head;
    case 'combined': return `${head} "${q(r.referer)}" "${q(r.userAgent)}"`;
    case 'vhost_combined': return `${r.host}:443 ${head} "${q(r.referer)}" "${q(r.userAgent)}"`;
    case 'custom': return `${head} "${q(r.referer)}" "${q(r.userAgent)}" 0.${String(r.bytes % 1000).padStart(3, '0')}`;
    case 'json':
      return JSON.stringify({
        time_iso8601: isoTime(r.time, offsetMinutes), remote_addr: r.ip, remote_user: r.user === '-' ? '' : r.user,
        request: `${r.method} ${r.target} HTTP/1.1`, status: String(r.status), body_bytes_sent: String(r.bytes),
        http_referer: r.referer === '-' ? '' : r.referer, http_user_agent: r.userAgent, host: r.host,
      });
  }
}

/** 401s from many new clients on many ordinary paths, a couple each: nothing specific explains it. */
export function unexplainedSpike(t: Traffic, at: number, clients: number, durationMs: number): void {
  const paths = ['/account', '/orders', '/wishlist', '/api/v1/feed', '/api/v1/notifications', '/checkout', '/profile', '/messages', '/settings', '/reviews'];
  for (let k = 0; k < clients; k++) {
    const ip = `100.${t.int(70, 120)}.${t.int(0, 255)}.${t.int(1, 254)}`;
    const ua = `shop-web/7.0 (session ${k})`;
    const n = t.int(1, 2);
    for (let j = 0; j < n; j++) t.add({ time: at + t.int(0, durationMs), ip, user: '-', method: 'GET', target: t.pick(paths), status: 401, userAgent: ua });
  }
}
