/**
 * Progress of a long report on stderr, only when stderr is a terminal: bytes read of the total, lines/s,
 * ETA. Redrawn at most four times a second on one line, erased when done; silent in pipes and CI.
 */
import { int } from '../present/numbers';

function mb(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(2)} GB` : `${(n / 1e6).toFixed(1)} MB`;
}

function seconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  return s >= 90 ? `${Math.floor(s / 60)} min ${Math.round(s % 60)} s` : `${Math.max(0, Math.round(s))} s`;
}

export class ProgressMeter {
  private bytes = 0;
  private lines = 0;
  private readonly started = Date.now();
  private lastDraw = 0;
  private drawn = false;

  constructor(
    /** Total bytes of the inputs; null when unknown (stdin). */
    private readonly totalBytes: number | null,
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly enabled = out.isTTY === true,
  ) {}

  add(bytes: number, lines: number): void {
    this.bytes += bytes;
    this.lines += lines;
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.lastDraw < 250) return;
    this.lastDraw = now;
    this.out.write(`\r\x1b[2K${this.line(now)}`);
    this.drawn = true;
  }

  line(now = Date.now()): string {
    const elapsed = Math.max(0.001, (now - this.started) / 1000);
    const rate = this.lines / elapsed;
    if (this.totalBytes === null || this.totalBytes === 0) return `authwatch: ${mb(this.bytes)} read · ${int(Math.round(rate))} lines/s`;
    const share = Math.min(1, this.bytes / this.totalBytes);
    const eta = share > 0 ? (elapsed / share) * (1 - share) : Infinity;
    return `authwatch: ${mb(this.bytes)} of ${mb(this.totalBytes)} (${Math.floor(share * 100)}%) · ${int(Math.round(rate))} lines/s · ETA ${seconds(eta)}`;
  }

  /** Erases the progress line (before another message, and at the end); the next update redraws it. */
  clear(): void {
    if (this.drawn) this.out.write('\r\x1b[2K');
    this.drawn = false;
    this.lastDraw = 0;
  }
}
