/**
 * YAML files checked by a zod schema (authwatch.yaml, rule files), with every problem at its real
 * line and column. Shared by the config loader and the rule loader: one mapping from a zod issue to
 * the YAML node it is about, and one wording of zod's issues for people editing a file.
 */
import { LineCounter, isMap, isNode, isScalar, isSeq, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';

export type YamlPath = ReadonlyArray<string | number>;

export interface YamlProblem {
  line: number;
  column: number;
  /** Where in the document (keys and indexes); empty for the file as a whole. */
  path: YamlPath;
  message: string;
}

/** `outputs[0].type`. */
export function formatYamlPath(path: ReadonlyArray<PropertyKey>): string {
  return path.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? String(k) : `.${String(k)}`)).join('');
}

/** A parsed YAML file: its value, and where each part of it is. */
export class YamlSource {
  private constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
    /** The document as plain data (undefined for an empty file). */
    readonly data: unknown,
  ) {}

  /** Parses `text`; YAML syntax errors (all of them) come back as problems, with no source. */
  static parse(text: string): { source?: YamlSource; problems: YamlProblem[] } {
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
    if (doc.errors.length > 0) {
      return {
        problems: doc.errors.map((e) => {
          const { line, col } = lines.linePos(e.pos[0]);
          return { line, column: col, path: [], message: `YAML: ${e.message.split('\n')[0]}` };
        }),
      };
    }
    return { source: new YamlSource(doc, lines, doc.toJS()), problems: [] };
  }

  /** The plain value at `path` (undefined when absent). */
  valueAt(path: ReadonlyArray<PropertyKey>): unknown {
    let v: unknown = this.data;
    for (const k of path) {
      if (v === null || typeof v !== 'object') return undefined;
      v = (v as Record<PropertyKey, unknown>)[k];
    }
    return v;
  }

  /**
   * 1-based line and column of what `path` names: its value, or its key with `part: 'key'`. When the
   * path does not exist, of the deepest part of it that does (for a missing key: the map it belongs in).
   */
  positionOf(path: ReadonlyArray<PropertyKey>, part: 'key' | 'value' = 'value'): { line: number; column: number } {
    let node: unknown = this.doc.contents;
    let at: Node | undefined = isNode(node) ? node : undefined;
    for (let i = 0; i < path.length; i++) {
      const k = path[i];
      let key: unknown;
      let value: unknown;
      if (isMap(node)) {
        const pair = node.items.find((p) => String(isScalar(p.key) ? p.key.value : p.key) === String(k));
        if (pair === undefined) break;
        key = pair.key;
        value = pair.value;
      } else if (isSeq(node) && typeof k === 'number' && k < node.items.length) {
        value = node.items[k];
      } else break;
      const wantKey = part === 'key' && i === path.length - 1;
      // `key:` with nothing after it has no value node worth pointing at: the key is where it is.
      const valueNode = isNode(value) && !(isScalar(value) && value.value === null && value.source === undefined) ? value : undefined;
      at = (wantKey && isNode(key) ? key : valueNode ?? (isNode(key) ? key : undefined)) ?? at;
      node = value;
    }
    const { line, col } = this.lines.linePos(at?.range?.[0] ?? 0);
    return { line, column: col };
  }

  /** Problems for zod issues about this document, each at its position and in words for the person editing the file. */
  problemsFor(issues: ReadonlyArray<z.core.$ZodIssue>, schema?: z.core.$ZodType): YamlProblem[] {
    const out: YamlProblem[] = [];
    for (const issue of issues) this.describe(issue, issue.path as PropertyKey[], schema, out);
    return out.sort((a, b) => a.line - b.line || a.column - b.column);
  }

  private problem(path: ReadonlyArray<PropertyKey>, message: string, part: 'key' | 'value' = 'value'): YamlProblem {
    return { ...this.positionOf(path, part), path: path.map((k) => (typeof k === 'number' ? k : String(k))), message };
  }

  private describe(issue: z.core.$ZodIssue, path: PropertyKey[], schema: z.core.$ZodType | undefined, out: YamlProblem[]): void {
    const value = this.valueAt(path);
    switch (issue.code) {
      case 'unrecognized_keys': {
        const known = schema ? keysAt(schema, path, this.data) : [];
        for (const key of issue.keys) {
          const near = closest(key, known);
          const listed = known.length > MAX_LISTED ? `${known.slice(0, MAX_LISTED).join(', ')}, …` : known.join(', ');
          const hint = near !== undefined ? `; did you mean "${near}"?` : known.length > 0 ? ` (expected one of ${listed})` : '';
          out.push(this.problem([...path, key], `unknown key "${key}"${hint}`, 'key'));
        }
        return;
      }
      case 'invalid_union': {
        // A discriminated union whose discriminator matched no option: name the values allowed.
        const { note, options } = issue as { note?: string; options?: unknown[] };
        if (note === 'No matching discriminator' && options) {
          const allowed = options.map(String).join(', ');
          out.push(this.problem(path, value === undefined ? `missing: one of ${allowed}` : `${JSON.stringify(value)} is not one of ${allowed}`));
          return;
        }
        // A plain union: the option that got furthest into the value is what the author meant.
        const branches = issue.errors.filter((b) => b.length > 0);
        const depth = (b: z.core.$ZodIssue[]) => Math.max(...b.map((i) => i.path.length));
        const deepest = branches.reduce<z.core.$ZodIssue[] | undefined>((best, b) => (best === undefined || depth(b) > depth(best) ? b : best), undefined);
        if (deepest !== undefined && depth(deepest) > 0) {
          for (const i of deepest) this.describe(i, [...path, ...(i.path as PropertyKey[])], schema, out);
          return;
        }
        const expected = [...new Set(branches.flatMap((b) => b.filter((i) => i.code === 'invalid_type').map((i) => article((i as { expected: string }).expected))))];
        out.push(this.problem(path, expected.length > 0 ? `expected ${expected.join(' or ')}, not ${kindOf(value)}` : issue.message));
        return;
      }
      case 'invalid_type':
        out.push(this.problem(path, value === undefined ? `missing: ${article(issue.expected)} is required` : `expected ${article(issue.expected)}, not ${kindOf(value)}`));
        return;
      case 'invalid_value':
        out.push(this.problem(path, `${JSON.stringify(value)} is not one of ${issue.values.map(String).join(', ')}`));
        return;
      case 'too_small':
      case 'too_big': {
        const limit = Number(issue.code === 'too_small' ? issue.minimum : issue.maximum);
        const bound = issue.code === 'too_small' ? (issue.inclusive === false ? 'more than' : 'at least') : issue.inclusive === false ? 'less than' : 'at most';
        const unit = issue.origin === 'array' || issue.origin === 'set' ? ` ${limit === 1 ? 'item' : 'items'}` : issue.origin === 'string' ? ` ${limit === 1 ? 'character' : 'characters'}` : '';
        // A custom message (a metric's range) says more than the bound alone.
        const custom = !/^Too (small|big)/.test(issue.message);
        out.push(this.problem(path, custom ? issue.message : `${issue.origin === 'number' || issue.origin === 'int' ? `${JSON.stringify(value)}: ` : ''}must be ${bound} ${limit}${unit}`));
        return;
      }
      default:
        out.push(this.problem(path, issue.message));
    }
  }
}

