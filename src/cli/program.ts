/**
 * Every command and option of the CLI, declared once: `--help`, the man page (`authwatch man`) and
 * shell completion (`authwatch completion`) are all generated from this program. Each action loads
 * its command's module when it runs, so start-up (and `--help`) loads commander and nothing heavy.
 */
import { Argument, Command, Option } from 'commander';
import path from 'node:path';
import { EXIT, type ExitCode } from '../errors';
import { SEVERITIES } from '../rules/severity';
// Data only (its imports are types): the preset names without loading the parsers.
import { PRESET_NAMES } from '../decode/presets';

/** The rule pack shipped with authwatch (dist/cli → package root → rules/). */
export const BUNDLED_RULES = path.resolve(__dirname, '..', '..', 'rules');

// Read once from the package, so `--version` is always the published version.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const VERSION = (require('../../package.json') as { version: string }).version;

export const OUTPUT_KINDS = ['text', 'json', 'html', 'md'] as const;
export const SHELLS = ['bash', 'zsh'] as const;

/** The exit codes, as `--help` and the man page show them (README "Exit codes" says the same). */
export const EXIT_CODES: ReadonlyArray<[ExitCode, string]> = [
  [EXIT.ok, 'success; with --fail-on: no incident at or above that severity'],
  [EXIT.failed, 'report --fail-on: incidents at or above the severity; a check that failed (email test)'],
  [EXIT.usage, 'usage or input error: a wrong option, an unreadable file, an invalid config or rule file'],
  [EXIT.nothingParsed, 'nothing parsed: every line of the input was malformed (check --format)'],
  [EXIT.internal, 'internal error (a bug: please report it with the message)'],
];

function exitCodesHelp(): string {
  return '\nExit codes:\n' + EXIT_CODES.map(([code, text]) => `  ${String(code).padEnd(3)} ${text}`).join('\n') + '\n';
}

/** The code `main` exits with, set by the command that ran (0 unless it says otherwise). */
export interface RunState {
  exitCode: ExitCode;
}

function formatOption(): Option {
  return new Option('-f, --format <format>', `log format: auto, ${PRESET_NAMES.join(', ')}, 'nginx:<log_format>' or 'apache:<LogFormat>'`).default('auto');
}

function maxLineOption(): Option {
  return new Option('--max-line-bytes <n>', 'longer lines are counted as malformed and skipped').default('65536');
}

const INPUTS = "log files, directories, quoted globs, or '-' for stdin (gzip is detected)";

