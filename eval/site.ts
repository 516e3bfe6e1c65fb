/**
 * A simulated site: which apps it runs (login form, Basic-auth areas, a bearer-token API, WordPress,
 * static pages), who uses them (browsers, returning users behind NAT, mobile apps, integrations,
 * monitors, crawlers, drive-by scanners), and the background traffic they make over a day/night
 * cycle. Every parameter is drawn per case from a range; see eval/README.md for the ranges and why.
 */
import {
  API_CLIENT_UAS, API_PREFIXES, API_RESOURCES, APP_NAMES, AREA_PAGES, ASSETS, BASIC_AREAS, BROWSERS, CRAWLERS, DOMAIN_WORDS, HOST_WORDS, INTEGRATIONS,
  LOAD_BALANCER_CHECKS, LOGIN_PATHS, MONITORS, PASSWORD_FILES_APACHE, PASSWORD_FILES_NGINX, PUBLIC_PAGES, SCAN_PATHS, SENSITIVE_FILES, SLUGS, TLDS,
  TOKEN_PATHS, USER_NAMES, WP_PAGES, ATTACK_TOOLS, SCANNER_UAS,
} from './catalog';
import type { AccessFormat, CaseLog, ErrWhat, Hit, ProxyMode, ServerSetup } from './logs';
import { logsForwardedFor, needsFormatOption } from './logs';
import { publicIp, publicV4 } from './net';
import type { Rand } from './rand';

const MIN = 60_000;
const HOUR = 3_600_000;

export interface LoginApp {
  /** Where credentials are POSTed; a wrong password answers 401. */
  path: string;
  /** The page that shows the form ('' for a JSON login called by a single-page app). */
  form: string;
  successStatus: number;
  /** Where a logged-in user goes next. */
  home: string;
}

export interface Script {
  ip: string;
  ua: string;
  user: string;
  everyMs: number;
  phase: number;
  /** Sends credentials only after the 401 challenge (curl --anyauth, many HTTP libraries), or up front. */
  challenged: boolean;
  requests: number;
}

export interface BasicArea {
  prefix: string;
  users: string[];
  file: string;
  scripts: Script[];
  /** Requests per second of people using the area (scaled by the day/night cycle). */
  rate: number;
  /** Where each user usually works from (drawn on first use). */
  homes: Map<string, Person>;
}

export interface ApiApp {
  prefix: string;
  tokenPath: string;
  loginPath: string;
  tokenLifetimeMs: number;
  /** Share of clients that refresh before expiry (no 401 at all). */
  proactive: number;
  appName: string;
}

export interface ApiClient {
  ip: string;
  ua: string;
  /** Requests per second. */
  rate: number;
  tokenExpires: number;
}

export interface Integration {
  ip: string;
  ua: string;
  user: string;
  path: string;
  everyMs: number;
  phase: number;
  requests: number;
}

export interface Site {
  setup: ServerSetup;
  /** Mean requests per second over a day. */
  rate: number;
  diurnalAmp: number;
  /** Local hour of the daily peak. */
  peakHour: number;
  v6Share: number;
  /** Share of people behind a shared address (office, carrier-grade NAT). */
  natShare: number;
  natPool: string[];
  login: LoginApp | null;
  /** Login attempts per request of traffic. */
  loginShare: number;
  /** Share of ordinary login attempts that fail (typos, forgotten passwords). */
  failShare: number;
  basic: BasicArea[];
  api: ApiApp | null;
  apiClients: ApiClient[];
  integrations: Integration[];
  wordpress: boolean;
  /** Unknown paths are looked up on disk (Nginx logs open() failures for 404s). */
  staticFromRoot: boolean;
  dotfilesDenied: boolean;
  hasFavicon: boolean;
  errorLog: boolean;
  /** Drive-by probes per hour from the internet's background noise. */
  driveByPerHour: number;
  monitors: Array<{ ua: string; ips: string[]; path: string; everyMs: number }>;
  lbChecks: Array<{ ua: string; path: string; everyMs: number }>;
  /** Browsing requests per second (pages and assets), before the day/night factor. */
  browseRate: number;
  /** People with an account, each with a usual address and browser (drawn on first use). */
  accounts: Person[];
}

