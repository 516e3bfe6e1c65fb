/**
 * `authwatch config check|schema`. Like `promtool check config`, a check also loads what the config
 * names (its rule directory), and lists every problem at once as file:line:column; exit 2 when any.
 */
import { EXIT, type ExitCode } from '../../errors';
import { configJsonSchema, loadConfig } from '../../config/schema';
import { loadRules } from '../../rules/load';
import { plural } from '../../present/numbers';
import { forTerminal } from '../../report/sanitize';
import { stdout } from '../output';

export async function configCheckCommand(file: string, bundledRules: string): Promise<ExitCode> {
  const config = await loadConfig(file);
  const rules = await loadRules(config.rules ?? bundledRules);
  const outputs = config.outputs?.length ?? 1;
  const parts = [plural(config.inputs.length, 'input'), plural(outputs, 'output'), plural(rules.rules.length, 'rule'), ...(config.email ? ['email'] : [])];
  await stdout().write(`${forTerminal(file)}: OK (${parts.join(', ')}; rules from ${forTerminal(config.rules ?? 'the bundled rules/')})\n`);
  return EXIT.ok;
}

export async function configSchemaCommand(): Promise<void> {
  await stdout().write(JSON.stringify(configJsonSchema(), null, 2) + '\n');
}
