/**
 * One rule's key table: per group key, a ring of fine slots (one per bucket of the rule's window)
 * and a ring of coarse slots for the baseline look-back. Bounded: past `capacity` keys, idle ones
 * go first, then the ones with the fewest failures (their counts are kept as an error bound, and
 * the table reports itself approximate, as space-saving does).
 */
import type { LogEvent } from '../parse/event';
import { DistinctCounter } from './distinct';
import { clientOf, dimensionValue, type Dimension, type KeyFields } from './keys';
import type { AuthFailureEvent, AuthReason } from '../parse/errorlog';
import { ownCopy } from '../parse/text';
import { KNOWN, LET_IN } from './successes';

export const COARSE_SLOT_MS = 5 * 60_000;
const EMPTY_COARSE = new Float64Array(0);
const TOP_VALUES_PER_SLOT = 16;
/** A sample line is for a person reading an alert: past this it is cut, and kept as its own copy, not the line. */
const SAMPLE_MAX_CHARS = 1000;
const WINDOW_EXACT_LIMIT = 4096;

/** The last line cut, and its cut copy: one event reaches every rule's table in turn, and they share one copy. */
let lastCutFrom = '';
let lastCut = '';

function sampleText(raw: string): string {
  if (raw.length <= SAMPLE_MAX_CHARS) return raw;
  if (raw !== lastCutFrom) {
    lastCutFrom = raw;
    lastCut = ownCopy(raw.slice(0, SAMPLE_MAX_CHARS)) + '…';
  }
  return lastCut;
}

/** Failures quoted per bucket: enough to show what a window holds, bounded by the ring. */
const SAMPLES_PER_SLOT = 2;

function keepSample(slot: Slot, s: Sample): void {
  const kept = (slot.samples ??= []);
  if (kept.length < SAMPLES_PER_SLOT) kept.push({ time: s.time, file: s.file, line: s.line, raw: sampleText(s.raw) });
}

export interface Sample {
  /** Event time: an alert quotes only the samples inside the span it states. */
  time: number;
  file: string;
  line: number;
  raw: string;
}

type SlotTopDimension = 'ip' | 'path' | 'client' | 'user';
const SLOT_TOP_DIMENSIONS: SlotTopDimension[] = ['ip', 'path', 'client', 'user'];
type TopDimension = SlotTopDimension | 'host';
const TOP_DIMENSIONS: TopDimension[] = [...SLOT_TOP_DIMENSIONS, 'host'];

class Slot {
  bucket = -1;
  failures = 0;
  total = 0;
  answered = 0;
  success = 0;
  firstFail = Infinity;
  lastFail = -Infinity;
  ips: DistinctCounter | null = null;
  users: DistinctCounter | null = null;
  paths: DistinctCounter | null = null;
  clients: DistinctCounter | null = null;
  /** Failures from addresses that had succeeded within the look-back (a count: who fails, weighted by failures). */
  previouslyOkFailures = 0;
  /** Failures from addresses with any success on the site within the look-back (known to it). */
  knownFailures = 0;
  /** Failures by what the server answered (rules whose `status` takes more than 401): 2xx, 401/403, 404/410. */
  served = 0;
  denied = 0;
  missing = 0;
  top: Record<SlotTopDimension, TopValues> | null = null;
  /** Which servers of a fleet saw the failures (syslog input, vhost logs); none for a plain file. */
  hosts: TopValues | null = null;
  /** Error-log authentication failures of this key: counts by reason, and the files they name. */
  authFailures = 0;
  reasons: Map<AuthReason, number> | null = null;
  details: TopValues | null = null;

  /** The first failures of this bucket, as lines to quote: an alert takes its samples from the buckets it covers. */
  samples: Sample[] | null = null;

  reset(bucket: number): void {
    this.samples = null;
    this.authFailures = 0;
    this.reasons = null;
    this.details = null;
    this.bucket = bucket;
    this.failures = this.total = this.answered = this.success = 0;
    this.firstFail = Infinity;
    this.lastFail = -Infinity;
    this.previouslyOkFailures = this.knownFailures = this.served = this.denied = this.missing = 0;
    this.ips = this.users = this.paths = this.clients = null;
    this.top = null;
    this.hosts = null;
  }
}