export interface SiteNeeds {
  login?: boolean;
  basic?: boolean;
  /** A Basic-auth area that is not the whole site. */
  basicNotRoot?: boolean;
  api?: boolean;
  wordpress?: boolean;
  errorLog?: boolean;
  server?: 'nginx' | 'apache';
  /** The case is read from its error log alone. */
  errorOnly?: boolean;
}

/** Templates split once into literal text and `{name}` placeholders (this runs for most requests). */
const templates = new Map<string, string[]>();

function placeholder(name: string, r: Rand, app: string): string {
  switch (name) {
    case 'n': return String(r.int(1, 99999));
    case 'slug': return r.pick(SLUGS);
    case 'hex': return r.hex(8);
    case 'year': return String(r.int(2019, 2026));
    case 'month': return String(r.int(1, 12)).padStart(2, '0');
    case 'app': return app;
    case 'partner': return r.pick(DOMAIN_WORDS);
    default: return name;
  }
}

/** Fills `{n}`, `{slug}`, `{hex}`, `{year}`, `{month}`, `{app}`, `{partner}` in a path or user-agent template. */
export function fill(template: string, r: Rand, app = 'app'): string {
  let parts = templates.get(template);
  if (parts === undefined) {
    // Odd indices are placeholder names: 'a{n}b' -> ['a', 'n', 'b'].
    parts = template.split(/\{(\w+)\}/);
    templates.set(template, parts);
  }
  if (parts.length === 1) return template;
  let out = parts[0] as string;
  for (let i = 1; i < parts.length; i += 2) out += placeholder(parts[i] as string, r, app) + (parts[i + 1] as string);
  return out;
}

function serverSetup(r: Rand, needs: SiteNeeds): ServerSetup {
  const server = needs.server ?? (r.chance(0.62) ? 'nginx' : 'apache');
  const proxy: ProxyMode = needs.errorOnly ? r.weighted([['none', 85], ['realip', 10], ['peer', 5]] as const) : r.weighted([['none', 66], ['realip', 14], ['xff', 12], ['peer', 8]] as const);
  let format: AccessFormat;
  if (proxy === 'xff') format = server === 'nginx' ? r.pick(['nginx_main_xff', 'nginx_json'] as const) : 'apache_combined';
  else if (server === 'nginx') format = r.weighted([['nginx_combined', 50], ['nginx_main_xff', 14], ['nginx_timing', 14], ['nginx_json', 14], ['nginx_vhost', needs.errorLog ? 0 : 8]] as const);
  else format = r.weighted([['apache_combined', 75], ['apache_vhost', 25]] as const);
  // Apache has no X-Forwarded-For in its combined format: behind a proxy it logs the proxy only.
  const effective: ProxyMode = proxy === 'xff' && !logsForwardedFor(format) ? 'peer' : proxy;
  const host = `${r.pick(HOST_WORDS)}.${r.pick(DOMAIN_WORDS)}.${r.pick(TLDS)}`;
  // Error logs carry no zone: read alone, their times can only be taken as UTC, so such servers run in UTC.
  const offsetMin = needs.errorOnly ? 0 : r.weighted([[0, 50], [60, 15], [120, 8], [-300, 8], [-420, 5], [330, 4], [540, 5], [-180, 3], [600, 2]] as const);
  const nPids = r.int(1, 4);
  return {
    server, format, offsetMin, host, proxy: effective,
    proxyPeer: r.pick(['127.0.0.1', '127.0.0.1', '::1', '172.17.0.1', '10.0.0.' + r.int(2, 250), '192.168.1.' + r.int(2, 250)]),
    lbPeer: `10.${r.int(0, 3)}.${r.int(0, 255)}.${r.int(2, 250)}`,
    pids: Array.from({ length: nPids }, () => r.int(800, 60000)),
    apacheThreaded: r.chance(0.7),
    docRoot: r.pick(['/var/www/html', '/usr/share/nginx/html', '/srv/www', '/var/www/' + r.pick(DOMAIN_WORDS) + '/public']),
    jsonKeys: r.pick(['time_local', 'iso_unquoted'] as const),
  };
}

/**
 * Draws a site. `rate` is the mean request rate (req/s) the case chose; apps are added at random and
 * forced when the case needs them (a Basic-auth brute force needs a Basic-auth area).
 */
