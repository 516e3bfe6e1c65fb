/**
 * One failed login can be written twice: a 401 in the access log and `password mismatch` in the
 * error log. Either log alone must be enough (fail2ban reads only the error log), and both together
 * must count each attempt once. So an error-log credential failure is held until the access 401s
 * around it are settled: one from the same address within JOIN_SLACK_MS (and on the same path, when
 * both name one) is the same attempt, and the error line is only its evidence; one left unmatched
 * is an attempt the access log did not show, and becomes a failure of its own.
 *
 * Access 401s are also remembered for the allowed lateness once error logs are in play, so an error
 * line read after its access line was settled (a daemon reads the two files in turn) still finds it.
 * State is plain data: arrays and maps of records.
 */
import type { LogEvent } from '../parse/event';
import type { AuthFailureEvent, AuthReason } from '../parse/errorlog';

/**
 * Reasons that mean "these credentials are wrong", the error-log side of an unanswered 401. Not:
 * `wrong_scheme` (nginx's "no user/password was provided": the challenge itself), digest nonces (a
 * restarted server), access rules, rate limits, TLS (no credential was judged).
 */
export const CREDENTIAL_REASONS: ReadonlySet<AuthReason> = new Set<AuthReason>(['user_not_found', 'password_mismatch', 'pam_failure']);

/** The two logs' clocks: the error line is written when the check fails, the access line when the response ends. */
export const JOIN_SLACK_MS = 2_000;

interface Seen {
  time: number;
  path: string;
  matched: boolean;
}

type SeenIndex = Map<string, Seen[]>;

function samePath(a: string, b: string): boolean {
  return a === '' || b === '' || a === b;
}

export class AttemptJoin {
  /** Error-log credential failures waiting for their access 401, oldest first. */
  private pending: Array<{ failure: AuthFailureEvent; matched: boolean }> = [];
  private head = 0;
  /** Settled access 401s by address, two generations each `rememberMs` long; empty until an error log is seen. */
  private recent: SeenIndex = new Map();
  private older: SeenIndex = new Map();
  private recentSince = -Infinity;
  private active = false;
  /** Error-log failures that matched an access 401 (evidence only) and that stood alone (counted as failures). */
  joined = 0;
  alone = 0;

  constructor(
    /** How long an error failure waits: the settling delay of access 401s plus the slack. */
    private readonly holdMs: number,
    /** How long settled access 401s are remembered for error lines that arrive late. */
    private readonly rememberMs: number,
  ) {}

  /** An error-log authentication failure: held when it is a credential failure; returns whether it was. */
  error(a: AuthFailureEvent): boolean {
    if (!CREDENTIAL_REASONS.has(a.reason)) return false;
    this.active = true;
    if (this.take(this.recent.get(a.ip), a) || this.take(this.older.get(a.ip), a)) {
      this.joined++;
      return true;
    }
    this.pending.push({ failure: a, matched: false });
    return true;
  }

  private take(seen: Seen[] | undefined, a: AuthFailureEvent): boolean {
    if (seen === undefined) return false;
    for (const s of seen) {
      if (!s.matched && Math.abs(s.time - a.time) <= JOIN_SLACK_MS && samePath(s.path, a.path)) {
        s.matched = true;
        return true;
      }
    }
    return false;
  }

  /** A settled access 401 (answered or not): it consumes the error failure that describes it. */
  access(e: LogEvent): void {
    if (!this.active) return;
    for (let i = this.head; i < this.pending.length; i++) {
      const p = this.pending[i] as { failure: AuthFailureEvent; matched: boolean };
      if (p.failure.time > e.time + JOIN_SLACK_MS) break;
      if (!p.matched && p.failure.ip === e.ip && p.failure.time >= e.time - JOIN_SLACK_MS && samePath(p.failure.path, e.path)) {
        p.matched = true;
        this.joined++;
        return;
      }
    }
    if (e.time - this.recentSince >= this.rememberMs) {
      this.older = this.recent;
      this.recent = new Map();
      this.recentSince = e.time;
    }
    const seen: Seen = { time: e.time, path: e.path, matched: false };
    const list = this.recent.get(e.ip);
    if (list === undefined) this.recent.set(e.ip, [seen]);
    else list.push(seen);
  }

  /** Error failures older than `now - holdMs` that no access 401 described, oldest first, as 401 events. */
  releaseBefore(now: number, release: (e: LogEvent) => void): void {
    while (this.head < this.pending.length) {
      const p = this.pending[this.head] as { failure: AuthFailureEvent; matched: boolean };
      if (p.failure.time >= now - this.holdMs) break;
      this.head++;
      if (!p.matched) {
        this.alone++;
        release(asAccessFailure(p.failure));
      }
    }
    if (this.head > 4096 && this.head * 2 > this.pending.length) {
      this.pending = this.pending.slice(this.head);
      this.head = 0;
    }
  }

  get held(): number {
    return this.pending.length - this.head;
  }
}

/** The access-log view of an attempt only the error log recorded: a 401 with no user agent. */
function asAccessFailure(a: AuthFailureEvent): LogEvent {
  return {
    time: a.time, ip: a.ip, method: a.request.slice(0, Math.max(0, a.request.indexOf(' '))), path: a.path, query: '', protocol: '', request: a.request, status: 401, bytes: null,
    referer: '', userAgent: '', remoteUser: a.user, host: a.host, requestTime: null, forwardedFor: '', raw: a.raw, file: a.file, line: a.line,
  };
}