/** Known keys listed when an unknown one resembles none of them. */
const MAX_LISTED = 12;

function article(type: string): string {
  const word = type === 'object' ? 'map' : type === 'array' ? 'list' : type;
  return /^[aeiou]/.test(word) ? `an ${word}` : `a ${word}`;
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  return `${typeof v} ${JSON.stringify(v)}`;
}

type Def = {
  type: string;
  shape?: Record<string, z.core.$ZodType>;
  element?: z.core.$ZodType;
  valueType?: z.core.$ZodType;
  innerType?: z.core.$ZodType;
  in?: z.core.$ZodType;
  options?: z.core.$ZodType[];
  discriminator?: string;
  values?: unknown[];
};

const defOf = (s: z.core.$ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** Through optional, default, pipe… to the schema that says the value's shape. */
function unwrap(s: z.core.$ZodType): z.core.$ZodType {
  for (let d = defOf(s); ; d = defOf(s)) {
    const inner = d.innerType ?? (d.type === 'pipe' ? d.in : undefined);
    if (inner === undefined) return s;
    s = inner;
  }
}

/** The object schemas a value at `path` is checked against (several for a union). */
function objectsAt(schema: z.core.$ZodType, path: ReadonlyArray<PropertyKey>, data: unknown): z.core.$ZodType[] {
  let current = [unwrap(schema)];
  let value = data;
  for (const k of [...path, undefined]) {
    // Unions are resolved against the value: a discriminated one picks its option.
    current = current.flatMap((s) => {
      const d = defOf(s);
      if (d.type !== 'union' || d.options === undefined) return [s];
      const disc = d.discriminator;
      const tag = disc !== undefined && value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[disc] : undefined;
      const picked = d.options.filter((o) => disc === undefined || tag === undefined || defOf(unwrap(o)).shape?.[disc] === undefined || (defOf(unwrap(defOf(unwrap(o)).shape?.[disc] as z.core.$ZodType)).values ?? []).includes(tag));
      return picked.map(unwrap);
    });
    if (k === undefined) break;
    current = current.flatMap((s) => {
      const d = defOf(s);
      const next = d.type === 'object' ? d.shape?.[String(k)] : d.type === 'array' ? d.element : d.type === 'record' ? d.valueType : undefined;
      return next ? [unwrap(next)] : [];
    });
    value = value !== null && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[k] : undefined;
  }
  return current.filter((s) => defOf(s).type === 'object');
}

/** The keys an object at `path` may have, for suggesting one when a key is unknown. */
export function keysAt(schema: z.core.$ZodType, path: ReadonlyArray<PropertyKey>, data: unknown): string[] {
  return [...new Set(objectsAt(schema, path, data).flatMap((s) => Object.keys(defOf(s).shape ?? {})))];
}

/**
 * The known word a mistyped one was meant to be (edit distance at most 2, and less than a third of
 * its length): "ouputs" → "outputs". A dozen lines over a handful of keys; no library needed.
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.min(2, Math.floor(word.length / 3));
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d <= bestDistance && (best === undefined || d < editDistance(word.toLowerCase(), best.toLowerCase()))) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

/** Edits to turn `a` into `b`, a swap of two neighbours counting as one (optimal string alignment). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number) => (d[i] as number[])[j] as number;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      let v = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, at(i - 2, j - 2) + 1);
      (d[i] as number[])[j] = v;
    }
  }
  return at(a.length, b.length);
}