export function drawSite(r: Rand, rate: number, needs: SiteNeeds): Site {
  const setup = serverSetup(r, needs);
  const wordpress = needs.wordpress ?? r.chance(0.18);
  const hasLogin = wordpress || (needs.login ?? r.chance(0.6));
  const login: LoginApp | null = !hasLogin ? null : wordpress
    ? { path: '/wp-login.php', form: '/wp-login.php', successStatus: 302, home: '/wp-admin/' }
    : (() => {
      const path = r.pick(LOGIN_PATHS);
      const json = path.includes('api') || r.chance(0.3);
      return { path, form: json ? '' : path, successStatus: json ? 200 : r.pick([302, 302, 303, 200]), home: r.pick(['/dashboard/', '/account/', '/app/', '/home/', '/my/', '/portal/']) };
    })();
  const nBasic = needs.basic ? r.int(1, 2) : r.weighted([[0, 45], [1, 40], [2, 15]] as const);
  const appName = r.pick(APP_NAMES);
  const basic: BasicArea[] = [];
  const usedPrefixes = new Set<string>();
  for (let i = 0; i < nBasic; i++) {
    let prefix = r.pick(BASIC_AREAS);
    if ((needs.basicNotRoot || nBasic > 1 || login || wordpress) && prefix === '/') prefix = r.pick(BASIC_AREAS.filter((p) => p !== '/'));
    if (usedPrefixes.has(prefix)) continue;
    usedPrefixes.add(prefix);
    const users = Array.from({ length: r.int(1, 25) }, () => r.pick(USER_NAMES)).filter((u, k, a) => a.indexOf(u) === k);
    const scripts: Script[] = Array.from({ length: r.weighted([[0, 40], [1, 30], [2, 20], [4, 10]] as const) }, () => ({
      ip: r.chance(0.5) ? `10.${r.int(0, 20)}.${r.int(0, 255)}.${r.int(2, 250)}` : publicV4(r),
      ua: r.pick(['curl/8.5.0', 'Wget/1.21.4', 'python-requests/2.32.3', 'davfs2/1.7.0 neon/0.33.0', 'rclone/v1.68.1', 'Munin/2.0.75', 'Microsoft-WebDAV-MiniRedir/10.0.19045', 'Go-http-client/1.1']),
      user: r.pick(users),
      everyMs: r.logUniform(1, 30) * MIN,
      phase: r.next(),
      challenged: r.chance(0.6),
      requests: r.int(1, 12),
    }));
    basic.push({ prefix, users, file: setup.server === 'nginx' ? r.pick(PASSWORD_FILES_NGINX) : r.pick(PASSWORD_FILES_APACHE), scripts, rate: 0, homes: new Map() });
  }
  const hasApi = needs.api ?? r.chance(0.45);
  const api: ApiApp | null = !hasApi ? null : {
    prefix: r.pick(API_PREFIXES), tokenPath: r.pick(TOKEN_PATHS), loginPath: r.pick(['/api/auth/login', '/api/v1/login', '/api/session', '/oauth/token']),
    tokenLifetimeMs: r.pick([5, 10, 15, 30, 60, 60]) * MIN, proactive: r.float(0, 0.7), appName,
  };
  // How the request rate splits between the apps.
  const apiShare = api ? r.float(0.05, 0.7) : 0;
  const basicShare = basic.length ? (basic[0]?.prefix === '/' ? 0.95 - apiShare : r.float(0.005, 0.25)) : 0;
  const browseRate = Math.max(0, rate * (1 - apiShare - basicShare));
  for (const a of basic) a.rate = (rate * basicShare) / basic.length;
  const apiRate = rate * apiShare;
  const apiClients: ApiClient[] = [];
  if (api) {
    // Mean per-client rate: a chatty app polls every few seconds, a quiet one a few times an hour.
    const perClient = r.logUniform(0.002, 0.3);
    const n = Math.max(3, Math.min(4000, Math.round(apiRate / perClient)));
    const uaPool = Array.from({ length: r.int(2, 6) }, () => fill(r.pick(API_CLIENT_UAS), r, appName));
    for (let i = 0; i < n; i++) {
      apiClients.push({ ip: publicIp(r, 0.45), ua: r.pick(uaPool), rate: (apiRate / n) * r.logUniform(0.3, 3), tokenExpires: 0 });
    }
  }
  // Shared addresses (offices, carrier-grade NAT) each carry what a few dozen people do: 0.05-2 req/s.
  const natShare = r.float(0, 0.3);
  const natPool = Array.from({ length: Math.max(1, Math.min(5000, Math.ceil((rate * natShare) / r.logUniform(0.05, 2)))) }, () => publicV4(r));
  const integrations: Integration[] = Array.from({ length: r.weighted([[0, 35], [1, 25], [2, 20], [4, 12], [8, 8]] as const) }, () => ({
    ip: r.chance(0.8) ? publicV4(r) : publicIp(r, 1),
    ua: fill(r.pick(INTEGRATIONS), r),
    user: r.chance(0.35) ? r.pick(['svc-sync', 'erp', 'partner-' + r.int(1, 40), 'integration', 'api-user', 'reporting', 'svc-' + r.pick(DOMAIN_WORDS)]) : '',
    path: api ? api.prefix + fill(r.pick(API_RESOURCES), r).replace(/\?.*/, '') : r.pick(['/webhooks/incoming', '/export/orders.csv', '/feeds/products.xml', '/rpc', '/sync']),
    everyMs: r.logUniform(1, 15) * MIN,
    phase: r.next(),
    requests: r.weighted([[1, 50], [3, 25], [10, 15], [30, 10]] as const),
  }));
  const monitors = Array.from({ length: r.int(0, 3) }, () => ({
    ua: r.pick(MONITORS), ips: Array.from({ length: r.int(1, 6) }, () => publicV4(r)),
    path: r.pick(['/', '/health', '/status', '/healthz', '/api/health', '/ping']), everyMs: r.pick([1, 1, 2, 5, 5, 10]) * MIN,
  }));
  const lbChecks = setup.proxy === 'none' ? [] : Array.from({ length: r.int(1, 3) }, () => ({ ua: r.pick(LOAD_BALANCER_CHECKS), path: r.pick(['/healthz', '/health', '/', '/status', '/ready']), everyMs: r.pick([5, 10, 15, 30]) * 1000 }));
  return {
    setup, rate, diurnalAmp: r.float(0.1, 0.8), peakHour: r.float(10, 21), v6Share: r.float(0, 0.4), natShare, natPool,
    login, loginShare: r.logUniform(0.0005, 0.02), failShare: r.float(0, 0.25), basic, api, apiClients, integrations, wordpress,
    staticFromRoot: setup.server === 'nginx' && r.chance(0.5), dotfilesDenied: r.chance(0.5), hasFavicon: r.chance(0.8),
    errorLog: needs.errorLog ?? (needsFormatOption(setup.format) === null && r.chance(0.45)), driveByPerHour: r.logUniform(3, 60), monitors, lbChecks, browseRate,
    accounts: [],
  };
}

