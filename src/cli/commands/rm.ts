/** `tsc-compose rm [-f] [-s] CONTAINER|SERVICE...`: removes stopped (or, with -f/-s, running) containers. */
import type { Command } from '../main.js';
import { flag, parseOptions } from '../args.js';
import { openHost } from '../host.js';
import { TscComposeError, UsageError } from '../../errors/index.js';

export const command: Command = {
  summary: 'Removes containers',
  usage: 'tsc-compose rm [-f] [-s] CONTAINER|SERVICE...',
  async run(args, _global, io) {
    const { options, positionals } = parseOptions(args, [
      { name: 'force', short: 'f', type: 'boolean' },
      { name: 'stop', short: 's', type: 'boolean' },
      { name: 'volumes', short: 'v', type: 'boolean' },
    ]);
    if (positionals.length === 0) throw new UsageError('rm requires at least one container or service');
    const host = openHost();
    const all = host.runtime.list();
    for (const target of positionals) {
      const matches = all.filter((c) => c.name === target || c.id === target || c.labels['com.docker.compose.service'] === target);
      if (matches.length === 0) throw new TscComposeError('TSC_NO_SUCH_CONTAINER', 'not-found', `no such container: ${target}`);
      for (const c of matches) {
        if (host.runtime.isRunning(c.id)) {
          if (!flag(options, 'force') && !flag(options, 'stop')) {
            throw new TscComposeError('TSC_CONTAINER_RUNNING', 'conflict', `container ${c.name} is running: stop it first or use -f`);
          }
          await host.runtime.stop(c.id, c.stopSignal, flag(options, 'force') ? 0 : c.stopTimeoutMs);
        }
        await host.runtime.remove(c.id);
        io.stdout.write(`${c.name}\n`);
      }
    }
    return 0;
  },
};
