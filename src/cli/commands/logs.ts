/** `logs`: the services' output, merged; with -f it follows restarts and new containers. */
import type { Command } from '../command.js';
import { flag, parseOptions, stringOption } from '../args.js';
import { TscComposeError, UsageError } from '../../errors/index.js';
import { checkServices, projectNameOnly, withEngine } from '../session.js';
import type { ContainerSummary } from '../../engine/api/protocol.js';
import { LogPrinter } from '../../ui/log-printer.js';
import { useColor } from '../terminal.js';

const OPTIONS = [
  { name: 'follow', short: 'f', type: 'boolean' as const },
  { name: 'tail', short: 'n', type: 'string' as const },
  { name: 'since', type: 'string' as const },
  { name: 'until', type: 'string' as const },
  { name: 'timestamps', short: 't', type: 'boolean' as const },
  { name: 'no-color', type: 'boolean' as const },
  { name: 'no-log-prefix', type: 'boolean' as const },
  { name: 'index', type: 'string' as const },
];

export const command: Command = {
  usage: 'tsc-compose logs [-f] [-n/--tail N] [--since T] [--until T] [-t] [--no-color] [--no-log-prefix] [--index N] [SERVICE...]',
  async run(args, global, io) {
    const { options, positionals } = parseOptions(args, OPTIONS);
    const tail = stringOption(options, 'tail');
    if (tail !== undefined && tail !== 'all' && !/^\d+$/.test(tail)) throw new UsageError(`invalid --tail "${tail}": expected a number or "all"`);
    const index = stringOption(options, 'index');
    if (index !== undefined && !/^[1-9]\d*$/.test(index)) throw new UsageError(`invalid --index "${index}": expected a container number (1, 2, ...)`);
    const target = await projectNameOnly(global, io);
    const { name } = target;
    await checkServices(target, positionals);
    return withEngine(async (client) => {
      const containers = await client.json<ContainerSummary[]>('GET', `/v1/ps?project=${encodeURIComponent(name)}&all=1`);
      const printer = new LogPrinter({
        out: io.stdout,
        names: containers.map((c) => c.Name),
        color: !flag(options, 'no-color') && useColor(global, io.stdout as NodeJS.WriteStream),
        prefix: !flag(options, 'no-log-prefix'),
        timestamps: flag(options, 'timestamps'),
      });
      const q = new URLSearchParams({ project: name });
      for (const s of positionals) q.append('service', s);
      if (flag(options, 'follow')) q.set('follow', '1');
      if (tail !== undefined && tail !== 'all') q.set('tail', tail);
      const since = stringOption(options, 'since');
      const until = stringOption(options, 'until');
      if (since) q.set('since', since);
      if (until) q.set('until', until);
      if (index !== undefined) {
        const chosen = containers.filter((x) => !x.OneOff && String(x.Number) === index && (positionals.length === 0 || positionals.includes(x.Service)));
        // An empty container list would mean every container: a number nothing has is an error.
        if (chosen.length === 0) throw new TscComposeError('TSC_NO_CONTAINER', `no container number ${index}${positionals.length > 0 ? ` of ${positionals.join(', ')}` : ''}`);
        for (const c of chosen) q.append('container', c.ID);
      }
      const controller = new AbortController();
      const stop = (): void => controller.abort();
      process.on('SIGINT', stop);
      try {
        for await (const m of client.stream('GET', `/v1/logs?${q.toString()}`, undefined, controller.signal)) {
          if (m.type === 'log') printer.print(m.log.container, m.log.stream, m.log.partial ? m.log.text : `${m.log.text}\n`, m.log.time);
        }
      } finally {
        process.off('SIGINT', stop);
      }
      return 0;
    });
  },
};