/** Day/night factor of a site at `t` (mean 1 over a day). */
export function diurnal(site: Site, t: number): number {
  const hour = (((t / HOUR + site.setup.offsetMin / 60) % 24) + 24) % 24;
  return 1 + site.diurnalAmp * Math.cos((2 * Math.PI * (hour - site.peakHour)) / 24);
}

/** Response sizes as servers send them: their own short error pages, or the app's body. */
export function bodyBytes(site: Site, status: number, r: Rand): number {
  const apache = site.setup.server === 'apache';
  switch (status) {
    case 401: return apache ? 381 : 179;
    case 403: return apache ? 199 : 153;
    case 404: return apache ? 196 : 153;
    case 500: return apache ? 531 : 177;
    case 502: return 157;
    case 504: return 167;
    case 304: return 0;
    case 301:
    case 302: return apache ? 0 : 145;
    default: return r.int(200, 60000);
  }
}

/** The Basic-auth area a path falls under, if any. */
export function areaOf(site: Site, path: string): BasicArea | null {
  for (const a of site.basic) if (a.prefix === '/' || path.startsWith(a.prefix) || path === a.prefix.replace(/\/$/, '')) return a;
  return null;
}

/** What the site answers to a probe of a path that nobody serves (drive-bys, scanners), with the error-log entry it writes. */
export function probeAnswer(site: Site, path: string): { status: number; err: ErrWhat | null; file: string } {
  const bare = path.replace(/\?.*$/, '');
  if (areaOf(site, bare)) return { status: 401, err: null, file: '' };
  if (site.dotfilesDenied && /\/\.[^/]/.test(bare)) return { status: 403, err: 'forbidden_by_rule', file: site.setup.docRoot + bare };
  if (site.wordpress && /^\/(wp-login\.php|xmlrpc\.php)$/.test(bare)) return { status: bare === '/xmlrpc.php' ? 405 : 200, err: null, file: '' };
  if (site.wordpress && bare.startsWith('/wp-admin')) return { status: 302, err: null, file: '' };
  if (site.login && bare === site.login.form) return { status: 200, err: null, file: '' };
  if (bare === '/' || bare === '/robots.txt') return { status: 200, err: null, file: '' };
  return { status: 404, err: site.staticFromRoot ? 'file_not_found' : null, file: site.setup.docRoot + bare };
}