/**
 * The most frequent values of a slot, by space-saving (Metwally et al.): at most TOP_VALUES_PER_SLOT
 * counters; a new value past them takes the smallest counter's place and count + 1. Any value
 * holding more than 1/TOP_VALUES_PER_SLOT of the slot is kept, with a count over by at most that
 * smallest count: the top contributor of a path is found even among many one-off addresses, and its
 * share is over-, never under-estimated. One value is held in fields until a second arrives.
 */
class TopValues {
  private firstKey: string | undefined = undefined;
  private firstCount = 0;
  private map: Map<string, number> | null = null;

  bump(key: string): void {
    if (this.map === null) {
      if (this.firstKey === undefined || this.firstKey === key) {
        this.firstKey = key;
        this.firstCount++;
        return;
      }
      this.map = new Map([[this.firstKey, this.firstCount]]);
    }
    const n = this.map.get(key);
    if (n !== undefined) this.map.set(key, n + 1);
    else if (this.map.size < TOP_VALUES_PER_SLOT) this.map.set(key, 1);
    else {
      let minKey = '';
      let min = Infinity;
      for (const [k, c] of this.map) {
        if (c < min) {
          min = c;
          minKey = k;
        }
      }
      this.map.delete(minKey);
      this.map.set(key, min + 1);
    }
  }

  addTo(into: Map<string, number>): void {
    if (this.map) for (const [k, n] of this.map) into.set(k, (into.get(k) ?? 0) + n);
    else if (this.firstKey !== undefined) into.set(this.firstKey, (into.get(this.firstKey) ?? 0) + this.firstCount);
  }
}

export interface WindowFigures {
  count: number;
  total: number;
  answered: number;
  success: number;
  distinctIps: number;
  distinctUsers: number;
  distinctPaths: number;
  distinctClients: number;
  /** Failures from addresses that had succeeded within the look-back. */
  previouslyOkFailures: number;
  knownFailures: number;
  served: number;
  denied: number;
  missing: number;
  /** Failures of the busiest address (space-saving: an upper bound), and its 401 share taken out of the key's. */
  topIpFailures: number;
  firstFail: number;
  lastFail: number;
  approximate: boolean;
  top: Record<TopDimension, Array<{ key: string; count: number }>>;
  baselineCount: number;
  baselineTotal: number;
  /**
   * How much history the baseline holds, in ms: the look-back, cut at the start of the stream
   * (`KeyTable.historyStart`). A log that starts mid-traffic has minutes of it, not the hour.
   */
  baselineSpanMs: number;
  hadSuccessBefore: boolean;
  authFailures: number;
  reasons: Partial<Record<AuthReason, number>>;
  /** Files or resources the error log named (the unreadable password file), most frequent first. */
  details: string[];
}

/** A key's slots stay a short list up to this many; past it, a ring indexed by bucket. */
const LIST_SLOTS = 8;

export class KeyState {
  /**
   * The key's slots. Under a flood most keys touch a bucket or two, and a ring as long as an hour's
   * window (369 entries of 10 s) would cost 3 KB a key before the first failure: so a key starts
   * with a short list searched by bucket, and turns it into the ring (`ring`) when it outgrows it.
   * Either way each slot carries its bucket, and readers check it.
   */
  slots: Array<Slot | undefined> = [];
  private ring = false;
  /** Coarse baseline ring: [slotIndex, failures, total] per entry; empty when the rule uses no baseline. */
  readonly coarse: Float64Array;
  lastBucket = -1;
  lastFailBucket = -Infinity;
  firstSuccess = Infinity;
  /** The newest success and how many there were since the key was made (the history a stale credential tells). */
  lastSuccess = -Infinity;
  successes = 0;
  firstFailure = Infinity;
  /**
   * The window failure count last computed and the bucket its window ends with. Any write to a
   * slot's failures, or a slot reused, clears it: while it holds, the next bucket's count is this
   * one slid by a slot, not a walk over the whole ring.
   */
  countedBucket = -Infinity;
  counted = 0;
  /** Lifecycle state of this key's alert, owned by the engine. */
  alert: unknown = null;

