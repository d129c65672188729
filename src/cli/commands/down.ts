/**
 * `down`: stop and remove the project's containers and networks (volumes with
 * -v, images with --rmi). `down SERVICE...` removes the containers of those
 * services and of the services that depend on them, and keeps the networks,
 * named volumes and images the rest of the project uses.
 */
import type { Command } from '../command.js';
import { flag, parseOptions, stringOption } from '../args.js';
import { UsageError } from '../../errors/index.js';
import { checkServices, projectNameOnly, removeOrphans, runStreamed, withEngine } from '../session.js';
import type { ActionRequest } from '../../engine/api/protocol.js';
import { buildDependencyGraph } from '../../graph/dependency-graph.js';

const OPTIONS = [
  { name: 'volumes', short: 'v', type: 'boolean' as const },
  { name: 'remove-orphans', type: 'boolean' as const },
  { name: 'rmi', type: 'string' as const },
  { name: 'timeout', short: 't', type: 'string' as const },
];

export const command: Command = {
  usage: 'tsc-compose down [-v] [--rmi all|local] [--remove-orphans] [-t S] [SERVICE...]',
  async run(args, global, io) {
    const { options, positionals } = parseOptions(args, OPTIONS);
    const rmi = stringOption(options, 'rmi');
    if (rmi !== undefined && rmi !== 'all' && rmi !== 'local') throw new UsageError(`invalid --rmi "${rmi}": expected all or local`);
    const timeout = stringOption(options, 'timeout');
    if (timeout !== undefined && !/^\d+$/.test(timeout)) throw new UsageError(`invalid --timeout "${timeout}": expected seconds`);
    const timeoutS = timeout !== undefined ? Number(timeout) : undefined;
    if (positionals.length > 0 && rmi !== undefined) throw new UsageError('--rmi removes the images of the whole project: it does not go with SERVICE names (down SERVICE... removes containers only)');
    const target = await projectNameOnly(global, io);
    await checkServices(target, positionals);
    if (positionals.length === 0) {
      await withEngine((client) =>
        runStreamed(
          client,
          '/v1/down',
          { projectName: target.name, ref: target.ref, options: { volumes: flag(options, 'volumes'), removeOrphans: flag(options, 'remove-orphans'), rmi, timeoutS } },
          global,
          io,
          { title: 'Removing' },
        ),
      );
      return 0;
    }
    if (flag(options, 'remove-orphans') && !target.ref) throw new UsageError('--remove-orphans needs the compose file: it is what tells which containers are orphans');
    // As docker compose: what depends on a service removed goes with it.
    const graph = target.ref ? buildDependencyGraph(target.ref.project) : undefined;
    const services = [...new Set([...positionals, ...positionals.flatMap((s) => graph?.dependentsOf(s, { transitive: true }) ?? [])])];
    const request: ActionRequest = { projectName: target.name, project: target.ref?.project, services, action: 'rm', stopFirst: true, force: true, volumes: flag(options, 'volumes'), timeoutS };
    await withEngine(async (client) => {
      await runStreamed(client, '/v1/action', request, global, io, { title: 'Removing' });
      if (flag(options, 'remove-orphans')) await removeOrphans(client, target, timeoutS, global, io);
    });
    return 0;
  },
};
