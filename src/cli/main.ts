/**
 * The CLI's entry: global options, then a command loaded on demand (so
 * `--version` and every command load only what they use), one catch that maps
 * errors to messages and exit codes. The only place that calls process.exit.
 */
import { asksForHelp, parseOptions } from './args.js';
import { GLOBAL_OPTIONS, toGlobalOptions } from './global-options.js';
import { exitCodeFor, fromSystemError, isTscComposeError } from '../errors/index.js';
import { UsageError } from '../errors/index.js';
import { VERSION } from '../util/version.js';
import { COMMANDS } from './command-table.js';
import type { CommandEntry } from './command-table.js';
import type { CommandIO } from './command.js';

/** The commands that show their plan with `--dry-run` instead of carrying it out. */
const DRY_RUN_COMMANDS = ['up', 'create'];

export async function main(argv: string[]): Promise<void> {
  const io: CommandIO = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };
  let code: number;
  try {
    code = await run(argv, io);
  } catch (err) {
    code = reportError(err, io);
  }
  process.exitCode = code;
}

async function run(argv: string[], io: CommandIO): Promise<number> {
  const { options, positionals } = parseOptions(argv, GLOBAL_OPTIONS, true);
  if (options['version'] === true) {
    io.stdout.write(`tsc-compose version ${VERSION}\n`);
    return 0;
  }
  const [name, ...rest] = positionals;
  if (name === 'help' && rest[0] !== undefined) return printCommandHelp(rest[0], io);
  if (name === undefined || name === 'help' || options['help'] === true) {
    io.stdout.write(helpText());
    return name === undefined && options['help'] !== true ? 1 : 0;
  }
  const entry = commandEntry(name);
  const global = toGlobalOptions(options);
  if (global.dryRun && !DRY_RUN_COMMANDS.includes(name)) throw new UsageError(`--dry-run is supported by ${DRY_RUN_COMMANDS.join(' and ')} only (they print the plan instead of carrying it out); ${name} would act for real`);
  const command = await entry.load();
  if (asksForHelp(rest, command.passThrough)) return printCommandHelp(name, io);
  return command.run(rest, global, io);
}

function commandEntry(name: string): CommandEntry {
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!entry) throw new UsageError(`unknown command "${name}" for "tsc-compose"\nRun 'tsc-compose --help' for usage.`);
  return entry;
}

async function printCommandHelp(name: string, io: CommandIO): Promise<number> {
  const entry = commandEntry(name);
  const command = await entry.load();
  io.stdout.write(`Usage: ${command.usage}\n\n${entry.summary}\n`);
  return 0;
}

function reportError(raw: unknown, io: CommandIO): number {
  const err = fromSystemError(raw) ?? raw;
  if (isTscComposeError(err)) {
    if (err.category === 'internal') {
      io.stderr.write(`internal error: ${err.format()}\n${err.stack ?? ''}\nThis is a bug in tsc-compose; please report it.\n`);
    } else {
      io.stderr.write(`${err.format()}\n`);
    }
    return exitCodeFor(err);
  }
  const e = err as Error;
  io.stderr.write(`internal error: ${e?.message ?? String(err)}\n${e?.stack ?? ''}\nThis is a bug in tsc-compose; please report it.\n`);
  return 70;
}

function helpText(): string {
  const lines = Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(12)} ${c.summary}`);
  return `Usage:  tsc-compose [OPTIONS] COMMAND

Define and run multi-container applications with tsc-compose

Options:
  -f, --file stringArray         Compose configuration files
  -p, --project-name string      Project name
      --project-directory string Specify an alternate working directory
      --env-file stringArray     Specify an alternate environment file
      --profile stringArray      Specify a profile to enable
      --ansi string              Control when to print ANSI control characters ("never"|"always"|"auto")
      --progress string          Set type of progress output (auto, tty, plain, json, quiet)
      --dry-run                  Print the plan of up/create instead of carrying it out
  -v, --version                  Show the tsc-compose version information

Commands:
${lines.join('\n')}
`;
}
