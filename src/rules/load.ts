/**
 * Reads rules/*.yaml, validates them with zod, compiles them, and reports every problem of every file
 * at once, each at its real file:line:column with the rule id and field path.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { RuleFileSchema, RuleSchema, InhibitSchema, type Inhibit, type Rule } from './schema';
import { compileRule, type CompiledRule } from './compile';
import { ProblemListError } from '../errors';
import { YamlSource, formatYamlPath, type YamlProblem } from '../config/yaml';

export interface RuleProblem {
  file: string;
  line: number;
  column: number;
  ruleId?: string;
  field: string;
  message: string;
}

export function formatProblem(p: RuleProblem): string {
  return `${p.file}:${p.line}:${p.column}: ${p.ruleId ? `rule "${p.ruleId}": ` : ''}${p.field ? p.field + ': ' : ''}${p.message}`;
}

export class RuleLoadError extends ProblemListError {
  constructor(readonly problems: RuleProblem[]) {
    super(problems.map(formatProblem));
    this.name = 'RuleLoadError';
  }
}

export interface RuleSet {
  rules: CompiledRule[];
  inhibit: Inhibit[];
  files: string[];
}

/** One file's rules: the valid ones, and where every rule (valid or not) is, for problems found later. */
export interface ParsedRuleFile {
  rules: Rule[];
  inhibit: Inhibit[];
  problems: RuleProblem[];
  /** Index in the file of each entry of `rules` and `inhibit`. */
  ruleIndex: number[];
  inhibitIndex: number[];
  /** The id of every rule in the file, valid or not (undefined where there is none). */
  ids: Array<string | undefined>;
  source?: YamlSource;
}

function ruleProblem(file: string, source: YamlSource | undefined, p: YamlProblem): RuleProblem {
  // Problems inside a rule name the rule by its id (or its place in the file) and the field within it.
  if (p.path[0] === 'rules' && typeof p.path[1] === 'number') {
    const id = source?.valueAt(['rules', p.path[1], 'id']);
    return { file, line: p.line, column: p.column, ruleId: typeof id === 'string' ? id : `#${p.path[1] + 1}`, field: formatYamlPath(p.path.slice(2)), message: p.message };
  }
  return { file, line: p.line, column: p.column, field: formatYamlPath(p.path), message: p.message };
}

/**
 * Parses and validates one rule file. When some rules are invalid the others still come back, so that
 * later checks (duplicate ids, templates, inhibit references) run on them in the same pass.
 */
export function parseRuleText(file: string, text: string): ParsedRuleFile {
  const { source, problems: yamlProblems } = YamlSource.parse(text);
  const out: ParsedRuleFile = { rules: [], inhibit: [], problems: [], ruleIndex: [], inhibitIndex: [], ids: [], source };
  if (!source) return { ...out, problems: yamlProblems.map((p) => ruleProblem(file, undefined, p)) };
  const parsed = RuleFileSchema.safeParse(source.data ?? {});
  if (!parsed.success) out.problems = source.problemsFor(parsed.error.issues, RuleFileSchema).map((p) => ruleProblem(file, source, p));
  const rawRules = source.valueAt(['rules']);
  const rawInhibit = source.valueAt(['inhibit']);
  if (Array.isArray(rawRules)) {
    rawRules.forEach((r: unknown, i) => {
      const id = (r as { id?: unknown } | null)?.id;
      out.ids.push(typeof id === 'string' ? id : undefined);
      const one = RuleSchema.safeParse(r);
      if (one.success) {
        out.rules.push(one.data);
        out.ruleIndex.push(i);
      }
    });
  }
  if (Array.isArray(rawInhibit)) {
    rawInhibit.forEach((r: unknown, i) => {
      const one = InhibitSchema.safeParse(r);
      if (one.success) {
        out.inhibit.push(one.data);
        out.inhibitIndex.push(i);
      }
    });
  }
  return out;
}

/** "where.exclude_cidrs: …" from compileRule: the field it names, as a path. */
function compileProblemPath(message: string): { path: Array<string | number>; message: string } {
  const m = /^([a-z_]+(?:\[\d+\]|\.[a-z_]+)*): (.*)$/s.exec(message);
  if (!m) return { path: [], message };
  const path = [...(m[1] as string).matchAll(/([a-z_]+)|\[(\d+)\]/g)].map((p) => (p[2] === undefined ? (p[1] as string) : Number(p[2])));
  return { path, message: m[2] as string };
}

/** Loads and compiles every *.yaml / *.yml in `dir` (sorted). Throws RuleLoadError listing all problems of all files. */
export async function loadRules(dir: string): Promise<RuleSet> {
  let names: string[];
  try {
    names = (await fs.readdir(dir)).filter((n) => /\.ya?ml$/.test(n)).sort();
  } catch (e) {
    throw new RuleLoadError([{ file: dir, line: 0, column: 0, field: '', message: `cannot read the rules directory (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; check --rules)` }]);
  }
  if (names.length === 0) throw new RuleLoadError([{ file: dir, line: 0, column: 0, field: '', message: 'no *.yaml rule files here' }]);
  const problems: RuleProblem[] = [];
  const rules: CompiledRule[] = [];
  const inhibit: Array<{ rule: Inhibit; file: string; index: number; source: YamlSource }> = [];
  const seen = new Map<string, string>();
  const files: string[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    files.push(file);
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (e) {
      problems.push({ file, line: 0, column: 0, field: '', message: `cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` });
      continue;
    }
    const parsed = parseRuleText(file, text);
    problems.push(...parsed.problems);
    const source = parsed.source;
    if (!source) continue;
    const at = (index: number, p: ReadonlyArray<string | number>) => source.positionOf(['rules', index, ...p]);
    const valid = new Map(parsed.ruleIndex.map((index, k) => [index, parsed.rules[k] as Rule]));
    parsed.ids.forEach((id, index) => {
      if (id === undefined) return;
      const first = seen.get(id);
      if (first !== undefined) {
        problems.push({ file, ...at(index, ['id']), ruleId: id, field: 'id', message: `duplicate id (also at ${first})` });
        valid.delete(index);
        return;
      }
      const { line, column } = at(index, ['id']);
      seen.set(id, `${file}:${line}:${column}`);
    });
    for (const [index, rule] of valid) {
      const compiled = compileRule(rule);
      if (typeof compiled === 'string') {
        const { path: field, message } = compileProblemPath(compiled);
        problems.push({ file, ...at(index, field), ruleId: rule.id, field: formatYamlPath(field), message });
      } else if (rule.enabled !== false) rules.push(compiled);
    }
    parsed.inhibit.forEach((rule, k) => inhibit.push({ rule, file, index: parsed.inhibitIndex[k] as number, source }));
  }
  for (const { rule, file, index, source } of inhibit) {
    for (const side of ['source', 'target'] as const) {
      (rule[side].rules ?? []).forEach((id, k) => {
        if (!seen.has(id)) problems.push({ file, ...source.positionOf(['inhibit', index, side, 'rules', k]), field: `inhibit[${index}].${side}.rules[${k}]`, message: `names an unknown rule "${id}"` });
      });
    }
  }
  if (problems.length > 0) {
    const order = (p: RuleProblem) => files.indexOf(p.file);
    throw new RuleLoadError(problems.sort((a, b) => order(a) - order(b) || a.line - b.line || a.column - b.column));
  }
  return { rules, inhibit: inhibit.map((i) => i.rule), files };
}
