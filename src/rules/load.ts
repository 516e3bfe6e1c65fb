/** Reads rules/*.yaml, validates with zod, and reports every problem as file:line:col, rule id, field path. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { LineCounter, parseDocument, isNode } from 'yaml';
import type { z } from 'zod';
import { RuleFileSchema, type Inhibit, type Rule } from './schema';
import { compileRule, type CompiledRule } from './compile';
import { ProblemListError } from '../errors';

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

function fieldPath(p: ReadonlyArray<PropertyKey>): string {
  return p.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? String(k) : '.' + String(k))).join('');
}

export function parseRuleText(file: string, text: string): { rules: Rule[]; inhibit: Inhibit[]; problems: RuleProblem[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number) => lineCounter.linePos(offset);
  if (doc.errors.length > 0) {
    return {
      rules: [],
      inhibit: [],
      problems: doc.errors.map((e) => {
        const pos = at(e.pos[0]);
        return { file, line: pos.line, column: pos.col, field: '', message: `YAML: ${e.message.split('\n')[0]}` };
      }),
    };
  }
  const raw: unknown = doc.toJS();
  const parsed = RuleFileSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue: z.core.$ZodIssue) => {
      // Point at the deepest node that exists on the issue's path.
      let node: unknown;
      for (let n = issue.path.length; n >= 0 && !isNode(node); n--) node = doc.getIn(issue.path.slice(0, n) as unknown[], true);
      const range = isNode(node) && node.range ? node.range[0] : 0;
      const pos = at(range);
      let ruleId: string | undefined;
      let field = fieldPath(issue.path);
      if (issue.path[0] === 'rules' && typeof issue.path[1] === 'number') {
        const id = doc.getIn(['rules', issue.path[1], 'id']);
        ruleId = typeof id === 'string' ? id : `#${issue.path[1] + 1}`;
        field = fieldPath(issue.path.slice(2));
      }
      return { file, line: pos.line, column: pos.col, ruleId, field, message: issue.message };
    });
    return { rules: [], inhibit: [], problems };
  }
  return { rules: parsed.data.rules ?? [], inhibit: parsed.data.inhibit ?? [], problems: [] };
}

/** Loads and compiles every *.yaml / *.yml in `dir` (sorted). Throws RuleLoadError listing all problems. */
export async function loadRules(dir: string): Promise<RuleSet> {
  let names: string[];
  try {
    names = (await fs.readdir(dir)).filter((n) => /\.ya?ml$/.test(n)).sort();
  } catch {
    throw new RuleLoadError([{ file: dir, line: 0, column: 0, field: '', message: 'cannot read the rules directory (check --rules)' }]);
  }
  if (names.length === 0) throw new RuleLoadError([{ file: dir, line: 0, column: 0, field: '', message: 'no *.yaml rule files here' }]);
  const problems: RuleProblem[] = [];
  const rules: CompiledRule[] = [];
  const inhibit: Inhibit[] = [];
  const seen = new Map<string, string>();
  const files: string[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    files.push(file);
    const text = await fs.readFile(file, 'utf8');
    const r = parseRuleText(file, text);
    problems.push(...r.problems);
    for (const rule of r.rules) {
      if (seen.has(rule.id)) {
        problems.push({ file, line: 0, column: 0, ruleId: rule.id, field: 'id', message: `duplicate id (also in ${seen.get(rule.id)})` });
        continue;
      }
      seen.set(rule.id, file);
      const compiled = compileRule(rule);
      if (typeof compiled === 'string') problems.push({ file, line: 0, column: 0, ruleId: rule.id, field: '', message: compiled });
      else if (rule.enabled !== false) rules.push(compiled);
    }
    inhibit.push(...r.inhibit);
  }
  for (const inh of inhibit) {
    for (const id of [...(inh.source.rules ?? []), ...(inh.target.rules ?? [])]) {
      if (!seen.has(id)) problems.push({ file: dir, line: 0, column: 0, field: 'inhibit', message: `names an unknown rule "${id}"` });
    }
  }
  if (problems.length > 0) throw new RuleLoadError(problems);
  return { rules, inhibit, files };
}
