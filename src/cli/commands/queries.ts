/** Read-only views through the engine: ls, events, wait, port, top, stats. */
import { formatBinarySize } from '../../ui/units.js';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from '../command.js';
import { flag, parseOptions, stringOption } from '../args.js';
import type { ParsedOptions } from '../args.js';
import { TscComposeError, UsageError } from '../../errors/index.js';
import { checkServices, projectNameOnly, withEngine } from '../session.js';
import type { ContainerSummary, ProjectSummary } from '../../engine/api/protocol.js';
import { formatTable } from '../../ui/table.js';
import type { ContainerStatsSample } from '../../engine/daemon/stats.js';

export const ls: Command = {
  usage: 'tsc-compose ls [-a] [--format table|json] [-q] [--filter name=NAME]',
  async run(args, _global, io) {
    const { options } = parseOptions(args, [
      { name: 'all', short: 'a', type: 'boolean' },
      { name: 'format', type: 'string' },
      { name: 'quiet', short: 'q', type: 'boolean' },
      { name: 'filter', type: 'string' },
    ]);
    const format = tableOrJson(options);
    const filter = stringOption(options, 'filter');
    let named: RegExp | undefined;
    if (filter !== undefined) {
      // docker compose ls knows one filter: name=, matched as a regular expression (as docker's filters do).
      const m = /^name=(.*)$/.exec(filter);
      if (!m) throw new UsageError(`invalid --filter "${filter}": only name=NAME is supported`);
      try {
        named = new RegExp(m[1] as string);
      } catch {
        throw new UsageError(`invalid --filter "${filter}": not a regular expression`);
      }
    }
    const list = (await withEngine((c) => c.json<ProjectSummary[]>('GET', `/v1/projects${flag(options, 'all') ? '?all=1' : ''}`))).filter((p) => !named || named.test(p.Name));
    if (flag(options, 'quiet')) io.stdout.write(list.map((p) => `${p.Name}\n`).join(''));
    else if (format === 'json') io.stdout.write(`${JSON.stringify(list)}\n`);
    else io.stdout.write(formatTable(['NAME', 'STATUS', 'CONFIG FILES'], list.map((p) => [p.Name, p.Status, p.ConfigFiles])));
    return 0;
  },
};

export const events: Command = {
  usage: 'tsc-compose events [--json] [SERVICE...]',
  async run(args, global, io) {
    const { options, positionals } = parseOptions(args, [{ name: 'json', type: 'boolean' }]);
    const target = await projectNameOnly(global, io);
    const { name } = target;
    await checkServices(target, positionals);
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
    const target = await projectNameOnly(global, io);
    const { name } = target;
    await checkServices(target, positionals);
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
        for await (const m of client.stream('POST', '/v1/down', { projectName: name, ref: target.ref, options: {} })) void m;
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
    if (protocol !== 'tcp' && protocol !== 'udp') throw new UsageError(`invalid --protocol "${protocol}": expected tcp or udp`);
    if (!/^\d+$/.test(privatePort)) throw new UsageError(`invalid PRIVATE_PORT "${privatePort}": expected a port number`);
    const index = containerIndex(options);
    const target = await projectNameOnly(global, io);
    const { name } = target;
    await checkServices(target, [service]);
    const list = await withEngine((c) => c.json<ContainerSummary[]>('GET', `/v1/ps?project=${encodeURIComponent(name)}`));
    const c = list.find((x) => x.Service === service && x.Number === index && !x.OneOff);
    if (!c) throw new TscComposeError('TSC_NOT_RUNNING', `service "${service}" is not running`, { service });
    const p = c.Publishers.find((x) => x.TargetPort === Number(privatePort) && x.Protocol === protocol && x.PublishedPort > 0);
    if (!p) throw new TscComposeError('TSC_PORT_NOT_PUBLISHED', `no port ${privatePort}/${protocol} published for service "${service}"`, { service });
    io.stdout.write(`${p.URL}:${p.PublishedPort}\n`);
    return 0;
  },
};

