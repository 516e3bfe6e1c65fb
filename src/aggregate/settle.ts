/**
 * A 401 on its own is not a failure. A browser's first request to a Basic-auth area is answered
 * with a challenge and repeated with credentials; an app whose token expired refreshes it and
 * retries. So each 401 is held until its bucket closes, and if the same client (IP + user agent)
 * gets a 2xx/3xx on the same path within `settleMs`, the 401 was *answered*, not failed.
 * Buckets close only once the watermark (60 s behind the newest event by default) has passed
 * them, so every success that could answer a 401 has been seen by then.
 */
import type { LogEvent } from '../parse/event';

interface Held {
  event: LogEvent;
  key: string;
  answered: boolean;
}

export class ChallengeSettler {
  /** One held 401 per client and path is the common case: an array only when there are more. */
  private readonly byClientPath = new Map<string, Held | Held[]>();
  /** Held 401s per IP: a success from an IP with nothing held needs no further look-up. */
  private readonly heldPerIp = new Map<string, number>();
  private queue: Held[] = [];
  private head = 0;
  /** 401s released unsettled because the holding area was full. */
  forcedReleases = 0;

  constructor(
    readonly settleMs: number,
    private readonly maxHeld = 200_000,
  ) {}

  private static keyOf(e: LogEvent): string {
    return e.ip + '\u0000' + e.userAgent + '\u0000' + e.path;
  }

  get held(): number {
    return this.queue.length - this.head;
  }

  hold(e: LogEvent, release: (e: LogEvent, answered: boolean) => void): void {
    const key = ChallengeSettler.keyOf(e);
    const h: Held = { event: e, key, answered: false };
    const found = this.byClientPath.get(key);
    if (found === undefined) this.byClientPath.set(key, h);
    else if (Array.isArray(found)) found.push(h);
    else this.byClientPath.set(key, [found, h]);
    this.queue.push(h);
    this.heldPerIp.set(e.ip, (this.heldPerIp.get(e.ip) ?? 0) + 1);
    if (this.held > this.maxHeld) {
      this.forcedReleases++;
      this.releaseOne(release);
    }
  }

  /** A success: answers every held 401 of the same client and path from the last `settleMs`. */
  success(e: LogEvent): void {
    if (!this.heldPerIp.has(e.ip)) return;
    const found = this.byClientPath.get(ChallengeSettler.keyOf(e));
    if (found === undefined) return;
    for (const h of Array.isArray(found) ? found : [found]) if (!h.answered && h.event.time <= e.time && e.time - h.event.time <= this.settleMs) h.answered = true;
  }

  private releaseOne(release: (e: LogEvent, answered: boolean) => void): void {
    const h = this.queue[this.head++] as Held;
    const n = this.heldPerIp.get(h.event.ip) ?? 1;
    if (n <= 1) this.heldPerIp.delete(h.event.ip);
    else this.heldPerIp.set(h.event.ip, n - 1);
    const found = this.byClientPath.get(h.key);
    if (found === h) this.byClientPath.delete(h.key);
    else if (Array.isArray(found)) {
      const i = found.indexOf(h);
      if (i !== -1) found.splice(i, 1);
      if (found.length === 0) this.byClientPath.delete(h.key);
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
