/** Read-only views through the engine: ls, events, wait, port, top, stats. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from '../command.js';
import { flag, parseOptions, stringOption } from '../args.js';
import { TscComposeError, UsageError } from '../../errors/index.js';
import { projectNameOnly, withEngine } from '../session.js';
import type { ContainerSummary, ProjectSummary } from '../../engine/api/protocol.js';
import { formatTable } from '../../ui/table.js';
import type { ContainerStatsSample } from '../../engine/daemon/stats.js';

export const ls: Command = {
  usage: 'tsc-compose ls [-a] [--format table|json] [-q]',
  async run(args, _global, io) {
    const { options } = parseOptions(args, [
      { name: 'all', short: 'a', type: 'boolean' },
      { name: 'format', type: 'string' },
      { name: 'quiet', short: 'q', type: 'boolean' },
      { name: 'filter', type: 'string' },
    ]);
    const list = await withEngine((c) => c.json<ProjectSummary[]>('GET', `/v1/projects${flag(options, 'all') ? '?all=1' : ''}`));
    if (flag(options, 'quiet')) io.stdout.write(list.map((p) => `${p.Name}\n`).join(''));
    else if (stringOption(options, 'format') === 'json') io.stdout.write(`${JSON.stringify(list)}\n`);
    else io.stdout.write(formatTable(['NAME', 'STATUS', 'CONFIG FILES'], list.map((p) => [p.Name, p.Status, p.ConfigFiles])));
    return 0;
  },
};

export const events: Command = {
  usage: 'tsc-compose events [--json] [SERVICE...]',
  async run(args, global, io) {
    const { options, positionals } = parseOptions(args, [{ name: 'json', type: 'boolean' }]);
    const { name } = await projectNameOnly(global, io);
    const q = new URLSearchParams({ project: name });
    for (const s of positionals) q.append('service', s);
    const controller = new AbortController();
    const stop = (): void => controller.abort();
    process.on('SIGINT', stop);
    try {
      await withEngine(async (client) => {
        for await (const m of client.stream('GET', `/v1/events?${q.toString()}`, undefined, controller.signal)) {
          if (m.type !== 'event') continue;
          const e = m.event;
          if (flag(options, 'json')) io.stdout.write(`${JSON.stringify({ time: e.time, type: 'container', action: e.type, id: e.id, service: e.service, attributes: { name: e.name, ...e.attributes } })}\n`);
          else {
            const attrs = Object.entries({ name: e.name, ...e.attributes })
              .map(([k, v]) => `${k}=${v}`)
              .join(', ');
            io.stdout.write(`${e.time} container ${e.type} ${e.id} (${attrs})\n`);
          }
        }
      });
    } finally {
      process.off('SIGINT', stop);
    }
    return 0;
  },
};

export const wait: Command = {
  usage: 'tsc-compose wait [--down-project] SERVICE...',
  async run(args, global, io) {
    const { options, positionals } = parseOptions(args, [{ name: 'down-project', type: 'boolean' }]);
    if (positionals.length === 0) throw new UsageError('wait requires at least one SERVICE');
    const { name } = await projectNameOnly(global, io);
    return withEngine(async (client) => {
      let code = 0;
      for (;;) {
        const list = (await client.json<ContainerSummary[]>('GET', `/v1/ps?project=${encodeURIComponent(name)}&all=1`)).filter((c) => positionals.includes(c.Service) && !c.OneOff);
        if (list.length === 0) throw new TscComposeError('TSC_NO_CONTAINER', `no containers for ${positionals.join(', ')}`);
        if (list.every((c) => c.State === 'exited' || c.State === 'created' || c.State === 'dead')) {
          code = list[0]?.ExitCode ?? 0;
          for (const c of list) io.stdout.write(`${c.ExitCode}\n`);
          break;
        }
        await sleep(100);
      }
      if (flag(options, 'down-project')) {
        for await (const m of client.stream('POST', '/v1/down', { projectName: name, options: {} })) void m;
      }
      return code;
    });
  },
};

export const port: Command = {
  usage: 'tsc-compose port [--protocol tcp|udp] [--index N] SERVICE PRIVATE_PORT',
  async run(args, global, io) {
    const { options, positionals } = parseOptions(args, [
      { name: 'protocol', type: 'string' },
      { name: 'index', type: 'string' },
    ]);
    const [service, privatePort] = positionals;
    if (!service || !privatePort) throw new UsageError('port requires SERVICE and PRIVATE_PORT');
    const protocol = stringOption(options, 'protocol') ?? 'tcp';
    const index = Number(stringOption(options, 'index') ?? '1');
    const { name } = await projectNameOnly(global, io);
    const list = await withEngine((c) => c.json<ContainerSummary[]>('GET', `/v1/ps?project=${encodeURIComponent(name)}`));
    const c = list.find((x) => x.Service === service && x.Number === index && !x.OneOff);
    if (!c) throw new TscComposeError('TSC_NOT_RUNNING', `service "${service}" is not running`, { service });
    const p = c.Publishers.find((x) => x.TargetPort === Number(privatePort) && x.Protocol === protocol && x.PublishedPort > 0);
    if (!p) throw new TscComposeError('TSC_PORT_NOT_PUBLISHED', `no port ${privatePort}/${protocol} published for service "${service}"`, { service });
    io.stdout.write(`${p.URL}:${p.PublishedPort}\n`);
    return 0;
  },
};

function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 2)}${units[i]}`;
}

export const stats: Command = {
  usage: 'tsc-compose stats [--no-stream] [--format table|json] [SERVICE...]',
  async run(args, global, io) {
    const { options, positionals } = parseOptions(args, [
      { name: 'no-stream', type: 'boolean' },
      { name: 'format', type: 'string' },
      { name: 'all', short: 'a', type: 'boolean' },
      { name: 'no-trunc', type: 'boolean' },
    ]);
    const { name } = await projectNameOnly(global, io);
    const json = stringOption(options, 'format') === 'json';
    return withEngine(async (client) => {
      const sample = async (): Promise<ContainerStatsSample[]> =>
        (await client.json<ContainerStatsSample[]>('GET', `/v1/stats?project=${encodeURIComponent(name)}`)).filter((s) => positionals.length === 0 || positionals.includes(s.Service));
      let previous = await sample();
      let stop = false;
      const onSigint = (): void => {
        stop = true;
      };
      process.on('SIGINT', onSigint);
      try {
        for (;;) {
          await sleep(500);
          const current = await sample();
          const rows = current.map((s) => {
            const before = previous.find((p) => p.ID === s.ID);
            const cpu = before ? ((s.CPUUsageNs - before.CPUUsageNs) / ((s.SampledAt - before.SampledAt) * 1e6)) * 100 : 0;
            const mem = s.MemoryLimitBytes ? `${formatBytes(s.MemoryBytes)} / ${formatBytes(s.MemoryLimitBytes)}` : formatBytes(s.MemoryBytes);
            const memPct = s.MemoryLimitBytes ? `${((s.MemoryBytes / s.MemoryLimitBytes) * 100).toFixed(2)}%` : '--';
            return { s, cpu, mem, memPct };
          });
          if (json) for (const r of rows) io.stdout.write(`${JSON.stringify({ ID: r.s.ID.slice(0, 12), Name: r.s.Name, CPUPerc: `${r.cpu.toFixed(2)}%`, MemUsage: r.mem, MemPerc: r.memPct, PIDs: String(r.s.Pids) })}\n`);
          else {
            if (!flag(options, 'no-stream')) io.stdout.write('\x1b[2J\x1b[H');
            io.stdout.write(formatTable(['CONTAINER ID', 'NAME', 'CPU %', 'MEM USAGE / LIMIT', 'MEM %', 'PIDS'], rows.map((r) => [r.s.ID.slice(0, 12), r.s.Name, `${r.cpu.toFixed(2)}%`, r.mem, r.memPct, String(r.s.Pids)])));
          }
          previous = current;
          if (flag(options, 'no-stream') || stop) break;
        }
      } finally {
        process.off('SIGINT', onSigint);
      }
      return 0;
    });
  },
};
