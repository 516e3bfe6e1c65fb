/**
 * Every byte of a log is attacker-chosen. Before a log value reaches a terminal, control
 * characters (ESC sequences, \r, backspace, C1 controls) are shown as visible escapes, so a
 * crafted user agent cannot move the cursor, recolour, retitle or overwrite an operator's screen.
 */
/** C0 and C1 controls (CR/LF, ESC, backspace), line separators and bidi overrides: never shown raw, in any output. */
export const CONTROL = /[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

export function forTerminal(s: string): string {
  return s.replace(CONTROL, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? '\\x' + code.toString(16).toUpperCase().padStart(2, '0') : '\\u' + code.toString(16).toUpperCase().padStart(4, '0');
  });
}

export function truncate(s: string, max: number): string {
  return s.length > max ? s.slice(0, max - 1) + '…' : s;
}