  constructor(
    readonly key: string,
    readonly group: Record<string, string>,
    private readonly ringSlots: number,
    coarseSlots: number,
  ) {
    this.coarse = coarseSlots === 0 ? EMPTY_COARSE : new Float64Array(coarseSlots * 3).fill(-1);
  }

  slotFor(bucket: number): Slot {
    let s: Slot | undefined;
    if (this.ring) {
      const i = bucket % this.ringSlots;
      s = this.slots[i];
      if (s === undefined) this.slots[i] = s = new Slot();
    } else {
      // The slot of this bucket, else one that a ring would have overwritten by now, else a new one.
      let stale: Slot | undefined;
      for (const x of this.slots as Slot[]) {
        if (x.bucket === bucket) {
          s = x;
          break;
        }
        if (stale === undefined && bucket - x.bucket >= this.ringSlots) stale = x;
      }
      if (s === undefined) {
        s = stale;
        if (s === undefined) {
          if (this.slots.length >= LIST_SLOTS && this.ringSlots > LIST_SLOTS) return this.toRing().slotFor(bucket);
          s = new Slot();
          this.slots.push(s);
        }
      }
    }
    if (s.bucket !== bucket) {
      // Reusing a slot that held failures changes a window count; one that held only requests does not.
      if (s.failures > 0 || s.authFailures > 0) this.countedBucket = -Infinity;
      s.reset(bucket);
    }
    return s;
  }

  /** The list as a ring: each slot at its bucket's index, the newest where two would share one. */
  private toRing(): this {
    const ring = new Array<Slot | undefined>(this.ringSlots);
    for (const x of this.slots as Slot[]) {
      const i = x.bucket % this.ringSlots;
      const there = ring[i];
      if (there === undefined || there.bucket < x.bucket) ring[i] = x;
    }
    this.slots = ring;
    this.ring = true;
    return this;
  }

  /** The slot of `bucket`, if the key still holds that bucket. */
  slotAt(bucket: number): Slot | undefined {
    if (this.ring) {
      const s = this.slots[bucket % this.ringSlots];
      return s !== undefined && s.bucket === bucket ? s : undefined;
    }
    for (const x of this.slots as Slot[]) if (x.bucket === bucket) return x;
    return undefined;
  }

  addCoarse(time: number, failures: number, total: number): void {
    if (this.coarse.length === 0) return;
    const idx = Math.floor(time / COARSE_SLOT_MS);
    const n = this.coarse.length / 3;
    const at = (idx % n) * 3;
    if (this.coarse[at] !== idx) {
      this.coarse[at] = idx;
      this.coarse[at + 1] = 0;
      this.coarse[at + 2] = 0;
    }
    this.coarse[at + 1] = (this.coarse[at + 1] as number) + failures;
    this.coarse[at + 2] = (this.coarse[at + 2] as number) + total;
  }
}

/**
 * What the doorkeeper keeps of a first failure: the fields its replay needs, not the event (whose
 * raw line would be promoted to the old generation and dropped there, a million times in a flood).
 */
interface FirstFailure {
  time: number;
  ip: string;
  path: string;
  userAgent: string;
  remoteUser: string;
  host: string;
  bucket: number;
  status: number;
  standing: number;
}

