/** `authwatch config check|schema`. */
import { EXIT, type ExitCode } from '../../errors';
import { configJsonSchema, loadConfig } from '../../config/schema';
import { stdout } from '../output';

export async function configCheckCommand(file: string, _bundledRules: string): Promise<ExitCode> {
  await loadConfig(file);
  await stdout().write(`${file}: OK\n`);
  return EXIT.ok;
}

export async function configSchemaCommand(): Promise<void> {
  await stdout().write(JSON.stringify(configJsonSchema(), null, 2) + '\n');
}