/** Adds a request and, when the server would write one, its error-log entry. */
export function serve(site: Site, log: CaseLog, h: Omit<Hit, 'bytes' | 'ms'> & { bytes?: number; ms?: number }, r: Rand, err?: { what: ErrWhat; file: string } | null): void {
  // The literal each caller passes is its own: completed in place rather than copied (this runs per request).
  const hit = h as Hit;
  if (hit.bytes === undefined) hit.bytes = bodyBytes(site, h.status, r);
  if (hit.ms === undefined) hit.ms = Math.round(r.exp(h.status >= 400 ? 3 : 40));
  log.hit(hit);
  if (err && site.errorLog) log.error({ t: h.t, ip: h.ip, what: err.what, user: h.user, method: h.method, target: h.target, file: err.file, referer: h.referer });
}

/** Iterates Poisson arrivals minute by minute, the rate shaped by the day/night cycle. */
function arrivals(site: Site, r: Rand, from: number, to: number, perSecond: number, shaped: boolean, each: (t: number) => void): void {
  if (perSecond <= 0) return;
  for (let m = from; m < to; m += MIN) {
    const n = r.poisson(perSecond * 60 * (shaped ? diurnal(site, m + MIN / 2) : 1));
    for (let k = 0; k < n; k++) each(m + r.next() * MIN);
  }
}

export interface Person {
  ip: string;
  ua: string;
}

function person(site: Site, r: Rand): Person {
  return { ip: r.chance(site.natShare) ? r.pick(site.natPool) : publicIp(r, site.v6Share), ua: r.pick(BROWSERS) };
}

/**
 * Someone with an account: sign-ins come from a pool sized to about two sign-ins per account over
 * the log, so people return, mostly from their usual address and browser (one time in five from
 * somewhere else: a phone, a hotel).
 */
function account(site: Site, r: Rand, poolSize: number): Person {
  const i = r.int(0, Math.max(1, poolSize) - 1);
  while (site.accounts.length <= i) site.accounts.push(person(site, r));
  const usual = site.accounts[i] as Person;
  return r.chance(0.2) ? { ip: person(site, r).ip, ua: usual.ua } : usual;
}

/** A Basic-auth user's usual address and browser; one session in five from elsewhere. */
function areaUser(site: Site, r: Rand, area: BasicArea, user: string): Person {
  let home = area.homes.get(user);
  if (home === undefined) {
    home = person(site, r);
    area.homes.set(user, home);
  }
  return r.chance(0.2) ? { ip: person(site, r).ip, ua: home.ua } : home;
}

function pagePath(site: Site, r: Rand): string {
  if (site.wordpress) return fill(r.pick(WP_PAGES), r);
  return fill(r.pick(PUBLIC_PAGES), r);
}

