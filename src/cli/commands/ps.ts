/** `ps`: the project's containers, as a table or Docker's JSON fields. */
import type { Command } from '../command.js';
import { flag, listOption, parseOptions, stringOption } from '../args.js';
import { UsageError } from '../../errors/index.js';
import { checkServices, projectNameOnly, withEngine } from '../session.js';
import { orphanContainers } from '../selection.js';
import type { ContainerSummary } from '../../engine/api/protocol.js';
import { formatTable } from '../../ui/table.js';

const OPTIONS = [
  { name: 'all', short: 'a', type: 'boolean' as const },
  { name: 'format', type: 'string' as const },
  { name: 'services', type: 'boolean' as const },
  { name: 'status', type: 'string' as const, multiple: true },
  { name: 'quiet', short: 'q', type: 'boolean' as const },
  { name: 'filter', type: 'string' as const },
  { name: 'no-trunc', type: 'boolean' as const },
  { name: 'orphans', type: 'boolean' as const },
];

/** The states `--status` and `--filter status=` take (docker's list). */
const STATES = ['paused', 'restarting', 'removing', 'running', 'dead', 'created', 'exited'];

export function formatPorts(c: ContainerSummary): string {
  return c.Publishers.filter((p) => p.PublishedPort > 0)
    .map((p) => `${p.URL}:${p.PublishedPort}->${p.TargetPort}/${p.Protocol}`)
    .join(', ');
}

export const command: Command = {
  usage: 'tsc-compose ps [-a] [--format table|json] [--services] [--status S]... [--filter status=S] [-q] [--no-trunc] [--orphans=false] [SERVICE...]',
  async run(args, global, io) {
    const { options, positionals } = parseOptions(args, OPTIONS);
    const format = stringOption(options, 'format') ?? 'table';
    if (format !== 'table' && format !== 'json') throw new UsageError(`invalid --format "${format}": expected table or json`);
    const statuses = listOption(options, 'status');
    const filter = stringOption(options, 'filter');
    if (filter) {
      const m = /^status=(.+)$/.exec(filter);
      if (!m) throw new UsageError(`invalid --filter "${filter}": only status=STATE is supported`);
      statuses.push(m[1] as string);
    }
    const bad = statuses.find((st) => !STATES.includes(st));
    if (bad !== undefined) throw new UsageError(`invalid status "${bad}": expected ${STATES.join(', ')}`);
    // --orphans is on by default: --orphans=false leaves out containers of services the file no longer has.
    const orphans = options['orphans'] !== false;
    const target = await projectNameOnly(global, io);
    if (!orphans && !target.ref) throw new UsageError('--orphans=false needs the compose file: it is what tells which containers are orphans');
    await checkServices(target, positionals);
    const all = flag(options, 'all') || statuses.length > 0;
    const list = await withEngine((client) => client.json<ContainerSummary[]>('GET', `/v1/ps?project=${encodeURIComponent(target.name)}${all ? '&all=1' : ''}`));
    const hidden = new Set(!orphans && target.ref ? orphanContainers(list, target.ref.project, target.ref.disabledServices).map((c) => c.ID) : []);
    const rows = list
      .filter((c) => (!c.OneOff || all) && !hidden.has(c.ID))
      .filter((c) => (positionals.length === 0 || positionals.includes(c.Service)) && (statuses.length === 0 || statuses.includes(c.State)));
    if (flag(options, 'services')) {
      io.stdout.write([...new Set(rows.map((c) => c.Service))].map((s) => `${s}\n`).join(''));
      return 0;
    }
    if (flag(options, 'quiet')) {
      io.stdout.write(rows.map((c) => `${c.ID}\n`).join(''));
      return 0;
    }
    if (format === 'json') {
      io.stdout.write(`${rows.map((c) => JSON.stringify(c)).join('\n')}${rows.length ? '\n' : ''}`);
      return 0;
    }
    io.stdout.write(
      formatTable(
        ['NAME', 'IMAGE', 'COMMAND', 'SERVICE', 'CREATED', 'STATUS', 'PORTS'],
        rows.map((c) => [c.Name, c.Image, c.Command.length > 22 && !flag(options, 'no-trunc') ? `${c.Command.slice(0, 20)}…"` : c.Command, c.Service, c.RunningFor, c.Status, formatPorts(c)]),
      ),
    );
    return 0;
  },
};
