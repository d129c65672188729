/** `top [SERVICE...]`: the running processes of each container, from its cgroup. */
import type { Command } from '../command.js';
import { parseOptions } from '../args.js';
import { checkServices, projectNameOnly, withEngine } from '../session.js';
import type { ContainerSummary } from '../../engine/api/protocol.js';
import { Runtime } from '../../runtime/container.js';
import { stateLayout, stateRoots } from '../../state/roots.js';
import { listContainerProcesses } from '../../runtime/top.js';
import { formatTable } from '../../ui/table.js';

export const command: Command = {
  usage: 'tsc-compose top [SERVICE...]',
  async run(args, global, io) {
    const { positionals } = parseOptions(args, []);
    const target = await projectNameOnly(global, io);
    const { name } = target;
    await checkServices(target, positionals);
    const list = await withEngine((c) => c.json<ContainerSummary[]>('GET', `/v1/ps?project=${encodeURIComponent(name)}`));
    const runtime = new Runtime(stateLayout(stateRoots()));
    for (const c of list.filter((x) => positionals.length === 0 || positionals.includes(x.Service))) {
      const pids = await runtime.cgroup(c.ID).pids();
      const { headers, rows } = listContainerProcesses(pids);
      io.stdout.write(`${c.Name}\n${formatTable(headers, rows)}\n`);
    }
    return 0;
  },
};
