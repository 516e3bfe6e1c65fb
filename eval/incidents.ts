/**
 * The scenarios: each draws its parameters (rate, duration, path, address spread…) from realistic
 * ranges, says what the site must have (a Basic-auth area for a Basic-auth brute force), and injects
 * its requests and error-log lines into the background, returning the label.
 *
 * Floors: an incident is only injected where it can be seen at all (a credential-stuffing wave that
 * adds 10 % to a busy login's ordinary failures, or a deploy that breaks a path nobody calls, is not
 * detectable by anyone); each floor is stated where it is applied and listed in eval/README.md.
 */
import { ATTACK_TOOLS, ATTACK_USER_NAMES, BROWSERS, DOMAIN_WORDS, INTEGRATIONS, MONITORS, SCAN_PATHS, SCANNER_UAS, SENSITIVE_FILES } from './catalog';
import type { CaseLog, Hit } from './logs';
import { publicIp, publicV4, publicV6Prefix, v6In } from './net';
import type { Rand } from './rand';
import { apiRequest, areaOf, fill, periodic, probeAnswer, serve, type ApiClient, type BasicArea, type Site, type SiteNeeds } from './site';
import { emptyActor, expectedOf, type Actor, type CaseKind, type InjectedKind, type TruthItem } from './truth';

const SEC = 1000;
const MIN = 60_000;

export interface Window {
  start: number;
  end: number;
}

export interface Plan {
  needs: SiteNeeds;
  /** Minutes of traffic before the incident, of the incident, and after it. */
  preMin: number;
  durMin: number;
  postMin: number;
  /** Only the error log is given to the product. */
  errorOnly?: boolean;
  /**
   * Changes to the site before its background is generated (enough traffic on the path that breaks…),
   * within `budget`: the requests per second the case may add and stay under its bound.
   */
  prepare?(site: Site, r: Rand, w: Window, budget: number): void;
  /** Injects the incident; null for clean traffic. */
  inject(site: Site, log: CaseLog, r: Rand, w: Window): Omit<TruthItem, 'kind' | 'expected'> | null;
}

export interface Scenario {
  kind: CaseKind;
  plan(r: Rand): Plan;
}

// ---- Where credentials are tried ----

type Surface = 'login' | 'basic' | 'token' | 'wordpress';

function surfaceNeeds(s: Surface): SiteNeeds {
  switch (s) {
    case 'login': return { login: true, wordpress: false };
    case 'basic': return { basic: true };
    case 'token': return { api: true };
    case 'wordpress': return { wordpress: true };
  }
}

interface Target {
  path: string;
  method: string;
  area: BasicArea | null;
  referer: string;
}

function target(site: Site, s: Surface, r: Rand): Target {
  if ((s === 'login' || s === 'wordpress') && site.login) {
    return { path: site.login.path, method: 'POST', area: null, referer: site.login.form ? `https://${site.setup.host}${site.login.form}` : '' };
  }
  if (s === 'token' && site.api) return { path: r.chance(0.6) ? site.api.tokenPath : site.api.loginPath, method: 'POST', area: null, referer: '' };
  const area = r.pick(site.basic);
  return { path: r.chance(0.8) ? area.prefix : area.prefix + r.pick(['index.php', 'login', 'dashboard', 'wp-admin/', '']), method: 'GET', area, referer: '' };
}

/** One failed try: on a Basic-auth area the guessed user is logged and the error log says why. */
function tryCredentials(site: Site, log: CaseLog, r: Rand, t: number, ip: string, ua: string, tg: Target, user: string, succeeded = false): void {
  if (tg.area) {
    const exists = tg.area.users.includes(user);
    serve(site, log, { t, ip, user, method: tg.method, target: tg.path, status: succeeded ? 200 : 401, referer: tg.referer, ua }, r,
      succeeded ? null : { what: exists ? 'password_mismatch' : 'user_not_found', file: tg.area.file });
    return;
  }
  const ok = site.login?.successStatus ?? 200;
  serve(site, log, { t, ip, user: '', method: tg.method, target: tg.path, status: succeeded ? ok : 401, referer: tg.referer, ua, bytes: r.int(40, 3000) }, r);
}

/** A guessing tool's user list: common names, and sometimes the site's real ones. */
function guessUser(r: Rand, tg: Target): string {
  if (tg.area && r.chance(0.3)) return r.pick(tg.area.users);
  return r.chance(0.7) ? r.pick(ATTACK_USER_NAMES) : `${r.pick(ATTACK_USER_NAMES)}${r.int(1, 99)}`;
}

function actorOf(parts: Partial<Actor>): Actor {
  return { ...emptyActor(), ...parts };
}

function describeSite(site: Site): string {
  return `${site.setup.server} ${site.setup.format}${site.setup.proxy !== 'none' ? `, proxy ${site.setup.proxy} (${site.setup.proxyPeer})` : ''}`;
}

const pct = (x: number) => `${Math.round(x * 100)} %`;

// ---- Attacks ----

