/** Combined-format lines stamped relative to now, for tests that drive a live daemon. */
import { render, type SynthRequest } from '../../src/synth/traffic';

let seq = 0;

/** `n` combined lines, timestamps `agoSec` seconds before now, one second apart. */
export function lines(n: number, over: Partial<SynthRequest> = {}, agoSec = 600): string {
  const now = Date.now();
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    seq++;
    out.push(render({ time: now - agoSec * 1000 + i * 1000, ip: `192.0.2.${(seq % 200) + 1}`, user: '-', method: 'GET', target: `/p/${seq}`, status: 200, bytes: 10, referer: '-', userAgent: 'test-agent', host: 'h', ...over }, 'combined'));
  }
  return out.join('\n') + '\n';
}