export function buildProgram(state: RunState = { exitCode: EXIT.ok }): Command {
  const program = new Command('authwatch')
    .description('Find bursts of HTTP 401 in Nginx/Apache access logs and tell attacks from misconfigurations')
    .version(VERSION)
    .showHelpAfterError()
    .exitOverride()
    .addHelpText('after', exitCodesHelp());

  program
    .command('parse')
    .description('print one JSON object per parsed event (malformed lines go to stderr with file:line); for checking a format')
    .argument('<files...>', INPUTS)
    .addOption(formatOption())
    .addOption(maxLineOption())
    .action(async (inputs: string[], raw: unknown) => {
      const { parseCommand } = await import('./commands/parse');
      state.exitCode = await parseCommand(inputs, raw);
    });

  program
    .command('report')
    .description('report 401s over log files: the incidents the rules find, volume, status mix, top IPs/paths/clients/users, timeline')
    .argument('<files...>', INPUTS)
    .addOption(formatOption())
    .addOption(new Option('--output <kind>', 'text, json, html (self-contained, with charts) or md (Markdown)').choices(OUTPUT_KINDS).default('text'))
    .addOption(new Option('-o, --out <file>', 'write the report to a file instead of stdout (checked before any input is read)'))
    .addOption(new Option('--fail-on <severity>', 'exit 1 when an incident is at or above this severity (default: never)').choices(SEVERITIES))
    .addOption(new Option('--tz <zone>', 'time zone for displayed times (IANA name, e.g. Europe/Paris)').default('UTC'))
    .addOption(new Option('--top <n>', 'entries per top list').default('10'))
    .addOption(maxLineOption())
    .addOption(new Option('--rules <dir>', 'rule files directory').default(BUNDLED_RULES, 'the bundled rules/'))
    .addOption(new Option('--key-capacity <n>', 'keys kept per rule table; past it the lightest are dropped and figures marked approximate').default('20000'))
    .addOption(new Option('--since <time>', 'ignore events before this time: ISO 8601 or relative (-2h)'))
    .addOption(new Option('--until <time>', 'ignore events at or after this time: ISO 8601 or relative (-30m)'))
    .addOption(new Option('--summary', 'text output: only the verdict and one line per incident'))
    .addHelpText('after', exitCodesHelp())
    .action(async (inputs: string[], raw: unknown) => {
      const { reportCommand } = await import('./commands/report');
      state.exitCode = await reportCommand(inputs, raw);
    });

  program
    .command('watch')
    .description('follow logs as a daemon (rotation, restarts, checkpoints) and send alerts')
    .requiredOption('-c, --config <file>', 'authwatch.yaml')
    .option('--from-start', 'with no checkpoint, read existing files from their beginning (default: from their end)')
    .option('--metrics <host:port>', 'serve /healthz and Prometheus /metrics, e.g. 127.0.0.1:9464 (port 0: any free port, logged)')
    .action(async (raw: unknown) => {
      const { watchCommand } = await import('./commands/watch');
      await watchCommand(raw, BUNDLED_RULES);
    });

  const config = program.command('config').description('check or describe authwatch.yaml');
  config
    .command('check')
    .description('validate a config file; lists every problem as file:line:column: field: message and exits 2')
    .argument('<file>', 'authwatch.yaml')
    .action(async (file: string) => {
      const { configCheckCommand } = await import('./commands/config');
      state.exitCode = await configCheckCommand(file, BUNDLED_RULES);
    });
  config
    .command('schema')
    .description('print the JSON Schema of authwatch.yaml (for editor completion)')
    .action(async () => {
      const { configSchemaCommand } = await import('./commands/config');
      await configSchemaCommand();
    });

  const rules = program.command('rules').description('check or describe rule files');
  rules
    .command('check')
    .description('validate rule files; lists every problem as file:line:column: rule "id": field: message and exits 2')
    .addArgument(new Argument('[dir]', 'rule files directory').default(BUNDLED_RULES, 'the bundled rules/'))
    .action(async (dir: string) => {
      const { rulesCheckCommand } = await import('./commands/rules');
      state.exitCode = await rulesCheckCommand(dir);
    });
  rules
    .command('schema')
    .description('print the JSON Schema of rule files (for editor completion)')
    .action(async () => {
      const { rulesSchemaCommand } = await import('./commands/rules');
      await rulesSchemaCommand();
    });

  const email = program.command('email').description('email alerts');
  email
    .command('test')
    .description('send one test message with the email section of a config, and say how the SMTP server answered')
    .requiredOption('-c, --config <file>', 'authwatch.yaml')
    .action(async (raw: unknown) => {
      const { emailTestCommand } = await import('./commands/email');
      await emailTestCommand(raw);
    });

  program
    .command('completion')
    .description('print a shell completion script: eval "$(authwatch completion bash)", or save it where your shell loads completions')
    .addArgument(new Argument('<shell>', 'bash or zsh').choices(SHELLS))
    .action(async (shell: (typeof SHELLS)[number]) => {
      const { completionCommand } = await import('./commands/completion');
      await completionCommand(shell, buildProgram());
    });

  program
    .command('man')
    .description('print the manual page (roff), generated from these same definitions: authwatch man | man -l -')
    .action(async () => {
      const { manCommand } = await import('./commands/man');
      await manCommand(buildProgram(), VERSION);
    });

  return program;
}
