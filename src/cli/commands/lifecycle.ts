/** start, stop, restart, kill, pause, unpause, rm: the engine acts on the project's containers (in dependency order where it matters). */
import type { Command } from '../command.js';
import { flag, parseOptions, stringOption } from '../args.js';
import type { OptionSpec } from '../args.js';
import { UsageError } from '../../errors/index.js';
import { projectNameOnly, runStreamed, withEngine } from '../session.js';
import type { ActionRequest, ContainerAction, ContainerSummary } from '../../engine/api/protocol.js';

interface Verb {
  action: ContainerAction;
  usage: string;
  options: OptionSpec[];
  title: string;
}

const TIMEOUT: OptionSpec = { name: 'timeout', short: 't', type: 'string' };

const VERBS: Record<string, Verb> = {
  start: { action: 'start', usage: 'tsc-compose start [SERVICE...]', options: [{ name: 'wait', type: 'boolean' }], title: 'Starting' },
  stop: { action: 'stop', usage: 'tsc-compose stop [-t S] [SERVICE...]', options: [TIMEOUT], title: 'Stopping' },
  restart: { action: 'restart', usage: 'tsc-compose restart [-t S] [--no-deps] [SERVICE...]', options: [TIMEOUT, { name: 'no-deps', type: 'boolean' }], title: 'Restarting' },
  kill: { action: 'kill', usage: 'tsc-compose kill [-s SIGNAL] [--remove-orphans] [SERVICE...]', options: [{ name: 'signal', short: 's', type: 'string' }, { name: 'remove-orphans', type: 'boolean' }], title: 'Killing' },
  pause: { action: 'pause', usage: 'tsc-compose pause [SERVICE...]', options: [], title: 'Pausing' },
  unpause: { action: 'unpause', usage: 'tsc-compose unpause [SERVICE...]', options: [], title: 'Unpausing' },
  rm: {
    action: 'rm',
    usage: 'tsc-compose rm [-f] [-s] [-v] [SERVICE...]',
    options: [
      { name: 'force', short: 'f', type: 'boolean' },
      { name: 'stop', short: 's', type: 'boolean' },
      { name: 'volumes', short: 'v', type: 'boolean' },
      { name: 'all', short: 'a', type: 'boolean' },
    ],
    title: 'Removing',
  },
};

export function lifecycleCommand(verb: string): Command {
  const v = VERBS[verb] as Verb;
  return {
    usage: v.usage,
    async run(args, global, io) {
      const { options, positionals } = parseOptions(args, v.options);
      const timeout = stringOption(options, 'timeout');
      if (timeout !== undefined && !/^\d+$/.test(timeout)) throw new UsageError(`invalid --timeout "${timeout}": expected seconds`);
      const { name, ref } = await projectNameOnly(global, io);
      // `rm` also takes container names (one-off containers made by `run --name`).
      if (ref && v.action !== 'rm') for (const s of positionals) if (!ref.project.services[s]) throw new UsageError(`no such service: ${s}`);
      const request: ActionRequest = {
        projectName: name,
        project: ref?.project,
        services: positionals,
        action: v.action,
        signal: stringOption(options, 'signal'),
        timeoutS: timeout !== undefined ? Number(timeout) : undefined,
        force: flag(options, 'force'),
        stopFirst: flag(options, 'stop'),
        volumes: flag(options, 'volumes'),
      };
      return withEngine(async (client) => {
        if (v.action === 'rm' && !request.force && !request.stopFirst) {
          const all = await client.json<ContainerSummary[]>('GET', `/v1/ps?project=${encodeURIComponent(name)}&all=1`);
          const stopped = all.filter((c) => c.State !== 'running' && c.State !== 'paused' && (positionals.length === 0 || positionals.includes(c.Service)));
          if (stopped.length === 0) {
            io.stderr.write('No stopped containers\n');
            return 0;
          }
          request.force = true;
        }
        await runStreamed(client, '/v1/action', request, global, io, { title: v.title });
        return 0;
      });
    },
  };
}
