/**
 * `authwatch man`: the manual page, in roff, generated from the program's own definitions (spec.ts):
 * the same commands, options, defaults and choices as --help, and the exit codes --help lists. The
 * build writes it to dist/authwatch.1, which package.json names as the package's man page.
 */
import type { Command } from 'commander';
import { allCommands, commandSpec, type CommandSpec } from '../spec';
import { EXIT_CODES } from '../program';
import { stdout } from '../output';

/** Text for roff: backslashes escaped, option dashes as minus signs, no line that starts a request. */
function roff(s: string): string {
  return s
    .replace(/\\/g, '\\e')
    .replace(/(^|[\s(,[/|'"])(-+)/g, (_m, before: string, dashes: string) => before + '\\-'.repeat(dashes.length))
    .replace(/^([.'])/gm, '\\&$1');
}

function commandSection(c: CommandSpec): string[] {
  const out = [`.SS "authwatch ${roff(c.path.join(' '))}"`, roff(c.summary), '.PP', `Usage: \\fBauthwatch ${roff(c.path.join(' '))}\\fR ${roff(c.usage.split(' ').slice(c.path.length + 1).join(' '))}`];
  for (const a of c.arguments) out.push('.TP', `.I ${roff(a.term)}`, roff(a.description));
  for (const o of c.options) out.push('.TP', `.B ${roff(o.term)}`, roff(o.description));
  return out;
}

export function manPage(program: Command, version: string): string {
  const root = commandSpec(program);
  const commands = allCommands(root).filter((c) => c.path.length > 0 && c.commands.length === 0);
  return [
    `.TH AUTHWATCH 1 "" "authwatch ${roff(version)}" "User Commands"`,
    '.SH NAME',
    `authwatch \\- ${roff(root.summary.charAt(0).toLowerCase() + root.summary.slice(1))}`,
    '.SH SYNOPSIS',
    ...commands.flatMap((c) => [`.B authwatch ${roff(c.path.join(' '))}`, roff(c.usage.split(' ').slice(c.path.length + 1).join(' ')), '.br']),
    '.SH DESCRIPTION',
    'authwatch reads Nginx and Apache access and error logs, finds bursts of 401 Unauthorized, and says',
    'whether they are an attack (brute force, credential stuffing, a scanner) or a misconfiguration (a',
    'deploy that broke authentication, a revoked key an integration still sends). It reports on log files',
    '(\\fBauthwatch report\\fR), or follows them as a daemon and sends alerts (\\fBauthwatch watch\\fR).',
    '.SH OPTIONS',
    ...root.options.flatMap((o) => ['.TP', `.B ${roff(o.term)}`, roff(o.description)]),
    '.SH COMMANDS',
    ...commands.flatMap(commandSection),
    '.SH EXIT STATUS',
    ...EXIT_CODES.flatMap(([code, text]) => ['.TP', `.B ${code}`, roff(text)]),
    '.SH ENVIRONMENT',
    '.TP',
    '.B NO_COLOR',
    'When set, the text report is not coloured (it is coloured only on a terminal anyway).',
    '.SH SEE ALSO',
    'The README shipped with the package: formats, rules, the daemon and its configuration.',
    '\\fBauthwatch config schema\\fR and \\fBauthwatch rules schema\\fR print JSON Schemas for editors.',
    '',
  ].join('\n');
}

export async function manCommand(program: Command, version: string): Promise<void> {
  await stdout().write(manPage(program, version));
}
