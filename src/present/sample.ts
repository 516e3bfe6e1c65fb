/**
 * Sample lines are evidence: an operator reads where (file:line), who, when, the request and the
 * status. When one must be cut to fit a terminal, the cut takes the middle of the longest free-text
 * fields (user agent, referer, a long query) and never the request or the status: cutting the end
 * of a combined line keeps the user agent, whose dozens of characters say little, and drops nothing
 * else only by luck.
 */

const ELLIPSIS = '…';
/** Characters a shortened field keeps, so "Mozilla/5.0 (Windo…" still says what it was. */
const MIN_FIELD = 12;

/** "samples/a.log:1703 203.0.113.7 - - […]" → its `file:line` and the line. */
export function splitSample(sample: string): { source: string; text: string } {
  const m = /^(.*?:\d+) ([\s\S]*)$/.exec(sample);
  return m ? { source: m[1] as string, text: m[2] as string } : { source: '', text: sample };
}

/** Cuts `s` to `max` characters by its middle: the start and the end stay. */
export function cutMiddle(s: string, max: number): string {
  if (s.length <= max) return s;
  if (max <= 1) return ELLIPSIS.slice(0, max);
  const head = Math.ceil((max - 1) / 2);
  return s.slice(0, head) + ELLIPSIS + s.slice(s.length - (max - 1 - head));
}

/** Quoted strings (with backslash escapes), bracketed times, and everything else. */
const TOKEN = /"(?:[^"\\]|\\.)*"?|\[[^\]]*\]?|[^"[]+/g;
/** The request field of an access line: `"GET /path HTTP/1.1"`. */
const REQUEST = /^"[A-Z][A-Z_-]* \S/;
/** The status right after the request: ` 401` (common/combined) or `,"status":401` (JSON lines). */
const STATUS_AFTER_REQUEST = /^(?: \d{3}\b|,\s*"status"\s*:\s*"?\d{3}"?)/;

/**
 * Fits a log line into `max` characters. Quoted fields other than the request are shortened first,
 * longest first, to keep their start; then the request's target is cut in its middle (method and
 * protocol stay); then what precedes the request is cut in its middle (its first `keepStart`
 * characters stay while they fit) and what follows the status at its end. Lines with no request
 * field are cut in their middle.
 */
export function fitLine(line: string, max: number, keepStart = 0): string {
  if (line.length <= max) return line;
  const tokens = line.match(TOKEN) ?? [line];
  let excess = line.length - max;
  const shrinkable = tokens
    .map((t, i) => ({ t, i }))
    .filter(({ t }) => t.startsWith('"') && !REQUEST.test(t) && t.length > MIN_FIELD + 2)
    .sort((a, b) => b.t.length - a.t.length);
  for (const { t, i } of shrinkable) {
    if (excess <= 0) break;
    // Keep the opening quote, the field's start, an ellipsis and the closing quote.
    const keep = Math.max(MIN_FIELD, t.length - 2 - excess - 1);
    if (keep + 3 >= t.length) continue;
    tokens[i] = `"${t.slice(1, 1 + keep)}${ELLIPSIS}"`;
    excess -= t.length - (tokens[i] as string).length;
  }
  const r = tokens.findIndex((t) => REQUEST.test(t));
  if (excess > 0 && r >= 0) {
    const req = tokens[r] as string;
    const m = /^("[^ ]+ )(.*?)( HTTP\/[\d.]+")$/.exec(req);
    if (m) {
      const target = m[2] as string;
      const cut = cutMiddle(target, Math.max(MIN_FIELD, target.length - excess));
      tokens[r] = `${m[1]}${cut}${m[3]}`;
      excess -= req.length - (tokens[r] as string).length;
    }
  }
  const fitted = tokens.join('');
  if (fitted.length <= max) return fitted;
  if (r < 0) return cutMiddle(fitted, max);
  // Still too long: the request and the status stay whole; what comes before them (address, user,
  // time) is cut in its middle, what follows (bytes, referer, user agent) at its end.
  const after = tokens.slice(r + 1).join('');
  const status = STATUS_AFTER_REQUEST.exec(after)?.[0] ?? '';
  const keep = (tokens[r] as string) + status;
  const head = tokens.slice(0, r).join('');
  const tail = after.slice(status.length);
  const room = max - keep.length;
  if (room < MIN_FIELD) return cutMiddle(fitted, max);
  const headRoom = Math.min(head.length, room - Math.min(tail.length, 2));
  const tailRoom = room - headRoom;
  const tailCut = tail.length <= tailRoom ? tail : tail.slice(0, Math.max(0, tailRoom - 1)) + ELLIPSIS.slice(0, tailRoom);
  const headCut = headRoom >= keepStart + MIN_FIELD ? head.slice(0, keepStart) + cutMiddle(head.slice(keepStart), headRoom - keepStart) : cutMiddle(head, headRoom);
  return headCut + keep + tailCut;
}

/** A sample (`file:line text`) fitted into `max` characters: the source stays whole while it can. */
export function fitSample(sample: string, max: number): string {
  return fitLine(sample, max, splitSample(sample).source.length);
}
