import { ChallengeSettler } from '../../src/aggregate/settle';
import type { LogEvent } from '../../src/parse/event';
import { rng } from '../../src/synth/traffic';
import { ev } from '../support/events';

const SETTLE_MS = 5_000;

/** What the engine does with each event, recording every release in order. */
function drive(settler: { hold(e: LogEvent, r: (e: LogEvent, a: boolean) => void): void; success(e: LogEvent): void; releaseBefore(t: number, r: (e: LogEvent, a: boolean) => void): void; releaseAll(r: (e: LogEvent, a: boolean) => void): void }, events: LogEvent[]): string[] {
  const released: string[] = [];
  const release = (e: LogEvent, answered: boolean) => released.push(`${e.line}:${answered ? 'answered' : 'failed'}`);
  let newest = -Infinity;
  for (const e of events) {
    newest = Math.max(newest, e.time);
    if (e.status === 401) settler.hold(e, release);
    else if (e.status < 400) settler.success(e);
    settler.releaseBefore(newest - SETTLE_MS, release);
  }
  settler.releaseAll(release);
  return released;
}

/** The plain definition: every held 401 in one list, each success compared with all of them. */
class ReferenceSettler {
  private held: Array<{ event: LogEvent; answered: boolean }> = [];
  hold(e: LogEvent): void {
    this.held.push({ event: e, answered: false });
  }
  success(e: LogEvent): void {
    for (const h of this.held) {
      const x = h.event;
      if (x.ip === e.ip && x.path === e.path && x.userAgent === e.userAgent && x.method === e.method && x.time <= e.time && e.time - x.time <= SETTLE_MS) h.answered = true;
    }
  }
  releaseBefore(t: number, release: (e: LogEvent, a: boolean) => void): void {
    while (this.held.length > 0 && (this.held[0] as { event: LogEvent }).event.time < t) {
      const h = this.held.shift() as { event: LogEvent; answered: boolean };
      release(h.event, h.answered);
    }
  }
  releaseAll(release: (e: LogEvent, a: boolean) => void): void {
    this.releaseBefore(Infinity, release);
  }
}

describe('ChallengeSettler', () => {
  test('a success answers a 401 held in the generation before, and only within settleMs', () => {
    const events = [
      ev(0, { line: 1, ip: '10.0.0.1', method: 'GET' }),
      ev(0, { line: 2, ip: '10.0.0.2', method: 'GET' }),
      // Starts a new generation: the two 401s above now sit in the previous one, still held.
      ev(5, { line: 3, ip: '10.0.0.3', method: 'GET' }),
      ev(5, { line: 4, ip: '10.0.0.1', status: 200, method: 'GET' }),
      ev(5.001, { line: 5, ip: '10.0.0.2', status: 200, method: 'GET' }), // 5.001 s after its 401: too late
      ev(6, { line: 6, ip: '10.0.0.3', status: 200, method: 'GET', path: '/other' }), // another path answers nothing
      ev(20, { line: 7, ip: '10.0.0.9' }),
    ];
    expect(drive(new ChallengeSettler(SETTLE_MS), events)).toEqual(['1:answered', '2:failed', '3:failed', '7:failed']);
  });

  test('releases the same 401s in the same order, answered the same way, as the plain definition (random out-of-order streams)', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const random = rng(seed);
      const events: LogEvent[] = [];
      let t = 0;
      for (let i = 1; i <= 3_000; i++) {
        t += random() * 400;
        // Up to 3 s late, as a log merged from several workers is.
        const at = Math.max(0, t - random() * 3_000);
        const ip = `10.0.0.${Math.floor(random() * 40)}`;
        const path = random() < 0.7 ? '/login' : '/admin';
        const userAgent = random() < 0.8 ? 'browser/1' : 'curl/8';
        // GET successes: a successful POST is a refresh, which the next test covers.
        events.push(ev(at / 1000, { line: i, ip, path, userAgent, method: 'GET', status: random() < 0.5 ? 401 : 200 }));
      }
      const expected = drive(new ReferenceSettler(), events);
      expect(expected.filter((r) => r.endsWith('answered')).length).toBeGreaterThan(50);
      expect(drive(new ChallengeSettler(SETTLE_MS), events)).toEqual(expected);
    }
  });

  test('a form shown again after a failed POST answers nothing: only the same request succeeding does', () => {
    const events = [ev(0, { line: 1, path: '/login' }), ev(0.4, { line: 2, path: '/login', method: 'GET', status: 200 }), ev(10, { line: 3, path: '/login' }), ev(11, { line: 4, path: '/login', status: 302 })];
    expect(drive(new ChallengeSettler(SETTLE_MS), events)).toEqual(['1:failed', '3:answered']);
  });

  test('a 401 followed by a successful POST (a token refresh) waits refreshMs for its retry; a failed POST does not extend it', () => {
    const events = [
      // An app: its call fails, it refreshes the token at once, and retries 40 s later.
      ev(0, { line: 1, ip: '10.0.0.1', method: 'GET', path: '/api/orders', userAgent: 'app/2' }),
      ev(0.3, { line: 2, ip: '10.0.0.1', method: 'POST', path: '/oauth/token', status: 200, userAgent: 'app/2' }),
      // A guesser: its POSTs fail, and the form it reloads is a GET.
      ev(1, { line: 3, ip: '10.0.0.2', path: '/login' }),
      ev(1.5, { line: 4, ip: '10.0.0.2', method: 'GET', path: '/login', status: 200 }),
      ev(40, { line: 5, ip: '10.0.0.1', method: 'GET', path: '/api/orders', status: 200, userAgent: 'app/2' }),
      // Refreshed, but no retry within refreshMs: a failure after all.
      ev(50, { line: 6, ip: '10.0.0.3', method: 'GET', path: '/api/orders', userAgent: 'app/2' }),
      ev(50.2, { line: 7, ip: '10.0.0.3', method: 'POST', path: '/oauth/token', status: 200, userAgent: 'app/2' }),
      ev(300, { line: 8, ip: '10.0.0.9', method: 'GET', path: '/', status: 200 }),
    ];
    const out = drive(new ChallengeSettler(SETTLE_MS), events);
    expect(out).toEqual(['1:answered', '3:failed', '6:failed']);
  });

  test('held lines are bounded in characters as well as in count: past the budget the oldest 401 is released unsettled', () => {
    const settler = new ChallengeSettler(SETTLE_MS, 200_000, 10_000);
    const released: number[] = [];
    let mostHeld = 0;
    for (let i = 1; i <= 100; i++) {
      settler.hold(ev(i / 1000, { line: i, ip: `10.0.0.${i}`, raw: 'x'.repeat(1_000) }), (e) => released.push(e.line));
      mostHeld = Math.max(mostHeld, settler.held);
    }
    expect(mostHeld).toBe(10);
    expect(settler.forcedReleases).toBe(90);
    settler.releaseAll((e) => released.push(e.line));
    expect(released).toEqual(Array.from({ length: 100 }, (_, k) => k + 1));
  });
});