function bruteForce(speed: 'fast' | 'slow'): Scenario {
  return {
    kind: speed === 'fast' ? 'brute-force-fast' : 'brute-force-slow',
    plan(r) {
      const surface = r.weighted([['login', 35], ['basic', 35], ['token', 15], ['wordpress', 15]] as const);
      // fast: a tool at 0.5-20 tries/s for 1-15 min; slow: one try every 10-60 s for 30-150 min (at least 30 tries).
      const perSec = speed === 'fast' ? r.logUniform(0.5, 20) : 1 / r.logUniform(10, 60);
      let durMin = speed === 'fast' ? r.logUniform(1, 15) : r.logUniform(30, 150);
      durMin = Math.max(durMin, 30 / perSec / 60);
      return {
        needs: surfaceNeeds(surface), preMin: r.logUniform(5, 90), durMin, postMin: r.logUniform(2, 30),
        inject(site, log, ir, w) {
          const tg = target(site, surface, ir);
          const ip = publicIp(ir, 0.25);
          const ua = ir.pick(ATTACK_TOOLS);
          const users = new Set<string>();
          let t = w.start;
          let n = 0;
          if (tg.referer && ir.chance(0.5)) serve(site, log, { t: t - 2000, ip, user: '', method: 'GET', target: tg.referer.replace(/^https:\/\/[^/]+/, ''), status: 200, referer: '', ua }, ir);
          const succeeds = ir.chance(0.05);
          while (t < w.end) {
            const u = guessUser(ir, tg);
            users.add(u);
            n++;
            // fast: a tool's parallel tasks (Poisson); slow: a timer with some jitter.
            const next = t + (speed === 'fast' ? ir.exp(1000 / perSec) : (1000 / perSec) * ir.float(0.7, 1.3));
            tryCredentials(site, log, ir, t, ip, ua, tg, u, succeeds && next >= w.end);
            t = next;
          }
          return {
            variant: `${surface}${tg.area ? `-${site.setup.server}` : ''}`, start: w.start, end: w.end,
            actor: actorOf({ ips: [ip], paths: [tg.path], clients: [ua], users: tg.area ? [...users] : [] }),
            detail: `${n} tries from ${ip} (${ua}) on ${tg.method} ${tg.path} at ${(perSec * 60).toFixed(1)}/min for ${Math.round((w.end - w.start) / MIN)} min${succeeds ? ', the last one succeeds' : ''}; ${describeSite(site)}`,
          };
        },
      };
    },
  };
}

type SurfaceInjector = (site: Site, log: CaseLog, ir: Rand, w: Window, tg: Target, surface: Surface) => Omit<TruthItem, 'kind' | 'expected'>;

/** An attack on where credentials are tried: the surface drawn by weight, then history, duration and aftermath (minutes). */
function surfaceAttack(kind: CaseKind, weights: ReadonlyArray<readonly [Surface, number]>, pre: [number, number], dur: [number, number], inject: SurfaceInjector): Scenario {
  return {
    kind,
    plan(r) {
      const surface = r.weighted(weights);
      return {
        needs: surfaceNeeds(surface), preMin: r.logUniform(...pre), durMin: r.logUniform(...dur), postMin: r.logUniform(2, 30),
        inject: (site, log, ir, w) => inject(site, log, ir, w, target(site, surface, ir), surface),
      };
    },
  };
}

const subnetBruteForce = surfaceAttack('subnet-brute-force', [['login', 35], ['basic', 30], ['token', 10], ['wordpress', 25]], [5, 90], [5, 60], (site, log, ir, w, tg) => {
  const v6 = ir.chance(0.35);
  const k = Math.round(ir.logUniform(4, 64));
  let subnet: string;
  let ips: string[];
  if (v6) {
    const prefix = publicV6Prefix(ir);
    subnet = `${prefix}::/64`;
    ips = Array.from({ length: k }, () => v6In(prefix, ir));
  } else {
    const base = publicV4(ir).split('.').slice(0, 3).join('.');
    subnet = `${base}.0/24`;
    const octets = new Set<number>();
    while (octets.size < k) octets.add(ir.int(1, 254));
    ips = [...octets].map((o) => `${base}.${o}`);
  }
  const oneUa = ir.chance(0.6);
  const sharedUa = ir.pick(ATTACK_TOOLS);
  // Rotation: each address works a slice of the window, or all of them at once.
  const rotating = ir.chance(0.5);
  // Floor: at least 40 tries in all (four addresses trying three passwords each is noise).
  const perIp = Math.max(3, Math.ceil(40 / ips.length), Math.round(ir.logUniform(3, 40)));
  const clients = new Set<string>();
  const users = new Set<string>();
  let total = 0;
  ips.forEach((ip, i) => {
    const ua = oneUa ? sharedUa : ir.pick([...ATTACK_TOOLS, ...BROWSERS]);
    clients.add(ua);
    const span = w.end - w.start;
    const from = rotating ? w.start + (span * i) / ips.length : w.start + ir.float(0, span * 0.2);
    const to = rotating ? w.start + (span * (i + 1)) / ips.length : w.end;
    for (let j = 0; j < perIp; j++) {
      const u = guessUser(ir, tg);
      users.add(u);
      tryCredentials(site, log, ir, from + ir.float(0, to - from), ip, ua, tg, u);
      total++;
    }
  });
  return {
    variant: `${v6 ? 'v6' : 'v4'}-${rotating ? 'rotating' : 'parallel'}`, start: w.start, end: w.end,
    actor: actorOf({ ips, subnets: [subnet], paths: [tg.path], clients: [...clients], users: tg.area ? [...users] : [] }),
    detail: `${total} tries from ${ips.length} addresses of ${subnet} (${perIp} each, ${rotating ? 'one after another' : 'in parallel'}, ${oneUa ? 'one user agent' : 'varied user agents'}) on ${tg.method} ${tg.path}; ${describeSite(site)}`,
  };
});