export interface TableOptions {
  bucketMs: number;
  windowMs: number;
  baselineMs: number;
  /** How far ahead of the closing bucket data can land (the allowed lateness): the ring must hold it too. */
  aheadMs: number;
  groupBy: Dimension[];
  pathPrefixSegments: number;
  capacity: number;
  /** Error-log auth failures create keys and count toward evaluation (rules with reason conditions). */
  countsAuthFailures: boolean;
  /** Keep the coarse look-back slots (only rules with baseline_* metrics need them). */
  trackBaseline: boolean;
  /** Count every request of every key; when false, keys are created by their first failure only. */
  tracksAllRequests: boolean;
  /**
   * Failures a key needs before it gets a full state (the rule's smallest firing count, at most 2).
   * With 2, a first failure is only remembered in a doorkeeper: a flood of one-shot addresses then
   * costs a map entry each instead of a key state, and cannot fire a rule that needs two anyway.
   */
  promoteAt: 1 | 2;
}

type IndexLevel = Map<string, IndexLevel | KeyState>;

export class KeyTable {
  readonly keys = new Map<string, KeyState>();
  /** Keys with failures in the window or a live alert: the only ones evaluated. */
  readonly live = new Set<KeyState>();
  readonly windowBuckets: number;
  private readonly ringSlots: number;
  private readonly coarseSlots: number;
  evictions = 0;
  private doorkeeper = new Map<string, FirstFailure>();
  private doorkeeperOld = new Map<string, FirstFailure>();
  private doorkeeperSince = -Infinity;
  /**
   * Event time from which traffic has been seen (the first event of the stream): before it there is
   * no history, not zero traffic. Set by the engine.
   */
  historyStart = Infinity;
  /** Whether the key fixes the address (or the path): its distinct count is 1 and its top list the key. */
  private readonly fixedIp: boolean;
  private readonly fixedPath: boolean;
  /** Largest window failure count of an evicted key: the error bound on any key's count. */
  evictedMaxCount = 0;
  /**
   * Multi-dimension tables find a key by walking one map per dimension: the joined key string would
   * be a fresh concatenation on every request, flattened and hashed whole (a user agent is 100+
   * chars), where each level hashes a field the event already holds. A request whose first value
   * has no key stops at the first level. Null for one dimension or none: `keys` is the index then.
   */
  private readonly index: IndexLevel | null;

  constructor(readonly opts: TableOptions) {
    this.windowBuckets = Math.max(1, Math.ceil(opts.windowMs / opts.bucketMs));
    // Buckets up to the lateness ahead of the one closing hold data already: without room for them
    // a new bucket would overwrite one still inside the window.
    this.ringSlots = this.windowBuckets + Math.ceil(opts.aheadMs / opts.bucketMs) + 2;
    this.coarseSlots = opts.trackBaseline ? Math.ceil((opts.baselineMs + opts.windowMs + opts.aheadMs) / COARSE_SLOT_MS) + 2 : 0;
    this.index = opts.groupBy.length > 1 ? new Map() : null;
    this.fixedIp = opts.groupBy.includes('ip');
    this.fixedPath = opts.groupBy.includes('path');
  }

  private putKey(st: KeyState): void {
    this.keys.set(st.key, st);
    if (this.index === null) return;
    const dims = this.opts.groupBy;
    let level = this.index;
    for (let i = 0; i < dims.length - 1; i++) {
      const v = st.group[dims[i] as Dimension] as string;
      let next = level.get(v);
      if (next === undefined || next instanceof KeyState) {
        next = new Map();
        level.set(v, next);
      }
      level = next;
    }
    level.set(st.group[dims[dims.length - 1] as Dimension] as string, st);
  }

  private dropKey(st: KeyState): void {
    this.keys.delete(st.key);
    if (this.index === null) return;
    const dims = this.opts.groupBy;
    const path: IndexLevel[] = [this.index];
    for (let i = 0; i < dims.length - 1; i++) {
      const next = (path[i] as IndexLevel).get(st.group[dims[i] as Dimension] as string);
      if (next === undefined || next instanceof KeyState) return;
      path.push(next);
    }
    // Remove the leaf, then every level it leaves empty.
    for (let i = dims.length - 1; i >= 0; i--) {
      const level = path[i] as IndexLevel;
      level.delete(st.group[dims[i] as Dimension] as string);
      if (level.size > 0) return;
    }
  }

