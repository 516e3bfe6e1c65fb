/**
 * A 401 on its own is not a failure. A browser's first request to a Basic-auth area is answered
 * with a challenge and repeated with credentials; an app whose token expired refreshes it and
 * retries. So each 401 is held until the stream is `settleMs` past it, and if the same client
 * (IP + user agent) got a 2xx/3xx on the same path in that time, the 401 was *answered*, not
 * failed. Its bucket is still open then: buckets close only once the watermark (60 s behind the
 * newest event by default) has passed them.
 *
 * A token that expired is refreshed first: the 401, a POST to the token endpoint that succeeds, then
 * the retry, which may come much later (a mobile app retries at the next user action, a key rollover
 * sends thousands of clients to the token endpoint at once). A 401 whose client had a successful POST
 * within `settleMs` after it is held for `refreshMs` instead, and answered by a success on its path in
 * that time. A guesser's failed POST is not a successful one: its 401s are never held longer.
 */
import type { LogEvent } from '../parse/event';

interface Held {
  event: LogEvent;
  answered: boolean;
  /** The client refreshed its credentials (a POST that succeeded) right after this 401: wait longer for its retry. */
  refreshed: boolean;
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
  /** Refreshed 401s waiting for their retry, oldest first, and by address. */
  private extended: Array<Held | undefined> = [];
  private extendedHead = 0;
  private readonly extendedByIp = new Map<string, Held[]>();

  constructor(
    readonly settleMs: number,
    private readonly maxHeld = 200_000,
    private readonly maxHeldChars = 64 * 1024 * 1024,
    readonly refreshMs = 120_000,
  ) {}

  get held(): number {
    return this.queue.length - this.head + this.extended.length - this.extendedHead;
  }

  hold(e: LogEvent, release: (e: LogEvent, answered: boolean) => void): void {
    if (e.time > this.newestHeld) {
      this.newestHeld = e.time;
      if (this.newestHeld - this.currentSince >= this.settleMs) this.rotate(release);
    }
    const h: Held = { event: e, answered: false, refreshed: false };
    const found = this.current.get(e.ip);
    if (found === undefined) this.current.set(e.ip, h);
    else if (Array.isArray(found)) found.push(h);
    else this.current.set(e.ip, [found, h]);
    this.queue.push(h);
    this.heldChars += e.raw.length;
    while (this.held > this.maxHeld || (this.heldChars > this.maxHeldChars && this.held > 1)) {
      this.forcedReleases++;
      if (this.head < this.queue.length) this.releaseOne(release);
      else this.releaseExtended((this.extended[this.extendedHead] as Held).event.time + 1, release);
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
    const waiting = this.extendedByIp.get(e.ip);
    if (waiting) for (const h of waiting) if (this.answers(h, e)) h.answered = true;
  }

  private answer(found: Held | Held[] | undefined, e: LogEvent): void {
    if (found === undefined) return;
    if (!Array.isArray(found)) {
      this.mark(found, e);
      return;
    }
    for (const h of found) this.mark(h, e);
  }

  private mark(h: Held, e: LogEvent): void {
    if (this.answers(h, e)) h.answered = true;
    else if (e.method === 'POST' && !h.answered && h.event.userAgent === e.userAgent && h.event.time <= e.time && e.time - h.event.time <= this.settleMs) h.refreshed = true;
  }

  // A released entry can still be marked: nobody reads it any more. The same method: a form shown
  // again (GET) after a failed POST answers nothing; a challenge or a retry repeats the request.
  private answers(h: Held, e: LogEvent): boolean {
    const held = h.event;
    return (
      !h.answered && held.path === e.path && held.userAgent === e.userAgent && held.method === e.method && held.time <= e.time &&
      e.time - held.time <= (h.refreshed ? this.refreshMs : this.settleMs)
    );
  }

  private releaseOne(release: (e: LogEvent, answered: boolean) => void, mayExtend = false): void {
    const h = this.queue[this.head] as Held;
    this.queue[this.head++] = undefined;
    if (mayExtend && h.refreshed && !h.answered) {
      this.extended.push(h);
      const list = this.extendedByIp.get(h.event.ip);
      if (list) list.push(h);
      else this.extendedByIp.set(h.event.ip, [h]);
      return;
    }
    this.heldChars -= h.event.raw.length;
    release(h.event, h.answered);
    if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  /** Releases every held 401 older than `before` (event time), oldest first; a refreshed one waits `refreshMs` from its own time. */
  releaseBefore(before: number, release: (e: LogEvent, answered: boolean) => void): void {
    while (this.head < this.queue.length && (this.queue[this.head] as Held).event.time < before) this.releaseOne(release, true);
    this.releaseExtended(before - this.refreshMs + this.settleMs, release);
  }

  private releaseExtended(before: number, release: (e: LogEvent, answered: boolean) => void): void {
    while (this.extendedHead < this.extended.length) {
      const h = this.extended[this.extendedHead] as Held;
      if (h.event.time >= before) break;
      this.extended[this.extendedHead++] = undefined;
      const list = this.extendedByIp.get(h.event.ip) as Held[];
      list.splice(list.indexOf(h), 1);
      if (list.length === 0) this.extendedByIp.delete(h.event.ip);
      this.heldChars -= h.event.raw.length;
      release(h.event, h.answered);
    }
    if (this.extendedHead > 4096 && this.extendedHead * 2 > this.extended.length) {
      this.extended = this.extended.slice(this.extendedHead);
      this.extendedHead = 0;
    }
  }

  releaseAll(release: (e: LogEvent, answered: boolean) => void): void {
    while (this.head < this.queue.length) this.releaseOne(release);
    this.releaseExtended(Infinity, release);
  }
}