const credentialStuffing = surfaceAttack('credential-stuffing', [['login', 45], ['token', 20], ['wordpress', 20], ['basic', 15]], [10, 90], [5, 90], (site, log, ir, w, tg, surface) => {
  let n = Math.round(ir.logUniform(50, 5000));
  const triesMean = ir.float(1, 3);
  const minutes = (w.end - w.start) / MIN;
  // Floor: the wave's failures per minute are at least 3x the path's ordinary ones, or nobody could tell it from them.
  const ordinaryPerMin = surface === 'basic' ? 0 : site.rate * site.loginShare * site.failShare * 60 * 1.8;
  while (n < 5000 && (n * triesMean) / minutes < 3 * ordinaryPerMin) n = Math.min(5000, Math.ceil(n * 1.5));
  const v6Share = ir.float(0, 0.3);
  const ips: string[] = [];
  const clients = new Set<string>();
  const successShare = ir.float(0, 0.03);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const ip = publicIp(ir, v6Share);
    ips.push(ip);
    const ua = ir.chance(0.8) ? ir.pick(BROWSERS) : ir.pick(ATTACK_TOOLS);
    clients.add(ua);
    const tries = Math.max(1, Math.min(5, Math.round(ir.exp(triesMean))));
    let t = w.start + ir.float(0, w.end - w.start);
    for (let j = 0; j < tries; j++) {
      const user = `${ir.pick(['j', 'm', 'a', 's', 'k', 'd'])}${ir.pick(['smith', 'miller', 'garcia', 'chen', 'martin', 'rossi', 'novak'])}${ir.int(1, 999)}@${ir.pick(['gmail.com', 'yahoo.com', 'outlook.com', 'gmx.de', 'orange.fr', 'mail.ru'])}`;
      tryCredentials(site, log, ir, t, ip, ua, tg, tg.area ? user : '', j === tries - 1 && ir.chance(successShare));
      total++;
      t += ir.float(2 * SEC, 60 * SEC);
    }
  }
  return {
    variant: surface, start: w.start, end: w.end,
    actor: actorOf({ ips, paths: [tg.path], clients: [...clients] }),
    detail: `${total} tries from ${n} addresses (${triesMean.toFixed(1)} each on average, ${pct(v6Share)} IPv6) on ${tg.method} ${tg.path} over ${Math.round(minutes)} min; ordinary login failure share ${pct(site.failShare)}; ${describeSite(site)}`,
  };
});

const sensitiveFileProbe: Scenario = {
  kind: 'sensitive-file-probe',
  plan(r) {
    return {
      needs: {}, preMin: r.logUniform(5, 90), durMin: r.logUniform(0.2, 10), postMin: r.logUniform(2, 30),
      inject(site, log, ir, w) {
        const k = ir.int(6, 40);
        const files = new Set<string>();
        const dirs = ['', '', '', '/backup', '/old', '/public', '/admin', '/api', '/static'];
        while (files.size < k) files.add(ir.pick(dirs) + ir.pick(SENSITIVE_FILES));
        // Usually one address; sometimes two or three of one /24 share the list.
        const base = publicV4(ir).split('.').slice(0, 3).join('.');
        const nIps = ir.weighted([[1, 80], [2, 12], [3, 8]] as const);
        const ips = nIps === 1 ? [publicIp(ir, 0.15)] : Array.from({ length: nIps }, () => `${base}.${ir.int(1, 254)}`);
        const ua = ir.pick(SCANNER_UAS);
        const list = [...files];
        const statuses = new Map<number, number>();
        list.forEach((path, i) => {
          const t = w.start + (i / list.length) * (w.end - w.start) + ir.float(0, 500);
          const a = probeAnswer(site, path);
          statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
          serve(site, log, { t, ip: ips[i % ips.length] as string, user: '', method: 'GET', target: path, status: a.status, referer: '', ua }, ir, a.err ? { what: a.err, file: a.file } : null);
        });
        return {
          variant: `${nIps === 1 ? 'one-address' : 'few-addresses'}`, start: w.start, end: w.end,
          actor: actorOf({ ips, paths: list, clients: [ua] }),
          detail: `${list.length} sensitive files (${list.slice(0, 4).join(', ')}…) from ${ips.join(', ')} (${ua}) in ${Math.round((w.end - w.start) / SEC)} s; answers ${[...statuses].map(([s, c]) => `${c}x${s}`).join(' ')}; ${describeSite(site)}`,
        };
      },
    };
  },
};

