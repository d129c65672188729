/** A container as `ps` shows it, with Docker's field names and status wording. */
import type { ContainerRecord } from './state/store.js';
import type { ContainerSummary } from './api/protocol.js';
import type { Runtime } from '../runtime/container.js';
import { formatAgo, formatContainerStatus } from '../ui/units.js';

function quoteCommand(args: string[]): string {
  return `"${args.join(' ').replace(/"/g, '\\"')}"`;
}

/** The STATUS column, worded as the docker daemon words it (ui/units.ts has the wording). */
export function statusText(record: ContainerRecord, state: string, now = Date.now()): string {
  return formatContainerStatus(
    {
      state,
      startedAt: record.startedAt ? Date.parse(record.startedAt) : undefined,
      finishedAt: record.finishedAt ? Date.parse(record.finishedAt) : undefined,
      exitCode: record.exitCode,
      health: record.healthcheck ? (record.health?.status ?? 'starting') : undefined,
    },
    now,
  );
}

export function summarize(record: ContainerRecord, state: string, runtime: Runtime): ContainerSummary {
  const config = runtime.readConfig(record.id);
  const labels = config?.labels ?? {};
  const pid = state === 'running' || state === 'paused' ? (runtime.state(record.id)?.pid ?? 0) : 0;
  return {
    ID: record.id,
    Name: record.name,
    Names: record.name,
    Project: record.project,
    Service: record.service,
    Image: record.image,
    Command: quoteCommand(config?.args ?? []),
    State: state,
    Status: statusText(record, state),
    Health: record.healthcheck && (state === 'running' || state === 'paused') ? (record.health?.status ?? 'starting') : '',
    ExitCode: record.exitCode ?? 0,
    Publishers: (state === 'running' || state === 'paused' ? record.ports : []).map((p) => ({ URL: p.hostIp === '' ? '0.0.0.0' : p.hostIp, TargetPort: p.containerPort, PublishedPort: p.hostPort, Protocol: p.protocol })),
    Labels: Object.entries(labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(','),
    CreatedAt: record.createdAt,
    RunningFor: formatAgo(Date.parse(record.createdAt), Date.now()),
    Networks: record.networks.map((n) => n.network).join(','),
    LocalVolumes: String((config?.mounts ?? []).filter((m) => m.type === 'volume').length),
    Mounts: (config?.mounts ?? [])
      .filter((m) => m.type !== 'tmpfs')
      .map((m) => m.source ?? '')
      .join(','),
    Size: '0B',
    RestartCount: record.restartCount,
    Pid: pid,
    Number: record.number,
    OneOff: record.oneOff,
  };
}
