/**
 * A 401 on its own is not a failure. A browser's first request to a Basic-auth area is answered
 * with a challenge and repeated with credentials; an app whose token expired refreshes it and
 * retries. So each 401 is held until the stream is `settleMs` past it, and if the same client
 * (IP + user agent) got a 2xx/3xx on the same path in that time, the 401 was *answered*, not
 * failed. Its bucket is still open then: buckets close only once the watermark (60 s behind the
 * newest event by default) has passed them.
 */
import type { LogEvent } from '../parse/event';

interface Held {
  event: LogEvent;
  answered: boolean;
}

export class ChallengeSettler {
  /**
   * Held 401s by client address (a short key, cheap to hash); one per address is the common
   * case, an array only when there are more. User agent and path are compared on the few found.
   */
  private readonly byIp = new Map<string, Held | Held[]>();
  private queue: Held[] = [];
  private head = 0;
  /** 401s released unsettled because the holding area was full. */
  forcedReleases = 0;

  constructor(
    readonly settleMs: number,
    private readonly maxHeld = 200_000,
  ) {}

  get held(): number {
    return this.queue.length - this.head;
  }

  hold(e: LogEvent, release: (e: LogEvent, answered: boolean) => void): void {
    const h: Held = { event: e, answered: false };
    const found = this.byIp.get(e.ip);
    if (found === undefined) this.byIp.set(e.ip, h);
    else if (Array.isArray(found)) found.push(h);
    else this.byIp.set(e.ip, [found, h]);
    this.queue.push(h);
    if (this.held > this.maxHeld) {
      this.forcedReleases++;
      this.releaseOne(release);
    }
  }

  /** A success: answers every held 401 of the same client and path from the last `settleMs`. */
  success(e: LogEvent): void {
    const found = this.byIp.get(e.ip);
    if (found === undefined) return;
    for (const h of Array.isArray(found) ? found : [found]) {
      const held = h.event;
      if (!h.answered && held.path === e.path && held.userAgent === e.userAgent && held.time <= e.time && e.time - held.time <= this.settleMs) h.answered = true;
    }
  }

  private releaseOne(release: (e: LogEvent, answered: boolean) => void): void {
    const h = this.queue[this.head++] as Held;
    const ip = h.event.ip;
    const found = this.byIp.get(ip);
    if (found === h) this.byIp.delete(ip);
    else if (Array.isArray(found)) {
      const i = found.indexOf(h);
      if (i !== -1) found.splice(i, 1);
      if (found.length === 0) this.byIp.delete(ip);
    }
    release(h.event, h.answered);
    if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  /** Releases every held 401 older than `before` (event time), oldest first. */
  releaseBefore(before: number, release: (e: LogEvent, answered: boolean) => void): void {
    while (this.head < this.queue.length && (this.queue[this.head] as Held).event.time < before) this.releaseOne(release);
  }

  releaseAll(release: (e: LogEvent, answered: boolean) => void): void {
    while (this.head < this.queue.length) this.releaseOne(release);
  }
}