const wideScanner: Scenario = {
  kind: 'wide-scanner',
  plan(r) {
    const n = Math.round(r.logUniform(80, 3000));
    const perSec = r.logUniform(2, 50);
    return {
      needs: {}, preMin: r.logUniform(5, 90), durMin: Math.max(0.5, n / perSec / 60), postMin: r.logUniform(2, 30),
      inject(site, log, ir, w) {
        const ip = publicIp(ir, 0.15);
        const ua = ir.pick(SCANNER_UAS);
        const words = ['admin', 'backup', 'test', 'old', 'new', 'dev', 'api', 'console', 'manager', 'private', 'db', 'sql', 'upload', 'uploads', 'tmp', 'config', 'login', 'shell', 'cgi-bin', 'include'];
        const exts = ['', '/', '.php', '.asp', '.aspx', '.jsp', '.bak', '.zip', '.tar.gz', '.sql', '.txt', '.old', '.cgi'];
        const paths: string[] = [];
        for (let i = 0; i < n; i++) {
          const x = ir.next();
          if (x < 0.35) paths.push(ir.pick(SCAN_PATHS));
          else if (x < 0.5) paths.push(ir.pick(SENSITIVE_FILES));
          else if (x < 0.6 && site.basic.length) paths.push(ir.pick(site.basic).prefix + ir.pick(words) + ir.pick(exts));
          else paths.push(`/${ir.pick(words)}${ir.chance(0.3) ? `/${ir.pick(words)}` : ''}${ir.pick(exts)}`);
        }
        const statuses = new Map<number, number>();
        paths.forEach((path, i) => {
          const t = w.start + (i / n) * (w.end - w.start) + ir.float(0, 200);
          const a = probeAnswer(site, path);
          statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
          serve(site, log, { t, ip, user: '', method: ir.chance(0.9) ? 'GET' : ir.pick(['POST', 'HEAD']), target: path, status: a.status, referer: '', ua }, ir, a.err ? { what: a.err, file: a.file } : null);
        });
        return {
          variant: site.basic.length ? 'with-basic-area' : 'no-basic-area', start: w.start, end: w.end,
          actor: actorOf({ ips: [ip], paths: [...new Set(paths)], clients: [ua] }),
          detail: `${n} requests, ${new Set(paths).size} distinct paths from ${ip} (${ua}) at ${perSec.toFixed(1)}/s; answers ${[...statuses].sort((a, b) => b[1] - a[1]).map(([s, c]) => `${c}x${s}`).join(' ')}; ${describeSite(site)}`,
        };
      },
    };
  },
};

const errorLogBruteForce: Scenario = {
  kind: 'error-log-brute-force',
  plan(r) {
    const perSec = r.chance(0.6) ? r.logUniform(0.3, 15) : 1 / r.logUniform(10, 60);
    const durMin = Math.max(r.logUniform(2, 60), 30 / perSec / 60);
    return {
      needs: { basic: true, errorLog: true, errorOnly: true }, errorOnly: true, preMin: r.logUniform(5, 90), durMin, postMin: r.logUniform(2, 30),
      inject(site, log, ir, w) {
        const tg = target(site, 'basic', ir);
        const ip = publicIp(ir, 0.25);
        const ua = ir.pick(ATTACK_TOOLS);
        const users = new Set<string>();
        let n = 0;
        for (let t = w.start; t < w.end; t += perSec > 0.2 ? ir.exp(1000 / perSec) : (1000 / perSec) * ir.float(0.7, 1.3)) {
          const u = guessUser(ir, tg);
          users.add(u);
          tryCredentials(site, log, ir, t, ip, ua, tg, u);
          n++;
        }
        return {
          variant: site.setup.server, start: w.start, end: w.end,
          actor: actorOf({ ips: [ip], paths: [tg.path], clients: [ua], users: [...users] }),
          detail: `${n} Basic-auth tries (${users.size} user names) from ${ip} on ${tg.path} at ${(perSec * 60).toFixed(1)}/min, error log only; ${describeSite(site)}`,
        };
      },
    };
  },
};

// ---- Misconfigurations ----

/** Who a misconfiguration hit: the requests it turned into failures, by address, client and user. */
class Affected {
  readonly ips = new Set<string>();
  readonly clients = new Set<string>();
  readonly users = new Set<string>();
  count = 0;
  first = Infinity;

  add(h: Pick<Hit, 't' | 'ip' | 'ua' | 'user'>): void {
    this.ips.add(h.ip);
    this.clients.add(h.ua);
    if (h.user) this.users.add(h.user);
    this.first = Math.min(this.first, h.t);
    this.count++;
  }

  /** When the first failure happened, or the window's start when there was none. */
  start(w: Window): number {
    return Number.isFinite(this.first) ? this.first : w.start;
  }
}

type BreakSurface = 'api' | 'basic' | 'login';

/** Requests per second on a surface, before the day/night factor. */
function surfaceRate(site: Site, s: BreakSurface, area: BasicArea | null): number {
  if (s === 'api') return site.apiClients.reduce((sum, c) => sum + c.rate, 0);
  if (s === 'basic' && area) return area.rate + area.scripts.reduce((sum, x) => sum + x.requests / (x.everyMs / 1000), 0);
  return site.rate * site.loginShare;
}

