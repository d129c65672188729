/**
 * `down`: stop and remove the project's containers and networks (volumes with
 * -v, images with --rmi: `all` those of every service, `local` only those made
 * for build-only services). `down SERVICE...` removes the containers of those
 * services and of the services that depend on them, and keeps the networks,
 * named volumes and images the rest of the project uses.
 */
import type { Command, CommandIO } from '../command.js';
import type { Project } from '../../compose/model.js';
import { flag, parseOptions, stringOption } from '../args.js';
import { UsageError } from '../../errors/index.js';
import { checkServices, projectNameOnly, removeOrphans, runStreamed, withEngine } from '../session.js';
import type { ActionRequest } from '../../engine/api/protocol.js';
import { buildDependencyGraph } from '../../graph/dependency-graph.js';

/**
 * `--rmi local|all`: the images of build-only services, `<project>-<service>`
 * (docker compose's "images that don't have a custom tag"; here they come
 * from `up --no-build`), unless a container still uses one.
 */
async function removeBuiltImages(project: Project, io: CommandIO): Promise<void> {
  const { openHost } = await import('../../engine/host.js');
  const host = openHost();
  const used = new Set(host.runtime.list().map((c) => c.image.reference));
  for (const [name, service] of Object.entries(project.services)) {
    if (service.image !== undefined || service.build === undefined) continue;
    const record = host.images.find(`${project.name}-${name}`);
    if (!record || used.has(record.reference)) continue;
    host.images.remove(record.reference);
    io.stderr.write(`Image ${project.name}-${name} Removed\n`);
  }
}

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
      if (rmi === 'local' && !target.ref) throw new UsageError('--rmi local needs the compose file: it is what tells which images were built for the project');
      // The engine removes the images services name (`all`); the images made for build-only services are the CLI's to remove (both values).
      const engineRmi = rmi === 'all' ? 'all' : undefined;
      await withEngine((client) =>
        runStreamed(
          client,
          '/v1/down',
          { projectName: target.name, ref: target.ref, options: { volumes: flag(options, 'volumes'), removeOrphans: flag(options, 'remove-orphans'), rmi: engineRmi, timeoutS } },
          global,
          io,
          { title: 'Removing' },
        ),
      );
      if (rmi !== undefined && target.ref) await removeBuiltImages(target.ref.project, io);
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