/** A visitor's pages, each with its assets (first page in full, later ones mostly cached). */
function browseSession(site: Site, log: CaseLog, r: Rand, t0: number, p: Person, user: string, area: string | null): void {
  let t = t0;
  const pages = 1 + r.failuresBeforeSuccess(0.78, 40);
  let referer = r.chance(0.4) ? r.pick(['https://www.google.com/', 'https://duckduckgo.com/', 'https://www.bing.com/', 'https://t.co/x' + r.hex(6), '']) : '';
  for (let i = 0; i < pages && t < log.end; i++) {
    const page = area !== null ? area + fill(r.pick(AREA_PAGES), r) : pagePath(site, r);
    const broken = r.chance(0.02);
    const status = broken ? 404 : r.chance(0.004) ? 500 : r.chance(0.01) ? 504 : 200;
    const err = status === 404 && site.staticFromRoot ? { what: 'file_not_found' as const, file: site.setup.docRoot + page.replace(/\?.*/, '') } : status === 504 ? { what: 'upstream_timeout' as const, file: '' } : null;
    serve(site, log, { t, ip: p.ip, user, method: 'GET', target: page, status, referer, ua: p.ua }, r, err);
    const assets = i === 0 ? r.int(2, 9) : r.int(0, 3);
    const here = `https://${site.setup.host}${page}`;
    for (let k = 0; k < assets; k++) {
      const asset = fill(r.pick(ASSETS), r);
      const missing = asset === '/favicon.ico' && !site.hasFavicon;
      const at = t + 50 + r.exp(300);
      // A browser sends Basic-auth credentials only below the challenged directory.
      const sent = area !== null && asset.startsWith(area) ? user : '';
      serve(site, log, { t: at, ip: p.ip, user: sent, method: 'GET', target: asset, status: missing ? 404 : i > 0 && r.chance(0.5) ? 304 : 200, referer: here, ua: p.ua }, r,
        missing && site.staticFromRoot ? { what: 'file_not_found', file: site.setup.docRoot + asset } : null);
    }
    referer = here;
    t += 2000 + r.exp(25_000);
  }
}

/** A person opening a Basic-auth area: the challenge, credentials (sometimes mistyped), then pages. */
function basicSession(site: Site, log: CaseLog, r: Rand, t0: number, area: BasicArea): void {
  const user = r.pick(area.users);
  const p = areaUser(site, r, area, user);
  const first = area.prefix + fill(r.pick(AREA_PAGES), r);
  serve(site, log, { t: t0, ip: p.ip, user: '', method: 'GET', target: first, status: 401, referer: '', ua: p.ua }, r);
  // Saved credentials answer the dialog at once; typed ones take seconds.
  let t = t0 + (r.chance(0.8) ? r.float(80, 1000) : r.float(2000, 9000));
  const typos = r.failuresBeforeSuccess(site.failShare, 3);
  for (let k = 0; k < typos; k++) {
    const wrongName = r.chance(0.25);
    const sent = wrongName ? user + r.pick(['1', 's', '.', '_']) : user;
    serve(site, log, { t, ip: p.ip, user: sent, method: 'GET', target: first, status: 401, referer: '', ua: p.ua }, r,
      { what: wrongName ? 'user_not_found' : 'password_mismatch', file: area.file });
    t += r.float(3000, 15000);
  }
  if (typos === 3 && r.chance(0.5)) return;
  serve(site, log, { t, ip: p.ip, user, method: 'GET', target: first, status: 200, referer: '', ua: p.ua }, r);
  browseSession(site, log, r, t + 500 + r.exp(10_000), p, user, area.prefix);
}

/** A person logging in through the form: mistyped passwords fail with 401 until one works (or they give up). */
function loginSession(site: Site, log: CaseLog, r: Rand, t0: number, login: LoginApp, p: Person): void {
  let t = t0;
  if (login.form) {
    serve(site, log, { t, ip: p.ip, user: '', method: 'GET', target: login.form, status: 200, referer: `https://${site.setup.host}/`, ua: p.ua }, r);
    t += r.float(3000, 30000);
  }
  const cap = r.int(3, 6);
  const fails = r.failuresBeforeSuccess(site.failShare, cap);
  const referer = login.form ? `https://${site.setup.host}${login.form}` : `https://${site.setup.host}/`;
  for (let k = 0; k < fails; k++) {
    serve(site, log, { t, ip: p.ip, user: '', method: 'POST', target: login.path, status: 401, referer, ua: p.ua, bytes: r.int(60, 4000) }, r);
    t += r.float(3000, 25000);
  }
  if (fails === cap) {
    serve(site, log, { t, ip: p.ip, user: '', method: 'GET', target: r.pick(['/password/reset', '/forgot-password', '/account/recover']), status: 200, referer, ua: p.ua }, r);
    return;
  }
  serve(site, log, { t, ip: p.ip, user: '', method: 'POST', target: login.path, status: login.successStatus, referer, ua: p.ua, bytes: r.int(0, 800) }, r);
  browseSession(site, log, r, t + r.float(100, 1500), p, '', login.home);
}

/**
 * Sends one API request of a client; an expired token costs a 401, a refresh and a retry, or a
 * refresh up front for the share `proactive` of calls (by default the app's own share).
 */