const brokenDeploy: Scenario = {
  kind: 'broken-deploy',
  plan(r) {
    const surface = r.weighted([['api', 45], ['basic', 35], ['login', 20]] as const);
    const share = r.chance(0.5) ? 1 : r.float(0.5, 0.95);
    const untilEnd = r.chance(0.3);
    let area: BasicArea | null = null;
    return {
      needs: surface === 'api' ? { api: true } : surface === 'basic' ? { basic: true } : { login: true },
      preMin: r.logUniform(15, 120), durMin: r.logUniform(5, 90), postMin: untilEnd ? 0 : r.logUniform(5, 30),
      prepare(site, pr, w) {
        area = surface === 'basic' ? pr.pick(site.basic) : null;
        // Floor: a break is only seen where there is traffic: >= 80 expected failing requests in the
        // window (30 sign-ins, each retried) from at least 8 API clients or 6 sessions of people; a path
        // nobody calls breaks unseen.
        const seconds = (w.end - w.start) / 1000;
        const have = surfaceRate(site, surface, area) * seconds * share;
        const want = surface === 'login' ? 30 : 80;
        const factor = have >= want ? 1 : want / Math.max(have, 1e-6);
        if (surface === 'api') {
          for (const c of site.apiClients) c.rate *= factor;
          while (site.apiClients.length < 8) site.apiClients.push({ ...(site.apiClients[0] as ApiClient), ip: publicIp(pr, 0.4) });
        } else if (surface === 'basic' && area) area.rate = Math.max(area.rate * factor, (6 * 12) / seconds);
        else site.loginShare = Math.min(0.2, site.loginShare * factor);
      },
      inject(site, log, ir, w) {
        const api = site.api;
        const prefix = surface === 'api' ? (api?.prefix ?? '/api/') : surface === 'basic' ? (area?.prefix ?? '/') : (site.login?.path ?? '/login');
        const onSurface = (h: Hit) => {
          const path = h.target.replace(/\?.*$/, '');
          if (surface === 'api') return path.startsWith(prefix) && path !== api?.tokenPath && path !== api?.loginPath;
          if (surface === 'basic') return areaOf(site, path) === area;
          return path === prefix && h.method === 'POST';
        };
        const hit = new Affected();
        const n = log.hits.length;
        for (let i = 0; i < n; i++) {
          const h = log.hits[i] as Hit;
          if (h.t < w.start || h.t >= w.end || h.status >= 400 || !onSurface(h) || !ir.chance(share)) continue;
          if (surface === 'basic' && h.user === '') continue;
          h.status = 401;
          h.bytes = surface === 'api' ? ir.int(40, 120) : site.setup.server === 'apache' ? 381 : 179;
          hit.add(h);
          if (surface === 'basic' && area && site.errorLog) log.error({ t: h.t, ip: h.ip, what: 'password_mismatch', user: h.user, method: h.method, target: h.target, file: area.file, referer: h.referer });
          // Clients react: an app refreshes its token and retries; a person retypes the password.
          if (surface === 'api' && api && ir.chance(0.6)) {
            serve(site, log, { t: h.t + ir.float(50, 800), ip: h.ip, user: '', method: 'POST', target: api.tokenPath, status: 200, referer: '', ua: h.ua }, ir);
            serve(site, log, { t: h.t + ir.float(900, 3000), ip: h.ip, user: '', method: h.method, target: h.target, status: 401, referer: '', ua: h.ua, bytes: ir.int(40, 120) }, ir);
            hit.count++;
          } else if (surface === 'login' && ir.chance(0.7)) {
            for (let k = ir.int(1, 3), t = h.t; k > 0; k--) {
              t += ir.float(4000, 20000);
              serve(site, log, { t, ip: h.ip, user: '', method: 'POST', target: h.target, status: 401, referer: h.referer, ua: h.ua }, ir);
              hit.count++;
            }
          }
        }
        return {
          variant: `${surface}-${share === 1 ? 'all' : 'most'}`, start: hit.start(w), end: w.end,
          actor: actorOf({ ips: [...hit.ips], paths: [prefix], clients: [...hit.clients], users: [...hit.users] }),
          detail: `auth on ${prefix} broken for ${share === 1 ? 'every request' : `${pct(share)} of requests`} from ${new Date(w.start).toISOString()} for ${Math.round((w.end - w.start) / MIN)} min${w.end >= log.end ? ' (until the log ends)' : ''}: ${hit.count} failures from ${hit.ips.size} addresses, ${hit.clients.size} clients; ${describeSite(site)}`,
        };
      },
    };
  },
};

