/** `authwatch rules check|schema`. */
import { EXIT, type ExitCode } from '../../errors';
import { loadRules } from '../../rules/load';
import { ruleFileJsonSchema } from '../../rules/schema';
import { plural } from '../../present/numbers';
import { stdout } from '../output';

export async function rulesCheckCommand(dir: string): Promise<ExitCode> {
  const set = await loadRules(dir);
  await stdout().write(`${plural(set.rules.length, 'rule')} OK in ${plural(set.files.length, 'file')} (${set.rules.map((r) => r.id).join(', ')})\n`);
  return EXIT.ok;
}

export async function rulesSchemaCommand(): Promise<void> {
  await stdout().write(JSON.stringify(ruleFileJsonSchema(), null, 2) + '\n');
}
