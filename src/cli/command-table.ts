/**
 * The one table of commands: name, summary (for `--help`) and how to load it
 * (each command loads only what it uses).
 */
import type { Command } from './command.js';

export interface CommandEntry {
  summary: string;
  load: () => Promise<Command>;
}

const lifecycle = (verb: string) => async (): Promise<Command> => (await import('./commands/lifecycle.js')).lifecycleCommand(verb);
const query = (name: 'ls' | 'events' | 'wait' | 'port' | 'stats') => async (): Promise<Command> => (await import('./commands/queries.js'))[name];

/** Every command, in the order `--help` lists them. */
export const COMMANDS: Readonly<Record<string, CommandEntry>> = {
  config: { summary: 'Parse, resolve and render compose file in canonical format', load: async () => (await import('./commands/config.js')).command },
  cp: { summary: 'Copy files/folders between a service container and the local filesystem', load: async () => (await import('./commands/cp.js')).command },
  create: { summary: 'Creates containers for a service', load: async () => (await import('./commands/up.js')).createCommand },
  down: { summary: 'Stop and remove containers, networks', load: async () => (await import('./commands/down.js')).command },
  engine: { summary: 'Manage the tsc-compose engine (run, status, stop, reload, logs, install)', load: async () => (await import('./commands/engine.js')).command },
  events: { summary: 'Receive real time events from containers', load: query('events') },
  exec: { summary: 'Execute a command in a running container', load: async () => (await import('./commands/exec.js')).command },
  image: { summary: 'Manage images: ls, rm, prune, inspect, import, load, save', load: async () => (await import('./commands/image.js')).command },
  images: { summary: 'List images', load: async () => (await import('./commands/image.js')).images },
  kill: { summary: 'Force stop service containers', load: lifecycle('kill') },
  login: { summary: 'Log in to a registry', load: async () => (await import('./commands/login.js')).command },
  logout: { summary: 'Log out from a registry', load: async () => (await import('./commands/login.js')).logout },
  logs: { summary: 'View output from containers', load: async () => (await import('./commands/logs.js')).command },
  ls: { summary: 'List running compose projects', load: query('ls') },
  network: { summary: 'Manage networks (ls, inspect, prune)', load: async () => (await import('./commands/network.js')).command },
  pause: { summary: 'Pause services', load: lifecycle('pause') },
  port: { summary: 'Print the public port for a port binding', load: query('port') },
  ps: { summary: 'List containers', load: async () => (await import('./commands/ps.js')).command },
  pull: { summary: 'Pull service images', load: async () => (await import('./commands/pull.js')).command },
  restart: { summary: 'Restart service containers', load: lifecycle('restart') },
  rm: { summary: 'Removes containers', load: lifecycle('rm') },
  run: { summary: 'Run a one-off command on a service', load: async () => (await import('./commands/run.js')).command },
  start: { summary: 'Start services', load: lifecycle('start') },
  stats: { summary: 'Display a live stream of container(s) resource usage statistics', load: query('stats') },
  stop: { summary: 'Stop services', load: lifecycle('stop') },
  top: { summary: 'Display the running processes', load: async () => (await import('./commands/top.js')).command },
  unpause: { summary: 'Unpause services', load: lifecycle('unpause') },
  up: { summary: 'Create and start containers', load: async () => (await import('./commands/up.js')).command },
  version: { summary: 'Show the tsc-compose version information', load: async () => (await import('./commands/version.js')).command },
  volume: { summary: 'Manage volumes', load: async () => (await import('./commands/volume.js')).command },
  wait: { summary: 'Block until containers of all (or specified) services stop', load: query('wait') },
};