  /** The key state an event belongs to, if the table holds one. */
  private find(e: KeyFields): KeyState | undefined {
    if (this.index === null) return this.keys.get(this.keyOf(e));
    const dims = this.opts.groupBy;
    let node: IndexLevel | KeyState | undefined = this.index;
    for (let i = 0; i < dims.length; i++) {
      if (!(node instanceof Map)) return undefined;
      node = node.get(dimensionValue(e, dims[i] as Dimension, this.opts.pathPrefixSegments));
      if (node === undefined) return undefined;
    }
    return node instanceof KeyState ? node : undefined;
  }

  private keyOf(e: KeyFields): string {
    const dims = this.opts.groupBy;
    if (dims.length === 1) return dimensionValue(e, dims[0] as Dimension, this.opts.pathPrefixSegments);
    let key = '';
    for (let i = 0; i < dims.length; i++) {
      if (i > 0) key += '\u0000';
      key += dimensionValue(e, dims[i] as Dimension, this.opts.pathPrefixSegments);
    }
    return key;
  }

  /** `key`, when the caller has already built it, saves the index walk. */
  private stateFor(e: KeyFields, key?: string): KeyState {
    let st = key === undefined ? this.find(e) : this.keys.get(key);
    if (!st) {
      const group: Record<string, string> = {};
      for (const d of this.opts.groupBy) group[d] = dimensionValue(e, d, this.opts.pathPrefixSegments);
      st = new KeyState(key ?? this.keyOf(e), group, this.ringSlots, this.coarseSlots);
      this.putKey(st);
    }
    return st;
  }

  /**
   * The key state a non-failure request counts in: created on demand when the table tracks every
   * request, otherwise only an existing key (one that has failed) is returned.
   */
  requestState(e: LogEvent): KeyState | undefined {
    if (!this.opts.tracksAllRequests) return this.keys.size === 0 ? undefined : this.find(e);
    return this.stateFor(e);
  }

  /** Any accepted request that is not a failure (success, answered 401, other statuses). */
  addRequest(st: KeyState, e: LogEvent, bucket: number, isSuccess: boolean, answered: boolean): void {
    const slot = st.slotFor(bucket);
    slot.total++;
    if (answered) slot.answered++;
    if (isSuccess) {
      slot.success++;
      if (e.time < st.firstSuccess) st.firstSuccess = e.time;
      if (e.time > st.lastSuccess) st.lastSuccess = e.time;
      st.successes++;
    }
    if (bucket > st.lastBucket) st.lastBucket = bucket;
    st.addCoarse(e.time, 0, 1);
  }

  /** `standing`: LET_IN | KNOWN bits (src/aggregate/successes.ts) of the failing address. */
  addFailure(e: LogEvent, bucket: number, standing: number): void {
    const key = this.keyOf(e);
    let st = this.keys.get(key);
    if (st === undefined && this.opts.promoteAt === 2) {
      const first = this.doorkeeper.get(key) ?? this.doorkeeperOld.get(key);
      if (first === undefined) {
        this.rememberFirst(key, { time: e.time, ip: e.ip, path: e.path, userAgent: e.userAgent, remoteUser: e.remoteUser, host: e.host, bucket, status: e.status, standing });
        return;
      }
      this.doorkeeper.delete(key);
      this.doorkeeperOld.delete(key);
      st = this.stateFor(e, key);
      // Replay the remembered failure, unless it is already out of the window.
      if (first.bucket > bucket - this.windowBuckets) this.recordFailure(st, { ...e, ...first, raw: '' }, first.bucket, first.standing);
    }
    this.recordFailure(st ?? this.stateFor(e, key), e, bucket, standing);
  }

