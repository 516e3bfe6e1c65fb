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
      if (x.ip === e.ip && x.path === e.path && x.userAgent === e.userAgent && x.time <= e.time && e.time - x.time <= SETTLE_MS) h.answered = true;
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
      ev(0, { line: 1, ip: '10.0.0.1' }),
      ev(0, { line: 2, ip: '10.0.0.2' }),
      // Starts a new generation: the two 401s above now sit in the previous one, still held.
      ev(5, { line: 3, ip: '10.0.0.3' }),
      ev(5, { line: 4, ip: '10.0.0.1', status: 200 }),
      ev(5.001, { line: 5, ip: '10.0.0.2', status: 200 }), // 5.001 s after its 401: too late
      ev(6, { line: 6, ip: '10.0.0.3', status: 200, path: '/other' }), // another path answers nothing
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
        events.push(ev(at / 1000, { line: i, ip, path, userAgent, status: random() < 0.5 ? 401 : 200 }));
      }
      const expected = drive(new ReferenceSettler(), events);
      expect(expected.filter((r) => r.endsWith('answered')).length).toBeGreaterThan(50);
      expect(drive(new ChallengeSettler(SETTLE_MS), events)).toEqual(expected);
    }
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
