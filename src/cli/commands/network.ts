/** `network ls|inspect|prune`: the engine's bridge networks. */
import type { Command } from '../command.js';
import { flag, parseOptions, stringOption } from '../args.js';
import { TscComposeError, UsageError } from '../../errors/index.js';
import { withEngine } from '../session.js';
import { confirm } from '../prompt.js';
import { subcommandOf } from '../subcommands.js';
import { unreachable } from '../../errors/index.js';
import type { Engine } from '../../engine/engine.js';
import { formatTable } from '../../ui/table.js';

type NetworkInfo = ReturnType<Engine['networks']>[number];

const SUBCOMMANDS = ['ls', 'list', 'inspect', 'prune'] as const;

export const command: Command = {
  usage: 'tsc-compose network ls [-q] [--format table|json] | inspect NAME... | prune [-f]',
  async run(args, _global, io) {
    // Usage errors are found (and the prune question asked) before the engine is reached, and started.
    const sub = subcommandOf('network', args[0], SUBCOMMANDS, 'ls, inspect or prune');
    const rest = args.slice(1);
    switch (sub) {
      case 'ls':
      case 'list': {
        const { options } = parseOptions(rest, [
          { name: 'quiet', short: 'q', type: 'boolean' },
          { name: 'format', type: 'string' },
        ]);
        const format = stringOption(options, 'format') ?? 'table';
        if (format !== 'table' && format !== 'json') throw new UsageError(`invalid --format "${format}": expected table or json`);
        const list = await withEngine((client) => client.json<NetworkInfo[]>('GET', '/v1/networks'));
        if (flag(options, 'quiet')) io.stdout.write(list.map((n) => `${n.Name}\n`).join(''));
        else if (format === 'json') io.stdout.write(list.map((n) => `${JSON.stringify(n)}\n`).join(''));
        else io.stdout.write(formatTable(['NETWORK ID', 'NAME', 'DRIVER', 'SCOPE', 'SUBNET'], list.map((n) => [n.Id, n.Name, n.Driver, n.Scope, n.IPAM.Subnet])));
        return 0;
      }
      case 'inspect': {
        const { positionals } = parseOptions(rest, []);
        if (positionals.length === 0) throw new UsageError('network inspect requires at least one NAME');
        const list = await withEngine((client) => client.json<NetworkInfo[]>('GET', '/v1/networks'));
        const out = positionals.map((name) => {
          const n = list.find((x) => x.Name === name || x.Id === name);
          if (!n) throw new TscComposeError('TSC_NO_SUCH_NETWORK', `no such network: ${name}`);
          return n;
        });
        io.stdout.write(`${JSON.stringify(out, null, 4)}\n`);
        return 0;
      }
      case 'prune': {
        const { options, positionals } = parseOptions(rest, [{ name: 'force', short: 'f', type: 'boolean' }]);
        if (positionals.length > 0) throw new UsageError('network prune takes no NAME');
        if (!flag(options, 'force') && !(await confirm('WARNING! This will remove all networks not used by at least one container.\nAre you sure you want to continue?', io))) return 0;
        const removed = await withEngine((client) => client.json<string[]>('POST', '/v1/networks/prune'));
        io.stdout.write(removed.length > 0 ? `Deleted Networks:\n${removed.map((n) => `${n}\n`).join('')}` : '');
        return 0;
      }
      default:
        return unreachable(sub);
    }
  },
};
