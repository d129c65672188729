/** `cp SERVICE:SRC DEST` / `cp SRC SERVICE:DEST`: files between the host and a running service container. */
import type { Command } from '../command.js';
import { flag, parseOptions, stringOption } from '../args.js';
import { TscComposeError, UsageError } from '../../errors/index.js';
import { checkServices, projectNameOnly, withEngine } from '../session.js';
import type { ContainerSummary } from '../../engine/api/protocol.js';
import { copyFromContainer, copyToContainer } from '../../runtime/copy.js';
import { Runtime } from '../../runtime/container.js';
import { stateLayout, stateRoots } from '../../state/roots.js';

function split(arg: string): { service?: string; path: string } {
  const m = /^([a-zA-Z0-9][a-zA-Z0-9_.-]*):(.*)$/.exec(arg);
  return m ? { service: m[1], path: m[2] as string } : { path: arg };
}

export const command: Command = {
  usage: 'tsc-compose cp [-a] [--index N] SERVICE:SRC_PATH DEST_PATH | SRC_PATH SERVICE:DEST_PATH (owner, group, mode and times are kept)',
  async run(args, global, io) {
    const { options, positionals } = parseOptions(args, [
      { name: 'index', type: 'string' },
      { name: 'archive', short: 'a', type: 'boolean' },
      { name: 'follow-link', short: 'L', type: 'boolean' },
    ]);
    const [from, to] = positionals;
    if (!from || !to) throw new UsageError('cp requires a source and a destination');
    const src = split(from);
    const dest = split(to);
    if ((src.service === undefined) === (dest.service === undefined)) throw new UsageError('cp: exactly one of source and destination must be SERVICE:PATH');
    const service = (src.service ?? dest.service) as string;
    if (flag(options, 'follow-link')) throw new UsageError('cp -L/--follow-link is not supported yet: a symbolic link at SRC_PATH is copied as the link itself');
    // -a: owner, group and set-id bits kept; without it, docker cp's ownership (see runtime/copy.ts CopyOptions).
    const copyOptions = { archive: flag(options, 'archive') };
    const indexText = stringOption(options, 'index') ?? '1';
    if (!/^[1-9]\d*$/.test(indexText)) throw new UsageError(`invalid --index "${indexText}": expected a container number (1, 2, ...)`);
    const index = Number(indexText);
    const project = await projectNameOnly(global, io);
    const { name } = project;
    await checkServices(project, [service], { containerNames: true });
    const list = await withEngine((c) => c.json<ContainerSummary[]>('GET', `/v1/ps?project=${encodeURIComponent(name)}&all=1`));
    const c = list.find((x) => (x.Service === service || x.Name === service) && (x.Name === service || x.Number === index) && !x.OneOff);
    if (!c) throw new TscComposeError('TSC_NO_CONTAINER', `service "${service}" has no container`, { service });
    // A running container is reached through its root as the kernel shows it; a stopped one through its layers.
    const runtime = new Runtime(stateLayout(stateRoots()));
    const config = runtime.readConfig(c.ID);
    if (!config) throw new TscComposeError('TSC_NO_CONTAINER', `container ${c.Name} has no configuration`, { service });
    const paths = runtime.paths(c.ID);
    const running = runtime.isRunning(c.ID);
    const target = { ...(running ? { pid: runtime.state(c.ID)?.pid as number } : {}), lowerDirs: config.image.lowerDirs, upper: paths.upper, rootfs: paths.rootfs };
    if (src.service) copyFromContainer(target, src.path, dest.path, copyOptions);
    else copyToContainer(target, src.path, dest.path, copyOptions);
    return 0;
  },
};