const staleCredential: Scenario = {
  kind: 'stale-credential',
  plan(r) {
    const variant = r.weighted([['integration', 50], ['health-check', 30], ['basic-script', 20]] as const);
    const everyMin = variant === 'health-check' ? r.pick([0.5, 1, 1, 1, 2]) : r.logUniform(0.5, 10);
    const failMin = Math.min(180, Math.max(r.logUniform(30, 180), 12 * everyMin));
    return {
      needs: variant === 'basic-script' ? { basic: true, basicNotRoot: true } : variant === 'integration' ? { api: r.chance(0.7) } : {},
      // The health checker's key was wrong before the log began: it never succeeds here.
      preMin: variant === 'health-check' ? 0 : r.logUniform(20, 120), durMin: failMin, postMin: r.chance(0.7) ? 0 : r.logUniform(5, 30),
      inject(site, log, ir, w) {
        const area = variant === 'basic-script' ? ir.pick(site.basic.filter((a) => a.prefix !== '/').length ? site.basic.filter((a) => a.prefix !== '/') : site.basic) : null;
        const ips = variant === 'health-check' ? Array.from({ length: ir.int(1, 4) }, () => publicV4(ir)) : [ir.chance(0.85) ? publicV4(ir) : publicIp(ir, 1)];
        const ua = variant === 'health-check' ? ir.pick(MONITORS) : variant === 'basic-script' ? ir.pick(['curl/8.5.0', 'Wget/1.21.4', 'python-requests/2.32.3', 'rclone/v1.68.1']) : fill(ir.pick(INTEGRATIONS), ir);
        const user = area ? ir.pick(area.users) : ir.chance(0.4) ? ir.pick(['svc-sync', 'erp', 'reporting', 'svc-' + ir.pick(DOMAIN_WORDS), 'monitor']) : '';
        const path = area ? area.prefix + ir.pick(['backup/latest.tar.gz', 'export/daily.csv', 'api/status', 'dav/reports/', '']) :
          variant === 'health-check' ? (site.api ? site.api.prefix + ir.pick(['health', 'status', 'v1/ping']) : ir.pick(['/api/health', '/status/detailed', '/metrics', '/admin/health'])) :
          site.api ? site.api.prefix + fill(ir.pick(['orders', 'inventory', 'invoices/{n}', 'products', 'sync', 'reports/daily']), ir).replace(/\?.*/, '') : ir.pick(['/api/partner/orders', '/webhooks/erp', '/export/orders.csv', '/rpc/v1/sync']);
        const everyMs = everyMin * MIN;
        const retries = variant === 'integration' && ir.chance(0.4) ? ir.int(1, 3) : 0;
        const fixedAt = w.end;
        let failures = 0;
        periodic(ir, log.start, log.end, everyMs, ir.next(), (t0) => {
          const failing = t0 >= w.start && t0 < fixedAt;
          const ip = ir.pick(ips);
          const status = failing ? 401 : 200;
          serve(site, log, { t: t0, ip, user, method: 'GET', target: path, status, referer: '', ua }, ir, failing && area ? { what: 'password_mismatch', file: area.file } : null);
          if (!failing) return;
          failures++;
          for (let k = 1, t = t0; k <= retries; k++) {
            t += ir.float(1, 10) * k * SEC;
            serve(site, log, { t, ip, user, method: 'GET', target: path, status: 401, referer: '', ua }, ir, area ? { what: 'password_mismatch', file: area.file } : null);
            failures++;
          }
        });
        return {
          variant, start: w.start, end: w.end,
          actor: actorOf({ ips, paths: [path], clients: [ua], users: user ? [user] : [] }),
          detail: `${ua}${user ? ` (user ${user})` : ''} from ${ips.join(', ')} calls ${path} every ${everyMin.toFixed(1)} min${retries ? ` (+${retries} retries)` : ''}; ${variant === 'health-check' ? 'a wrong key from the start' : `succeeded until ${new Date(w.start).toISOString().slice(11, 16)}`}, then ${failures} failures${fixedAt < log.end ? ', fixed before the log ends' : ''}; ${describeSite(site)}`,
        };
      },
    };
  },
};

function passwordFile(errorOnly: boolean): Scenario {
  return {
    kind: errorOnly ? 'password-file-error-only' : 'password-file',
    plan(r) {
      const unreadable = r.chance(0.4);
      let area: BasicArea | null = null;
      return {
        needs: { basic: true, errorLog: true, errorOnly }, errorOnly, preMin: r.logUniform(5, 90), durMin: r.logUniform(5, 120), postMin: r.chance(0.7) ? 0 : r.logUniform(5, 30),
        prepare(site, pr, w) {
          area = pr.pick(site.basic);
          // Floor: someone must send credentials while the file is gone (>= 5 expected requests in the window).
          const minutes = (w.end - w.start) / MIN;
          if (surfaceRate(site, 'basic', area) * minutes * 60 < 5) area.rate = 5 / (minutes * 60);
        },
        inject(site, log, ir, w) {
          const a = area as BasicArea;
          const nginx = site.setup.server === 'nginx';
          // Nginx: a missing file answers 403, an unreadable one 500; Apache answers 500 for both (AH01620).
          const status = nginx && !unreadable ? 403 : 500;
          const what = unreadable ? 'pwfile_unreadable' : 'pwfile_missing';
          const hit = new Affected();
          const n = log.hits.length;
          for (let i = 0; i < n; i++) {
            const h = log.hits[i] as Hit;
            // Requests without credentials still get the 401 challenge: the file is opened only to check a password.
            if (h.t < w.start || h.t >= w.end || h.user === '' || areaOf(site, h.target.replace(/\?.*$/, '')) !== a) continue;
            h.status = status;
            h.bytes = status === 403 ? 153 : nginx ? 177 : 531;
            log.error({ t: h.t, ip: h.ip, what, user: h.user, method: h.method, target: h.target, file: a.file, referer: h.referer });
            hit.add(h);
            // A person reloads once or twice.
            if (!h.ua.startsWith('Mozilla')) continue;
            for (let k = ir.int(0, 2), t = h.t; k > 0; k--) {
              t += ir.float(1500, 8000);
              serve(site, log, { t, ip: h.ip, user: h.user, method: h.method, target: h.target, status, referer: h.referer, ua: h.ua }, ir, { what, file: a.file });
              hit.count++;
            }
          }
          // Floor: at least three people tried while the file was gone (few sessions in a short window can leave none).
          for (let k = hit.count; k < 3; k++) {
            const t = w.start + ir.float(0, w.end - w.start);
            const ip = publicIp(ir, site.v6Share);
            const ua = ir.pick(BROWSERS);
            const user = ir.pick(a.users);
            serve(site, log, { t, ip, user: '', method: 'GET', target: a.prefix, status: 401, referer: '', ua }, ir);
            const answered = t + ir.float(200, 1500);
            serve(site, log, { t: answered, ip, user, method: 'GET', target: a.prefix, status, referer: '', ua }, ir);
            log.error({ t: answered, ip, what, user, method: 'GET', target: a.prefix, file: a.file, referer: '' });
            hit.add({ t, ip, ua, user });
          }
          return {
            variant: `${site.setup.server}-${unreadable ? 'unreadable' : 'missing'}`, start: hit.start(w), end: w.end,
            actor: actorOf({ ips: [...hit.ips], paths: [a.prefix], clients: [...hit.clients], users: [...hit.users] }),
            detail: `${a.file} ${unreadable ? 'unreadable' : 'missing'} for ${a.prefix} for ${Math.round((w.end - w.start) / MIN)} min: ${hit.count} requests answered ${status} from ${hit.ips.size} addresses${errorOnly ? ', error log only' : ''}; ${describeSite(site)}`,
          };
        },
      };
    },
  };
}

