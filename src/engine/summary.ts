/** A container as `ps` shows it, with Docker's field names and status wording. */
import type { ContainerRecord } from './state/store.js';
import type { ContainerSummary } from './api/protocol.js';
import type { Runtime } from '../runtime/container.js';

/** Docker's units.HumanDuration. */
export function humanDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 1) return 'Less than a second';
  if (s === 1) return '1 second';
  if (s < 60) return `${s} seconds`;
  const m = Math.round(s / 60);
  if (m === 1) return 'About a minute';
  if (m < 60) return `${m} minutes`;
  const h = Math.round(s / 3600);
  if (h === 1) return 'About an hour';
  if (h < 48) return `${h} hours`;
  if (h < 24 * 7 * 2) return `${Math.round(h / 24)} days`;
  if (h < 24 * 30 * 2) return `${Math.round(h / 24 / 7)} weeks`;
  if (h < 24 * 365 * 2) return `${Math.round(h / 24 / 30)} months`;
  return `${Math.round(h / 24 / 365)} years`;
}

function quoteCommand(args: string[]): string {
  return `"${args.join(' ').replace(/"/g, '\\"')}"`;
}

export function statusText(record: ContainerRecord, state: string, now = Date.now()): string {
  const since = (iso: string | undefined): number => (iso ? now - Date.parse(iso) : 0);
  switch (state) {
    case 'running':
    case 'paused': {
      const health = record.healthcheck && record.health ? ` (${record.health.status === 'starting' ? 'health: starting' : record.health.status})` : record.healthcheck ? ' (health: starting)' : '';
      return `Up ${humanDuration(since(record.startedAt))}${state === 'paused' ? ' (Paused)' : health}`;
    }
    case 'restarting':
      return `Restarting (${record.exitCode ?? 0}) ${humanDuration(since(record.finishedAt))} ago`;
    case 'exited':
      return `Exited (${record.exitCode ?? 0}) ${humanDuration(since(record.finishedAt))} ago`;
    default:
      return 'Created';
  }
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
    RunningFor: `${humanDuration(Date.now() - Date.parse(record.createdAt))} ago`,
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
