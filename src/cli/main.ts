/**
 * The CLI's entry: global options, then a command loaded on demand (so
 * `--version` and every command load only what they use), one catch that maps
 * errors to messages and exit codes. The only place that calls process.exit.
 */
import { parseOptions } from './args.js';
import { GLOBAL_OPTIONS, toGlobalOptions } from './global-options.js';
import type { GlobalOptions } from './global-options.js';
import { exitCodeFor, fromSystemError, isTscComposeError } from '../errors/index.js';
import { UsageError } from '../errors/index.js';
import { VERSION } from './version.js';

export interface CommandIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export interface Command {
  summary: string;
  usage: string;
  run(args: string[], global: GlobalOptions, io: CommandIO): Promise<number>;
}

type CommandLoader = () => Promise<{ command: Command }>;

const lifecycle = (verb: string): CommandLoader => async () => ({ command: (await import('./commands/lifecycle.js')).lifecycleCommand(verb) });
const query = (name: 'ls' | 'events' | 'wait' | 'port' | 'stats'): CommandLoader => async () => ({ command: (await import('./commands/queries.js'))[name] });

const COMMANDS: Record<string, CommandLoader> = {
  config: () => import('./commands/config.js'),
  cp: () => import('./commands/cp.js'),
  create: async () => ({ command: (await import('./commands/up.js')).createCommand }),
  down: () => import('./commands/down.js'),
  engine: () => import('./commands/engine.js'),
  events: query('events'),
  kill: lifecycle('kill'),
  logs: () => import('./commands/logs.js'),
  network: () => import('./commands/network.js'),
  ls: query('ls'),
  pause: lifecycle('pause'),
  port: query('port'),
  ps: () => import('./commands/ps.js'),
  restart: lifecycle('restart'),
  start: lifecycle('start'),
  stats: query('stats'),
  stop: lifecycle('stop'),
  top: () => import('./commands/top.js'),
  unpause: lifecycle('unpause'),
  up: () => import('./commands/up.js'),
  volume: () => import('./commands/volume.js'),
  wait: query('wait'),
  exec: () => import('./commands/exec.js'),
  image: () => import('./commands/image.js'),
  images: async () => {
    const { command } = await import('./commands/image.js');
    return { command: { ...command, run: (args, global, io) => command.run(['ls', ...args], global, io) } };
  },
  login: () => import('./commands/login.js'),
  logout: async () => ({ command: (await import('./commands/login.js')).logout }),
  pull: () => import('./commands/pull.js'),
  rm: lifecycle('rm'),
  run: () => import('./commands/run.js'),
  version: () => import('./commands/version.js'),
};

const SUMMARIES: Record<string, string> = {
  config: 'Parse, resolve and render compose file in canonical format',
  cp: 'Copy files/folders between a service container and the local filesystem',
  create: 'Creates containers for a service',
  down: 'Stop and remove containers, networks',
  engine: 'Manage the tsc-compose engine (run, status, stop, logs, install)',
  events: 'Receive real time events from containers',
  kill: 'Force stop service containers',
  logs: 'View output from containers',
  network: 'Manage networks (ls, inspect, prune)',
  ls: 'List running compose projects',
  pause: 'Pause services',
  port: 'Print the public port for a port binding',
  ps: 'List containers',
  restart: 'Restart service containers',
  start: 'Start services',
  stats: 'Display a live stream of container(s) resource usage statistics',
  stop: 'Stop services',
  top: 'Display the running processes',
  unpause: 'Unpause services',
  up: 'Create and start containers',
  volume: 'Manage volumes',
  wait: 'Block until containers of all (or specified) services stop',
  exec: 'Execute a command in a running container',
  image: 'Manage images: ls, rm, prune, inspect, import, load, save',
  images: 'List images',
  login: 'Log in to a registry',
  logout: 'Log out from a registry',
  pull: 'Pull service images',
  rm: 'Removes containers',
  run: 'Run a one-off command on a service',
  version: 'Show the tsc-compose version information',
};

export async function main(argv: string[]): Promise<void> {
  const io: CommandIO = { stdout: process.stdout, stderr: process.stderr };
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
  if (name === undefined || name === 'help' || options['help'] === true) {
    io.stdout.write(helpText());
    return name === undefined && options['help'] !== true ? 1 : 0;
  }
  const load = COMMANDS[name];
  if (!load) throw new UsageError(`unknown command "${name}" for "tsc-compose"\nRun 'tsc-compose --help' for usage.`);
  const global = toGlobalOptions(options);
  const { command } = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(`Usage: ${command.usage}\n\n${command.summary}\n`);
    return 0;
  }
  return command.run(rest, global, io);
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
  const lines = Object.entries(SUMMARIES).map(([n, s]) => `  ${n.padEnd(12)} ${s}`);
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
  -v, --version                  Show the tsc-compose version information

Commands:
${lines.join('\n')}
`;
}
