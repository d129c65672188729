/** `down`: stop and remove the project's containers and networks (volumes with -v, images with --rmi). */
import type { Command } from '../command.js';
import { flag, parseOptions, stringOption } from '../args.js';
import { UsageError } from '../../errors/index.js';
import { projectNameOnly, runStreamed, withEngine } from '../session.js';

const OPTIONS = [
  { name: 'volumes', short: 'v', type: 'boolean' as const },
  { name: 'remove-orphans', type: 'boolean' as const },
  { name: 'rmi', type: 'string' as const },
  { name: 'timeout', short: 't', type: 'string' as const },
];

export const command: Command = {
  usage: 'tsc-compose down [-v] [--rmi all|local] [--remove-orphans] [-t S]',
  async run(args, global, io) {
    const { options } = parseOptions(args, OPTIONS);
    const rmi = stringOption(options, 'rmi');
    if (rmi !== undefined && rmi !== 'all' && rmi !== 'local') throw new UsageError(`invalid --rmi "${rmi}": expected all or local`);
    const timeout = stringOption(options, 'timeout');
    const { name, ref } = await projectNameOnly(global, io);
    await withEngine((client) =>
      runStreamed(
        client,
        '/v1/down',
        { projectName: name, ref, options: { volumes: flag(options, 'volumes'), removeOrphans: flag(options, 'remove-orphans'), rmi, timeoutS: timeout !== undefined ? Number(timeout) : undefined } },
        global,
        io,
        { title: 'Removing' },
      ),
    );
    return 0;
  },
};
