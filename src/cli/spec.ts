/**
 * The command tree as data, read from the commander program through commander's own Help (the code
 * that prints --help): the man page and the shell completions are generated from it, so they list
 * exactly the commands, options, defaults and choices that --help does.
 */
import type { Argument, Command, Option } from 'commander';

/** What completes a value: one of the choices, a file, a directory, or nothing to suggest. */
export type ValueKind = { choices: readonly string[] } | 'file' | 'dir' | 'other';

export interface OptionSpec {
  /** As in --help: `-o, --out <file>`. */
  term: string;
  /** As in --help, with the default and the choices. */
  description: string;
  names: string[];
  /** What the option's value is; undefined for a flag. */
  value?: ValueKind;
}

export interface ArgumentSpec {
  term: string;
  description: string;
  variadic: boolean;
  value: ValueKind;
}

export interface CommandSpec {
  /** Words after `authwatch`: [] for the program, ['rules', 'check'] for `authwatch rules check`. */
  path: string[];
  usage: string;
  summary: string;
  options: OptionSpec[];
  arguments: ArgumentSpec[];
  commands: CommandSpec[];
}

/** From the value's placeholder in the option's flags (`<file>`, `<dir>`) or the argument's name. */
function valueKind(placeholder: string, choices: readonly string[] | undefined): ValueKind {
  if (choices !== undefined && choices.length > 0) return { choices };
  if (/^files?$/.test(placeholder)) return 'file';
  if (placeholder === 'dir') return 'dir';
  return 'other';
}

function optionSpec(cmd: Command, o: Option): OptionSpec {
  const placeholder = /[<[]([^>\]]+?)(?:\.\.\.)?[>\]]/.exec(o.flags)?.[1];
  return {
    term: cmd.createHelp().optionTerm(o),
    description: cmd.createHelp().optionDescription(o),
    names: [o.short, o.long].filter((n): n is string => n !== undefined),
    value: placeholder === undefined ? undefined : valueKind(placeholder, o.argChoices),
  };
}

function argumentSpec(cmd: Command, a: Argument): ArgumentSpec {
  return { term: cmd.createHelp().argumentTerm(a), description: cmd.createHelp().argumentDescription(a), variadic: a.variadic, value: valueKind(a.name(), a.argChoices) };
}

export function commandSpec(cmd: Command, path: string[] = []): CommandSpec {
  const help = cmd.createHelp();
  return {
    path,
    usage: help.commandUsage(cmd),
    summary: cmd.description(),
    options: help.visibleOptions(cmd).map((o) => optionSpec(cmd, o)),
    arguments: help.visibleArguments(cmd).map((a) => argumentSpec(cmd, a)),
    // commander's implicit `help` command is left out: `--help` is offered on every command.
    commands: help.visibleCommands(cmd).filter((c) => c.name() !== 'help').map((c) => commandSpec(c, [...path, c.name()])),
  };
}

/** Every command of the tree, the program first, parents before their subcommands. */
export function allCommands(spec: CommandSpec): CommandSpec[] {
  return [spec, ...spec.commands.flatMap(allCommands)];
}
