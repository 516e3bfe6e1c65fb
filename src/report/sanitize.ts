/**
 * Every byte of a log is attacker-chosen. Before a log value reaches a terminal, control
 * characters (ESC sequences, \r, backspace, C1 controls) are shown as visible escapes, so a
 * crafted user agent cannot move the cursor, recolour, retitle or overwrite an operator's screen,
 * and bidi controls are shown too, so a crafted path cannot make a line read in another order
 * than it is stored ("Trojan Source").
 */
/**
 * C0 and C1 controls (CR/LF, ESC, backspace, CSI U+009B), line separators, bidi marks, embeddings,
 * overrides and isolates: never shown raw, in any output.
 */
export const CONTROL = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** The same set without C0: what JSON.stringify leaves raw (it escapes U+0000–U+001F itself). */
const RAW_IN_JSON = /[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

export function forTerminal(s: string): string {
  return s.replace(CONTROL, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? '\\x' + code.toString(16).toUpperCase().padStart(2, '0') : '\\u' + code.toString(16).toUpperCase().padStart(4, '0');
  });
}

/** forTerminal line by line: for messages that are several lines on purpose (a stack trace). */
export function linesForTerminal(s: string): string {
  return s.split('\n').map(forTerminal).join('\n');
}

/**
 * Text that JSON.stringify produced, with the controls it leaves raw written as `\uXXXX`: still valid
 * JSON that parses to the same data, but safe to print. These characters can only occur inside
 * string literals of such text (its own syntax is ASCII), where `\uXXXX` means the same character.
 */
export function jsonForTerminal(json: string): string {
  return json.replace(RAW_IN_JSON, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

/** JSON.stringify, safe to print (see jsonForTerminal). */
export function printableJson(value: unknown, space?: number): string {
  return jsonForTerminal(JSON.stringify(value, null, space));
}

export function truncate(s: string, max: number): string {
  return s.length > max ? s.slice(0, max - 1) + '…' : s;
}
