/** `volume ls|inspect|rm|prune|create`: named volumes (a volume a container uses is never removed). */
import type { Command } from '../command.js';
import { flag, parseOptions, stringOption } from '../args.js';
import { TscComposeError, UsageError } from '../../errors/index.js';
import { openHost } from '../../engine/host.js';
import type { Host } from '../../engine/host.js';
import { formatTable } from '../../ui/table.js';
import { projectNameOnly } from '../session.js';
import { confirm } from '../prompt.js';
import { subcommandOf } from '../subcommands.js';
import { unreachable } from '../../errors/index.js';

function usersOf(host: ReturnType<typeof openHost>, mountpoint: string): string[] {
  return host.runtime
    .list()
    .filter((c) => c.mounts.some((m) => m.type === 'volume' && m.source === mountpoint))
    .map((c) => c.name);
}

const SUBCOMMANDS = ['ls', 'list', 'inspect', 'create', 'rm', 'remove', 'prune'] as const;

export const command: Command = {
  usage: 'tsc-compose volume ls [-q] [--format table|json] | inspect NAME... | rm [-f] NAME... | prune [-a] [-f] | create [-d local] NAME',
  async run(args, global, io) {
    const sub = subcommandOf('volume', args[0], SUBCOMMANDS, 'ls, inspect, create, rm or prune');
    const rest = args.slice(1);
    // Opened on first use: a usage error leaves the host's state alone.
    let opened: Host | undefined;
    const host = (): Host => (opened ??= openHost());
    switch (sub) {
      case 'ls':
      case 'list': {
        const { options } = parseOptions(rest, [
          { name: 'quiet', short: 'q', type: 'boolean' },
          { name: 'format', type: 'string' },
        ]);
        const format = stringOption(options, 'format') ?? 'table';
        if (format !== 'table' && format !== 'json') throw new UsageError(`invalid --format "${format}": expected table or json`);
        let project: string | undefined;
        try {
          project = (await projectNameOnly(global, io)).name;
        } catch {
          project = undefined;
        }
        const list = host().volumes.list().filter((v) => !project || v.labels['com.docker.compose.project'] === project);
        if (flag(options, 'quiet')) io.stdout.write(list.map((v) => `${v.name}\n`).join(''));
        else if (format === 'json') io.stdout.write(`${list.map((v) => JSON.stringify({ Name: v.name, Driver: v.driver, Labels: v.labels, Mountpoint: v.mountpoint, CreatedAt: v.createdAt })).join('\n')}\n`);
        else io.stdout.write(formatTable(['DRIVER', 'VOLUME NAME'], list.map((v) => [v.driver, v.name])));
        return 0;
      }
      case 'inspect': {
        if (rest.length === 0) throw new UsageError('volume inspect requires at least one NAME');
        const out = rest.map((name) => {
          const v = host().volumes.get(name);
          if (!v) throw new TscComposeError('TSC_NO_SUCH_VOLUME', `no such volume: ${name}`);
          return { Name: v.name, Driver: v.driver, Mountpoint: v.mountpoint, Labels: v.labels, Options: v.options, CreatedAt: v.createdAt, Scope: 'local' };
        });
        io.stdout.write(`${JSON.stringify(out, null, 4)}\n`);
        return 0;
      }
      case 'create': {
        const { options, positionals } = parseOptions(rest, [{ name: 'driver', short: 'd', type: 'string' }]);
        const name = positionals[0];
        if (!name) throw new UsageError('volume create requires a NAME');
        if (positionals.length > 1) throw new UsageError('volume create takes one NAME');
        const driver = stringOption(options, 'driver');
        host().volumes.ensure(name, driver !== undefined ? { driver } : {});
        io.stdout.write(`${name}\n`);
        return 0;
      }
      case 'rm':
      case 'remove': {
        const { options, positionals } = parseOptions(rest, [{ name: 'force', short: 'f', type: 'boolean' }]);
        if (positionals.length === 0) throw new UsageError('volume rm requires at least one NAME');
        // As docker's -f: a volume that is not there is not an error (one in use still is).
        const present = flag(options, 'force') ? positionals.filter((name) => host().volumes.get(name) !== undefined) : positionals;
        for (const name of present) {
          const v = host().volumes.get(name);
          if (!v) throw new TscComposeError('TSC_NO_SUCH_VOLUME', `no such volume: ${name}`);
          const users = usersOf(host(), v.mountpoint);
          if (users.length > 0) throw new TscComposeError('TSC_VOLUME_IN_USE', `volume ${name} is in use by ${users.join(', ')}`);
        }
        for (const name of present) {
          host().volumes.remove(name);
          io.stdout.write(`${name}\n`);
        }
        return 0;
      }
      case 'prune': {
        const { options } = parseOptions(rest, [
          { name: 'all', short: 'a', type: 'boolean' },
          { name: 'force', short: 'f', type: 'boolean' },
        ]);
        const question = flag(options, 'all') ? 'WARNING! This will remove all local volumes not used by at least one container.' : 'WARNING! This will remove anonymous local volumes not used by at least one container.';
        if (!flag(options, 'force') && !(await confirm(`${question}\nAre you sure you want to continue?`, io))) return 0;
        let reclaimed = 0;
        for (const v of host().volumes.list()) {
          if (usersOf(host(), v.mountpoint).length > 0) continue;
          // Like Docker: without -a only anonymous volumes go.
          if (!flag(options, 'all') && !v.name.includes('-anon-')) continue;
          host().volumes.remove(v.name);
          io.stdout.write(`${v.name}\n`);
          reclaimed++;
        }
        io.stdout.write(`Deleted ${reclaimed} volume(s)\n`);
        return 0;
      }
      default:
        return unreachable(sub);
    }
  },
};