// ---- Benign: must stay quiet ----

const basicAuthChallenges: Scenario = {
  kind: 'basic-auth-challenges',
  plan(r) {
    return {
      needs: { basic: true }, preMin: r.logUniform(10, 60), durMin: r.logUniform(30, 180), postMin: 0,
      prepare(site, pr, _w, budget) {
        // A team on a Basic-auth area all day: WebDAV and sync clients answer a challenge on every
        // request (two log lines each), people open it in browsers. Together at most half the budget.
        const share = budget / 2 / site.basic.length;
        for (const area of site.basic) {
          area.rate = Math.max(area.rate, Math.min(share / 2, pr.logUniform(0.05, 3)));
          const n = pr.int(2, 12);
          const scripts = Array.from({ length: n }, () => ({
            ip: pr.chance(0.5) ? publicIp(pr, 0.3) : `10.${pr.int(0, 20)}.${pr.int(0, 255)}.${pr.int(2, 250)}`,
            ua: pr.pick(['Microsoft-WebDAV-MiniRedir/10.0.19045', 'davfs2/1.7.0 neon/0.33.0', 'rclone/v1.68.1', 'curl/8.5.0', 'Cyberduck/9.0.4.41855 (Mac OS X/14.6.1) (arm64)', 'gvfs/1.54.2', 'Transmit/5.10.4']),
            user: pr.pick(area.users), everyMs: pr.logUniform(0.25, 5) * MIN, phase: pr.next(), challenged: true, requests: pr.int(5, 60),
          }));
          const lines = scripts.reduce((sum, x) => sum + (2 * x.requests) / (x.everyMs / 1000), 0);
          const slow = Math.max(1, lines / (share / 2));
          for (const x of scripts) area.scripts.push({ ...x, everyMs: x.everyMs * slow });
        }
      },
      inject(site, log, _ir, w) {
        const scripts = site.basic.flatMap((a) => a.scripts);
        return {
          variant: site.basic.some((a) => a.prefix === '/') ? 'whole-site' : 'area', start: w.start - 10 * MIN, end: w.end,
          actor: actorOf({ ips: scripts.map((s) => s.ip), paths: site.basic.map((a) => a.prefix), clients: scripts.map((s) => s.ua), users: site.basic.flatMap((a) => a.users) }),
          detail: `${scripts.length} clients answering Basic-auth challenges on ${site.basic.map((a) => a.prefix).join(', ')}, people at ${site.basic.map((a) => a.rate.toFixed(2)).join('/')} req/s; ${describeSite(site)}`,
        };
      },
    };
  },
};

