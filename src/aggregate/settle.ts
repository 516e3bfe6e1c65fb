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

type HeldIndex = Map<string, Held | Held[]>;

export class ChallengeSettler {
  /**
   * Held 401s by client address (a short key, cheap to hash); one per address is the common case,
   * an array only when there are more. User agent and path are compared on the few found.
   *
   * Two generations, each spanning `settleMs` of 401 time: an entry is never deleted on its own,
   * its generation is dropped whole once everything in it is released. Deleting one entry per 401
   * made V8 promote most of each flood line to the old generation (the map's churn kept them past
   * a scavenge): with a million one-shot addresses, the settler alone peaked at 119 MB RSS, 94 MB now.
   */
  private current: HeldIndex = new Map();
  private previous: HeldIndex = new Map();
  /** Newest 401 time when `current` began; every entry of `previous` is older. */
  private currentSince = -Infinity;
  private newestHeld = -Infinity;
  /** Released entries are cleared at once, so a released event is not kept alive until the queue is compacted. */
  private queue: Array<Held | undefined> = [];
  private head = 0;
  /** 401s released unsettled because the holding area was full. */
  forcedReleases = 0;
  /** Characters of the held events' lines: each held 401 keeps its whole line alive. */
  private heldChars = 0;

  /**
   * `maxHeld` bounds the count and `maxHeldChars` the lines they keep: 200,000 held 401s of 64 KB
   * lines would be 13 GB, and a flood of long lines is exactly when nothing else bounds it.
   */
  constructor(
    readonly settleMs: number,
    private readonly maxHeld = 200_000,
    private readonly maxHeldChars = 64 * 1024 * 1024,
  ) {}

  get held(): number {
    return this.queue.length - this.head;
  }

  hold(e: LogEvent, release: (e: LogEvent, answered: boolean) => void): void {
    if (e.time > this.newestHeld) {
      this.newestHeld = e.time;
      if (this.newestHeld - this.currentSince >= this.settleMs) this.rotate(release);
    }
    const h: Held = { event: e, answered: false };
    const found = this.current.get(e.ip);
    if (found === undefined) this.current.set(e.ip, h);
    else if (Array.isArray(found)) found.push(h);
    else this.current.set(e.ip, [found, h]);
    this.queue.push(h);
    this.heldChars += e.raw.length;
    while (this.held > this.maxHeld || (this.heldChars > this.maxHeldChars && this.held > 1)) {
      this.forcedReleases++;
      this.releaseOne(release);
    }
  }

  /**
   * `previous` is dropped: its entries were all held before `current` began, so they lead the
   * queue and are all older than `currentSince`, which is `settleMs` or more behind the newest
   * 401: settled. Releasing them first keeps every held 401 findable by `success`.
   */
  private rotate(release: (e: LogEvent, answered: boolean) => void): void {
    this.releaseBefore(this.currentSince, release);
    this.previous = this.current;
    this.current = new Map();
    this.currentSince = this.newestHeld;
  }

  /** A success: answers every held 401 of the same client and path from the last `settleMs`. */
  success(e: LogEvent): void {
    this.answer(this.current.get(e.ip), e);
    this.answer(this.previous.get(e.ip), e);
  }

  private answer(found: Held | Held[] | undefined, e: LogEvent): void {
    if (found === undefined) return;
    if (!Array.isArray(found)) {
      if (this.answers(found, e)) found.answered = true;
      return;
    }
    for (const h of found) if (this.answers(h, e)) h.answered = true;
  }

  // A released entry can still be marked: nobody reads it any more.
  private answers(h: Held, e: LogEvent): boolean {
    const held = h.event;
    return !h.answered && held.path === e.path && held.userAgent === e.userAgent && held.time <= e.time && e.time - held.time <= this.settleMs;
  }

  private releaseOne(release: (e: LogEvent, answered: boolean) => void): void {
    const h = this.queue[this.head] as Held;
    this.queue[this.head++] = undefined;
    this.heldChars -= h.event.raw.length;
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