export function apiRequest(site: Site, log: CaseLog, r: Rand, c: ApiClient, t: number, proactive?: number): void {
  const api = site.api as ApiApp;
  const path = api.prefix + fill(r.pick(API_RESOURCES), r);
  const method = r.chance(0.75) ? 'GET' : r.pick(['POST', 'PUT', 'DELETE', 'PATCH']);
  if (t >= c.tokenExpires) {
    const refresh = (at: number) => {
      const failed = r.chance(0.003);
      serve(site, log, { t: at, ip: c.ip, user: '', method: 'POST', target: api.tokenPath, status: failed ? 401 : 200, referer: '', ua: c.ua, bytes: failed ? 64 : r.int(700, 1800) }, r);
      // A refresh token that expired too: the app signs in again with the saved credentials.
      if (failed) serve(site, log, { t: at + r.float(200, 2000), ip: c.ip, user: '', method: 'POST', target: api.loginPath, status: 200, referer: '', ua: c.ua, bytes: r.int(700, 1800) }, r);
      c.tokenExpires = at + api.tokenLifetimeMs;
      return at + (failed ? 2500 : r.float(60, 900));
    };
    if (r.chance(proactive ?? api.proactive)) t = refresh(t);
    else {
      serve(site, log, { t, ip: c.ip, user: '', method, target: path, status: 401, referer: '', ua: c.ua, bytes: r.int(40, 120) }, r);
      t = refresh(t + r.float(30, 800));
    }
  }
  const s = r.chance(0.01) ? 404 : r.chance(0.008) ? 422 : r.chance(0.002) ? 429 : r.chance(0.002) ? 502 : 200;
  serve(site, log, { t, ip: c.ip, user: '', method, target: path, status: s, referer: '', ua: c.ua, bytes: s === 200 ? r.int(80, 30000) : r.int(40, 300) }, r, s === 502 ? { what: 'upstream_refused', file: '' } : null);
}

/** Calls `each` every `everyMs` (shifted by `phase` of a period), with the jitter of a cron or a timer. */
export function periodic(r: Rand, from: number, to: number, everyMs: number, phase: number, each: (t: number) => void): void {
  const offset = phase * everyMs;
  for (let t = from - ((((from - offset) % everyMs) + everyMs) % everyMs); t < to; t += everyMs) if (t >= from) each(t + r.float(0, Math.min(3000, everyMs / 10)));
}

/**
 * The site's ordinary traffic between `from` and `to`. Sessions start up to 15 minutes before the
 * log does (their requests before the start are cut), so the log opens in the middle of traffic.
 */