const tokenRefreshWave: Scenario = {
  kind: 'token-refresh-wave',
  plan(r) {
    const spreadSec = r.logUniform(3, 90);
    return {
      needs: { api: true }, preMin: r.logUniform(10, 90), durMin: spreadSec / 60, postMin: r.logUniform(5, 30),
      prepare(site, pr) {
        // A wave needs a crowd: at least 50 clients (up to 3,000) hold tokens that expire together.
        // Added clients share the API's traffic rather than add to it: most apps are idle until the wave wakes them.
        const want = Math.round(pr.logUniform(50, 3000));
        const base = site.apiClients[0] as ApiClient;
        const total = site.apiClients.reduce((sum, c) => sum + c.rate, 0);
        while (site.apiClients.length < want) site.apiClients.push({ ...base, ip: publicIp(pr, 0.45), rate: base.rate * pr.logUniform(0.3, 3) });
        const now = site.apiClients.reduce((sum, c) => sum + c.rate, 0);
        for (const c of site.apiClients) c.rate *= total / now;
      },
      inject(site, log, ir, w) {
        const api = site.api;
        if (!api) throw new Error('token-refresh-wave needs an API');
        // Every token dies at once (signing key rolled over, sessions invalidated): each client's next call
        // gets one 401, refreshes at the token endpoint and retries with success within seconds.
        for (const c of site.apiClients) {
          c.tokenExpires = Math.min(c.tokenExpires, w.start);
          const t = w.start + ir.float(0, w.end - w.start);
          apiRequest(site, log, ir, c, t, 0);
        }
        return {
          variant: site.apiClients.length >= 500 ? 'large' : 'small', start: w.start, end: w.end + 2 * MIN,
          actor: actorOf({ ips: site.apiClients.map((c) => c.ip), paths: [api.prefix, api.tokenPath], clients: [...new Set(site.apiClients.map((c) => c.ua))] }),
          detail: `${site.apiClients.length} API clients' tokens expire at once and are refreshed within ${Math.round((w.end - w.start) / SEC)} s (${api.prefix}, ${api.tokenPath}); ${describeSite(site)}`,
        };
      },
    };
  },
};

const mistypingUsers: Scenario = {
  kind: 'mistyping-users',
  plan(r) {
    const onBasic = r.chance(0.25);
    return {
      needs: onBasic ? { basic: true, basicNotRoot: true } : { login: true }, preMin: r.logUniform(15, 90), durMin: r.logUniform(10, 45), postMin: r.logUniform(5, 30),
      inject(site, log, ir, w) {
        // Everyone must sign in again (sessions invalidated, a password policy): returning users, many mistyping once or twice, then succeeding.
        const n = Math.round(ir.logUniform(30, 1500));
        const failShare = ir.float(0.1, 0.4);
        const returning = log.hits.filter((h) => h.t < w.start && h.status < 400 && !h.direct && h.ua.startsWith('Mozilla'));
        const area = onBasic ? ir.pick(site.basic.filter((a) => a.prefix !== '/').length ? site.basic.filter((a) => a.prefix !== '/') : site.basic) : null;
        const path = area ? area.prefix : (site.login?.path ?? '/login');
        const ips = new Set<string>();
        let failures = 0;
        for (let i = 0; i < n; i++) {
          const seen = returning.length && ir.chance(0.8) ? ir.pick(returning) : null;
          const ip = seen ? seen.ip : publicIp(ir, site.v6Share);
          const ua = seen ? seen.ua : ir.pick(BROWSERS);
          const user = area ? ir.pick(area.users) : '';
          ips.add(ip);
          let t = w.start + ir.float(0, w.end - w.start);
          // A few forget the password entirely: 4-8 tries, then the reset page.
          const forgot = ir.chance(0.01);
          const fails = forgot ? ir.int(4, 8) : ir.failuresBeforeSuccess(failShare, 3);
          const referer = site.login?.form ? `https://${site.setup.host}${site.login.form}` : '';
          for (let k = 0; k < fails; k++) {
            serve(site, log, { t, ip, user, method: area ? 'GET' : 'POST', target: path, status: 401, referer, ua }, ir, area ? { what: 'password_mismatch', file: area.file } : null);
            failures++;
            t += ir.float(4000, 30000);
          }
          if (forgot) {
            serve(site, log, { t, ip, user: '', method: 'GET', target: '/password/reset', status: 200, referer, ua }, ir);
            continue;
          }
          serve(site, log, { t, ip, user, method: area ? 'GET' : 'POST', target: path, status: area ? 200 : (site.login?.successStatus ?? 302), referer, ua }, ir);
        }
        return {
          variant: area ? 'basic' : 'form', start: w.start, end: w.end,
          actor: actorOf({ ips: [...ips], paths: [path] }),
          detail: `${n} returning users sign in again on ${path} within ${Math.round((w.end - w.start) / MIN)} min, ${pct(failShare)} of tries mistyped (${failures} failures); ${describeSite(site)}`,
        };
      },
    };
  },
};

const clean: Scenario = {
  kind: 'clean',
  plan() {
    return { needs: {}, preMin: 0, durMin: 0, postMin: 0, inject: () => null };
  },
};

export const SCENARIOS: Record<CaseKind, Scenario> = {
  'brute-force-fast': bruteForce('fast'),
  'brute-force-slow': bruteForce('slow'),
  'subnet-brute-force': subnetBruteForce,
  'credential-stuffing': credentialStuffing,
  'sensitive-file-probe': sensitiveFileProbe,
  'wide-scanner': wideScanner,
  'error-log-brute-force': errorLogBruteForce,
  'broken-deploy': brokenDeploy,
  'stale-credential': staleCredential,
  'password-file': passwordFile(false),
  'password-file-error-only': passwordFile(true),
  'basic-auth-challenges': basicAuthChallenges,
  'token-refresh-wave': tokenRefreshWave,
  'mistyping-users': mistypingUsers,
  clean,
};

export function labelled(kind: InjectedKind, item: Omit<TruthItem, 'kind' | 'expected'>): TruthItem {
  return { kind, expected: expectedOf(kind), ...item };
}
