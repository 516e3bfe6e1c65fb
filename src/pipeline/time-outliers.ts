/**
 * Event time comes from the log, so one line can claim any date: a line dated 9999 would move the
 * rules' watermark to 9999 (every later event late, nothing analysed) and stretch a report's range
 * and timeline over eight thousand years. A batch has no wall clock to trust (old logs are read on
 * purpose), so the data bounds itself: an event is judged against the events before it and the
 * events after it (a lookahead of a few dozen), and set aside, counted, when it disagrees with both.
 *
 * - **Ahead** of the events before it by more than the engine's allowed lateness (the gap that makes
 *   later events late): kept when most of the events after it are not late against it (the traffic
 *   did move on: a quiet log's next request, the next file), set aside when most are.
 * - **Behind** them by more than a day (a line late by less is the engine's business: it counts it
 *   as late): kept when most events after it stay back there with it (an older file read after a
 *   newer one), set aside when the traffic returns.
 * - **The first event** has nothing before it: it is set aside when it would make most of the events
 *   after it late, or when it lies further before all of them than they spread over (a first line
 *   dated 0000; a quiet log's first request, a few hours before the next ones, is kept).
 * - **The last event** has nothing after it: set aside when it is further ahead of the events before
 *   it than a day and than they spread over.
 *
 * Events near the newest one passed on, nearly all of them, pass at once.
 */

export interface TimeOutlierOptions {
  /** Events looked at after the one being judged. */
  lookahead: number;
  /** A jump ahead larger than this is questioned (the engine's allowed lateness). */
  aheadMs: number;
  /** A jump back larger than this is questioned. */
  behindMs: number;
}

export const DAY_MS = 86_400_000;

export class TimeOutlierFilter<T extends { time: number }> {
  /** Events read but not judged yet, oldest first: a ring of `lookahead + 1` slots. */
  private readonly ring: Array<T | undefined>;
  private head = 0;
  private size = 0;
  /** The newest time passed on (NaN before the first judgement). */
  private ref = NaN;
  /** Times of the last events passed on, for their spread. */
  private readonly recent: Float64Array;
  private recentCount = 0;
  /** Events set aside so far. */
  setAside = 0;

  constructor(
    private readonly opts: TimeOutlierOptions,
    private readonly pass: (e: T) => void,
    private readonly outlier: (e: T) => void,
  ) {
    this.ring = new Array<T | undefined>(opts.lookahead + 1);
    this.recent = new Float64Array(opts.lookahead);
  }

  push(e: T): void {
    const cap = this.ring.length;
    this.ring[(this.head + this.size) % cap] = e;
    this.size++;
    if (this.size === cap) this.judgeOldest();
  }

  /** End of input: judges what is left. */
  end(): void {
    while (this.size > 0) this.judgeOldest();
  }

  private at(i: number): T {
    return this.ring[(this.head + i) % this.ring.length] as T;
  }

  private judgeOldest(): void {
    const e = this.at(0);
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) % this.ring.length;
    this.size--;
    const t = e.time;
    const { aheadMs, behindMs } = this.opts;
    let keep: boolean;
    if (Number.isNaN(this.ref)) keep = this.size === 0 || (!this.mostAfter((f) => f < t - aheadMs) && !this.farBeforeAll(t, behindMs));
    else if (t > this.ref + aheadMs) keep = this.size > 0 ? this.mostAfter((f) => f >= t - aheadMs) : t - this.ref <= Math.max(DAY_MS, this.recentSpread());
    else if (t < this.ref - behindMs) keep = this.size > 0 && this.mostAfter((f) => f <= t + behindMs);
    else keep = true;
    if (!keep) {
      this.setAside++;
      this.outlier(e);
      return;
    }
    // Backwards, the reference follows the traffic back (an older file): what comes after is judged against it.
    this.ref = t < this.ref - behindMs ? t : Number.isNaN(this.ref) ? t : Math.max(this.ref, t);
    this.recent[this.recentCount++ % this.recent.length] = t;
    this.pass(e);
  }

  /** At least half of the events after the one judged satisfy `ok`. */
  private mostAfter(ok: (time: number) => boolean): boolean {
    let yes = 0;
    for (let i = 0; i < this.size; i++) if (ok(this.at(i).time)) yes++;
    return yes * 2 >= this.size;
  }

  /** `t` lies before every event after it by more than `minGap` and than those events spread over. */
  private farBeforeAll(t: number, minGap: number): boolean {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < this.size; i++) {
      const f = this.at(i).time;
      if (f < lo) lo = f;
      if (f > hi) hi = f;
    }
    return lo - t > Math.max(minGap, hi - lo);
  }

  /** The span of the last events passed on. */
  private recentSpread(): number {
    const n = Math.min(this.recentCount, this.recent.length);
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < n; i++) {
      const f = this.recent[i] as number;
      if (f < lo) lo = f;
      if (f > hi) hi = f;
    }
    return n === 0 ? 0 : hi - lo;
  }
}