  /**
   * An error-log auth failure: evidence for the key it belongs to (reasons, users, files named).
   * It never counts as an access failure; it creates the key only for rules that read reasons.
   */
  addAuthFailure(a: AuthFailureEvent, bucket: number): void {
    const fields: KeyFields = { ip: a.ip, path: a.path, userAgent: '', remoteUser: a.user, host: a.host };
    const key = this.keyOf(fields);
    const st = this.opts.countsAuthFailures ? this.stateFor(fields, key) : this.keys.get(key);
    if (st === undefined) return;
    const slot = st.slotFor(bucket);
    slot.authFailures++;
    st.countedBucket = -Infinity;
    const reasons = (slot.reasons ??= new Map());
    reasons.set(a.reason, (reasons.get(a.reason) ?? 0) + 1);
    if (a.user !== '') (slot.users ??= new DistinctCounter()).add(a.user);
    if (a.detail !== '') (slot.details ??= new TopValues()).bump(a.detail);
    st.lastBucket = Math.max(st.lastBucket, bucket);
    if (this.opts.countsAuthFailures) {
      // A failure of this rule's own: it starts and ends the alert's span like an access failure
      // (the password file's errors come with 403s and 500s, or with no access log at all).
      if (a.time < slot.firstFail) slot.firstFail = a.time;
      if (a.time > slot.lastFail) slot.lastFail = a.time;
      if (a.time < st.firstFailure) st.firstFailure = a.time;
      st.lastFailBucket = Math.max(st.lastFailBucket, bucket);
      keepSample(slot, { time: a.time, file: a.file, line: a.line, raw: a.raw });
      this.live.add(st);
    }
  }

  /** Two generations, each at most `capacity` keys and one window long: old first failures age out. */
  private rememberFirst(key: string, f: FirstFailure): void {
    if (f.bucket - this.doorkeeperSince >= this.windowBuckets || this.doorkeeper.size >= this.opts.capacity) {
      if (this.doorkeeper.size >= this.opts.capacity) this.evictions += this.doorkeeperOld.size;
      this.doorkeeperOld = this.doorkeeper;
      this.doorkeeper = new Map();
      this.doorkeeperSince = f.bucket;
    }
    this.doorkeeper.set(key, f);
  }

  private recordFailure(st: KeyState, e: LogEvent, bucket: number, standing: number): void {
    const slot = st.slotFor(bucket);
    slot.total++;
    slot.failures++;
    st.countedBucket = -Infinity;
    if (e.time < slot.firstFail) slot.firstFail = e.time;
    if (e.time > slot.lastFail) slot.lastFail = e.time;
    const client = clientOf(e) + '\u0000' + e.ip;
    // A dimension of the key has one value: no counter or top list to keep for it (see addDetail).
    if (!this.fixedIp) (slot.ips ??= new DistinctCounter()).add(e.ip);
    if (!this.fixedPath) (slot.paths ??= new DistinctCounter()).add(e.path);
    (slot.clients ??= new DistinctCounter()).add(client);
    if (e.remoteUser !== '') (slot.users ??= new DistinctCounter()).add(e.remoteUser);
    if ((standing & LET_IN) !== 0) slot.previouslyOkFailures++;
    if ((standing & KNOWN) !== 0) slot.knownFailures++;
    const status = e.status;
    if (status === 401 || status === 403) slot.denied++;
    else if (status === 404 || status === 410) slot.missing++;
    else if (status >= 200 && status < 300) slot.served++;
    const top = (slot.top ??= { ip: new TopValues(), path: new TopValues(), client: new TopValues(), user: new TopValues() });
    if (!this.fixedIp) top.ip.bump(e.ip);
    if (!this.fixedPath) top.path.bump(e.path || '(no path)');
    top.client.bump(clientOf(e));
    if (e.remoteUser !== '') top.user.bump(e.remoteUser);
    if (e.host !== '') (slot.hosts ??= new TopValues()).bump(e.host);
    if (e.time < st.firstFailure) st.firstFailure = e.time;
    if (bucket > st.lastBucket) st.lastBucket = bucket;
    // A late failure lands in an earlier bucket than one already counted: the newest must stay.
    if (bucket > st.lastFailBucket) st.lastFailBucket = bucket;
    st.addCoarse(e.time, 1, 1);
    if (e.raw !== '') keepSample(slot, e);
    this.live.add(st);
    if (this.keys.size > this.opts.capacity) this.evict(bucket);
  }