/** `--format`: table (the default) or json; docker's Go templates are not supported. */
function tableOrJson(options: ParsedOptions): 'table' | 'json' {
  const format = stringOption(options, 'format') ?? 'table';
  if (format !== 'table' && format !== 'json') throw new UsageError(`invalid --format "${format}": expected table or json`);
  return format;
}

/** `--index N`: a container number of the service (1 when not given). */
function containerIndex(options: ParsedOptions): number {
  const index = stringOption(options, 'index') ?? '1';
  if (!/^[1-9]\d*$/.test(index)) throw new UsageError(`invalid --index "${index}": expected a container number (1, 2, ...)`);
  return Number(index);
}

/** A stopped container's row for `stats -a`. */
function stoppedSample(c: ContainerSummary): ContainerStatsSample {
  return { ID: c.ID, Name: c.Name, Service: c.Service, CPUUsageNs: 0, SampledAt: Date.now(), MemoryBytes: 0, MemoryLimitBytes: 0, Pids: 0 };
}

export const stats: Command = {
  usage: 'tsc-compose stats [-a] [--no-stream] [--no-trunc] [--format table|json] [SERVICE...]',
  async run(args, global, io) {
    const { options, positionals } = parseOptions(args, [
      { name: 'no-stream', type: 'boolean' },
      { name: 'format', type: 'string' },
      { name: 'all', short: 'a', type: 'boolean' },
      { name: 'no-trunc', type: 'boolean' },
    ]);
    const json = tableOrJson(options) === 'json';
    const target = await projectNameOnly(global, io);
    const { name } = target;
    await checkServices(target, positionals);
    const id = (full: string): string => (flag(options, 'no-trunc') ? full : full.slice(0, 12));
    return withEngine(async (client) => {
      const selected = (service: string): boolean => positionals.length === 0 || positionals.includes(service);
      const sample = async (): Promise<ContainerStatsSample[]> => {
        const running = (await client.json<ContainerStatsSample[]>('GET', `/v1/stats?project=${encodeURIComponent(name)}`)).filter((s) => selected(s.Service));
        if (!flag(options, 'all')) return running;
        // -a: the stopped containers too, with nothing used (as docker stats -a shows them).
        const all = await client.json<ContainerSummary[]>('GET', `/v1/ps?project=${encodeURIComponent(name)}&all=1`);
        const idle = all.filter((c) => selected(c.Service) && !running.some((r) => r.ID === c.ID)).map((c) => stoppedSample(c));
        return [...running, ...idle].sort((a, b) => a.Name.localeCompare(b.Name));
      };
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
            const mem = s.MemoryLimitBytes ? `${formatBinarySize(s.MemoryBytes)} / ${formatBinarySize(s.MemoryLimitBytes)}` : formatBinarySize(s.MemoryBytes);
            const memPct = s.MemoryLimitBytes ? `${((s.MemoryBytes / s.MemoryLimitBytes) * 100).toFixed(2)}%` : '--';
            return { s, cpu, mem, memPct };
          });
          if (json) for (const r of rows) io.stdout.write(`${JSON.stringify({ ID: id(r.s.ID), Name: r.s.Name, CPUPerc: `${r.cpu.toFixed(2)}%`, MemUsage: r.mem, MemPerc: r.memPct, PIDs: String(r.s.Pids) })}\n`);
          else {
            if (!flag(options, 'no-stream')) io.stdout.write('\x1b[2J\x1b[H');
            io.stdout.write(formatTable(['CONTAINER ID', 'NAME', 'CPU %', 'MEM USAGE / LIMIT', 'MEM %', 'PIDS'], rows.map((r) => [id(r.s.ID), r.s.Name, `${r.cpu.toFixed(2)}%`, r.mem, r.memPct, String(r.s.Pids)])));
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