export function background(site: Site, log: CaseLog, r: Rand): void {
  const from = log.start - 15 * MIN;
  const to = log.end;
  const rootArea = site.basic.find((a) => a.prefix === '/') ?? null;
  // ~17 requests per browsing session (pages and their assets).
  const browse = r.fork('browse');
  arrivals(site, browse, from, to, site.browseRate / 17, true, (t) => {
    if (rootArea) basicSession(site, log, browse, t, rootArea);
    else browseSession(site, log, browse, t, person(site, browse), '', null);
  });
  const crawl = r.fork('crawl');
  arrivals(site, crawl, from, to, Math.max(0.0005, (site.browseRate / 17) * 0.04), false, (t0) => {
    const c = crawl.pick(CRAWLERS);
    const ip = `${c.v4}.${crawl.int(1, 254)}`;
    let t = t0;
    for (let k = crawl.int(3, 40); k > 0 && t < to; k--) {
      const page = crawl.chance(0.08) ? `/old/${crawl.pick(['page', 'post', 'product'])}-${crawl.int(1, 900)}.html` : pagePath(site, crawl);
      const area = site.basic.length && crawl.chance(0.03) ? crawl.pick(site.basic) : null;
      const target = area ? area.prefix : page;
      const status = area || rootArea ? 401 : page.startsWith('/old/') ? 404 : 200;
      serve(site, log, { t, ip, user: '', method: 'GET', target, status, referer: '', ua: c.ua }, crawl, status === 404 && site.staticFromRoot ? { what: 'file_not_found', file: site.setup.docRoot + target } : null);
      if (rootArea) break;
      t += crawl.float(500, 15000);
    }
  });
  if (site.login) {
    const login = site.login;
    const lr = r.fork('login');
    const signIns = site.rate * site.loginShare * ((to - from) / 1000);
    const pool = Math.min(50_000, Math.max(20, Math.round(signIns / 2)));
    arrivals(site, lr, from, to, site.rate * site.loginShare, true, (t) => loginSession(site, log, lr, t, login, account(site, lr, pool)));
  }
  for (const [i, area] of site.basic.entries()) {
    if (area === rootArea) continue;
    const br = r.fork(`basic${i}`);
    // ~12 requests per session in an area.
    arrivals(site, br, from, to, area.rate / 12, true, (t) => basicSession(site, log, br, t, area));
  }
  for (const [i, area] of site.basic.entries()) {
    for (const [j, s] of area.scripts.entries()) {
      const sr = r.fork(`script${i}.${j}`);
      periodic(sr, from, to, s.everyMs, s.phase, (t0) => {
        let t = t0;
        for (let k = 0; k < s.requests; k++) {
          const target = area.prefix + fill(sr.pick(AREA_PAGES), sr);
          if (s.challenged) {
            serve(site, log, { t, ip: s.ip, user: '', method: 'GET', target, status: 401, referer: '', ua: s.ua, ms: 1 }, sr);
            t += sr.float(3, 150);
          }
          serve(site, log, { t, ip: s.ip, user: s.user, method: 'GET', target, status: 200, referer: '', ua: s.ua }, sr);
          t += sr.float(50, 2000);
        }
      });
    }
  }
  if (site.api) {
    const ar = r.fork('api');
    for (const c of site.apiClients) {
      // Tokens were issued before the log began, at any point of their lifetime.
      c.tokenExpires = from + ar.float(0, site.api.tokenLifetimeMs);
      for (let t = from + ar.exp(1000 / c.rate); t < to; t += ar.exp(1000 / (c.rate * diurnal(site, t)))) apiRequest(site, log, ar, c, t);
    }
  }
  for (const [i, g] of site.integrations.entries()) {
    const ir = r.fork(`integration${i}`);
    periodic(ir, from, to, g.everyMs, g.phase, (t0) => {
      for (let k = 0; k < g.requests; k++) serve(site, log, { t: t0 + k * ir.float(50, 1500), ip: g.ip, user: g.user, method: k === 0 ? 'GET' : ir.pick(['GET', 'POST', 'PUT']), target: g.path, status: ir.chance(0.003) ? 503 : 200, referer: '', ua: g.ua }, ir);
    });
  }
  for (const [i, m] of site.monitors.entries()) {
    const mr = r.fork(`monitor${i}`);
    periodic(mr, from, to, m.everyMs, mr.next(), (t) => {
      // On a site wholly behind Basic auth a monitor is given an account (one without would be a misconfiguration).
      const user = rootArea ? (rootArea.users[0] as string) : '';
      serve(site, log, { t, ip: mr.pick(m.ips), user, method: mr.chance(0.7) ? 'GET' : 'HEAD', target: m.path, status: 200, referer: '', ua: m.ua }, mr);
    });
  }
  for (const [i, c] of site.lbChecks.entries()) {
    const cr = r.fork(`lb${i}`);
    periodic(cr, from, to, c.everyMs, cr.next(), (t) => serve(site, log, { t, ip: site.setup.lbPeer, user: '', method: 'GET', target: c.path, status: 200, referer: '', ua: c.ua, direct: true, bytes: 2 }, cr));
  }
  // The internet's background noise: addresses trying one to three well-known paths and leaving.
  const dr = r.fork('driveby');
  arrivals(site, dr, from, to, site.driveByPerHour / 3600, false, (t0) => {
    const ip = publicIp(dr, 0.1);
    const ua = dr.pick([...SCANNER_UAS, ...ATTACK_TOOLS]);
    let t = t0;
    for (let k = dr.int(1, 3); k > 0; k--) {
      const path = dr.chance(0.5) ? dr.pick(SENSITIVE_FILES) : dr.pick(SCAN_PATHS);
      const a = probeAnswer(site, path);
      serve(site, log, { t, ip, user: '', method: dr.chance(0.9) ? 'GET' : 'POST', target: path, status: a.status, referer: '', ua }, dr, a.err ? { what: a.err, file: a.file } : null);
      t += dr.float(100, 5000);
    }
  });
}