  /** The costly part of the figures: distinct counts and top lists, unions over every slot of the window. */
  private addDetail(f: WindowFigures, st: KeyState, bucket: number, topN: number): void {
    // Window unions are short-lived, so they stay exact longer than the per-slot counters.
    const ips = new DistinctCounter(WINDOW_EXACT_LIMIT);
    const users = new DistinctCounter(WINDOW_EXACT_LIMIT);
    const paths = new DistinctCounter(WINDOW_EXACT_LIMIT);
    const clients = new DistinctCounter(WINDOW_EXACT_LIMIT);
    const tops: Record<TopDimension, Map<string, number>> = { ip: new Map(), path: new Map(), client: new Map(), user: new Map(), host: new Map() };
    for (const s of st.slots) {
      if (!this.inWindow(s, bucket)) continue;
      if (s.ips) ips.merge(s.ips);
      if (s.users) users.merge(s.users);
      if (s.paths) paths.merge(s.paths);
      if (s.clients) clients.merge(s.clients);
      if (s.top) for (const d of SLOT_TOP_DIMENSIONS) s.top[d].addTo(tops[d]);
      if (s.hosts) s.hosts.addTo(tops.host);
    }
    f.distinctIps = this.fixedIp ? Math.min(1, f.count) : ips.count();
    f.distinctUsers = users.count();
    f.distinctPaths = this.fixedPath ? Math.min(1, f.count) : paths.count();
    f.distinctClients = clients.count();
    f.approximate ||= ips.approximate || users.approximate || paths.approximate || clients.approximate;
    for (const d of TOP_DIMENSIONS) {
      f.top[d] = [...tops[d]].map(([key, count]) => ({ key, count })).sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : 1)).slice(0, topN);
    }
    if (this.fixedIp && f.count > 0) f.top.ip = [{ key: st.group.ip as string, count: f.count }];
    if (this.fixedPath && f.count > 0) f.top.path = [{ key: st.group.path as string, count: f.count }];
    f.topIpFailures = Math.min(f.count, f.top.ip[0]?.count ?? 0);
  }

  /** Failures of a key in the window ending with `bucket` (with error-log auth failures, for rules that read them). */
  windowCount(st: KeyState, bucket: number): number {
    if (st.lastFailBucket <= bucket - this.windowBuckets) return 0;
    let n: number;
    if (st.countedBucket === bucket) n = st.counted;
    else if (st.countedBucket === bucket - 1) n = st.counted - this.countedIn(st.slotAt(bucket - this.windowBuckets)) + this.countedIn(st.slotAt(bucket));
    else {
      n = 0;
      for (const s of st.slots) if (this.inWindow(s, bucket)) n += this.countedIn(s);
    }
    st.countedBucket = bucket;
    st.counted = n;
    return n;
  }

  /** Whether a ring slot holds a bucket of the window ending with `bucket`. */
  private inWindow(s: Slot | undefined, bucket: number): s is Slot {
    return s !== undefined && s.bucket > bucket - this.windowBuckets && s.bucket <= bucket;
  }

  /** What one slot adds to `windowCount`. */
  private countedIn(s: Slot | undefined): number {
    return s === undefined ? 0 : s.failures + (this.opts.countsAuthFailures ? s.authFailures : 0);
  }

  /**
   * Sample lines of the buckets `from`..`to`, oldest first, at most `max`. Taken per bucket, not as
   * the key's newest failures: those are ahead of the bucket closing (the ring holds the lateness
   * ahead), outside the span an alert states when it fires.
   */
  samplesIn(st: KeyState, from: number, to: number, max: number): Sample[] {
    const out: Sample[] = [];
    for (let b = from; b <= to && out.length < max; b++) {
      const kept = st.slotAt(b)?.samples;
      if (kept) for (const s of kept) if (out.length < max) out.push(s);
    }
    return out;
  }

  slotFailures(st: KeyState, bucket: number): number {
    return this.countedIn(st.slotAt(bucket));
  }

  /** Window figures; without `detail`, distinct counts and top lists (the costly unions) are left empty. */
  figures(st: KeyState, bucket: number, detail: boolean, topN = 5): WindowFigures {
    const f: WindowFigures = {
      count: 0, total: 0, answered: 0, success: 0, distinctIps: 0, distinctUsers: 0, distinctPaths: 0, distinctClients: 0, previouslyOkFailures: 0, knownFailures: 0, served: 0, denied: 0, missing: 0, topIpFailures: 0,
      firstFail: Infinity, lastFail: -Infinity, approximate: this.evictions > 0, top: { ip: [], path: [], client: [], user: [], host: [] },
      baselineCount: 0, baselineTotal: 0, baselineSpanMs: 0, hadSuccessBefore: st.firstSuccess < st.firstFailure, authFailures: 0, reasons: {}, details: [],
    };
    const details = new Map<string, number>();
    for (const s of st.slots) {
      if (!this.inWindow(s, bucket)) continue;
      f.count += this.countedIn(s);
      f.total += s.total;
      f.answered += s.answered;
      f.success += s.success;
      f.previouslyOkFailures += s.previouslyOkFailures;
      f.knownFailures += s.knownFailures;
      f.served += s.served;
      f.denied += s.denied;
      f.missing += s.missing;
      if (s.firstFail < f.firstFail) f.firstFail = s.firstFail;
      if (s.lastFail > f.lastFail) f.lastFail = s.lastFail;
      f.authFailures += s.authFailures;
      if (s.reasons) for (const [r, n] of s.reasons) f.reasons[r] = (f.reasons[r] ?? 0) + n;
      if (s.details) s.details.addTo(details);
    }
    f.details = [...details].sort((a, b) => b[1] - a[1]).map(([k]) => k).slice(0, topN);
    if (detail) this.addDetail(f, st, bucket, topN);
    // Baseline: the coarse slots wholly before the window, within the look-back.
    const windowStart = (bucket - this.windowBuckets + 1) * this.opts.bucketMs;
    const lastIdx = Math.floor(windowStart / COARSE_SLOT_MS) - 1;
    const firstIdx = Math.floor((windowStart - this.opts.baselineMs) / COARSE_SLOT_MS);
    for (let at = 0; at < st.coarse.length; at += 3) {
      const idx = st.coarse[at] as number;
      if (idx >= firstIdx && idx <= lastIdx) {
        f.baselineCount += st.coarse[at + 1] as number;
        f.baselineTotal += st.coarse[at + 2] as number;
      }
    }
    f.baselineSpanMs = Math.max(0, (lastIdx + 1) * COARSE_SLOT_MS - Math.max(firstIdx * COARSE_SLOT_MS, this.historyStart));
    return f;
  }

  /** Drops keys idle past the window + baseline horizon. */
  expireIdle(bucket: number): void {
    const horizon = bucket - this.windowBuckets - Math.ceil(this.opts.baselineMs / this.opts.bucketMs) - 1;
    for (const st of this.keys.values()) if (st.lastBucket < horizon && st.alert === null) this.dropKey(st);
  }

  private evict(bucket: number): void {
    this.expireIdle(bucket);
    if (this.keys.size <= this.opts.capacity * 0.9) return;
    // Keep live alerts and the heaviest keys; drop the lightest half.
    const ranked = [...this.keys.values()].filter((st) => st.alert === null).map((st) => ({ st, n: this.windowCount(st, bucket) }));
    ranked.sort((a, b) => a.n - b.n || a.st.lastBucket - b.st.lastBucket);
    const drop = Math.max(0, this.keys.size - Math.floor(this.opts.capacity / 2));
    for (let i = 0; i < drop && i < ranked.length; i++) {
      const { st, n } = ranked[i] as { st: KeyState; n: number };
      this.dropKey(st);
      this.live.delete(st);
      this.evictions++;
      if (n > this.evictedMaxCount) this.evictedMaxCount = n;
    }
  }
}
