/**
 * The human strings docker prints (go-units' HumanDuration, HumanSize,
 * BytesSize, and the daemon's container status line), so `ps`, `images`,
 * `stats` and the progress rows read like docker's.
 */

/** Go's `%.<precision>g`: shortest of %e/%f, trailing zeros dropped, two-digit exponent. */
export function goFormatG(value: number, precision: number): string {
  if (value === 0) return '0';
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : value < 0 ? '-Inf' : 'NaN';
  const exponent = Math.floor(Math.log10(Math.abs(Number(value.toPrecision(precision)))));
  if (exponent < -4 || exponent >= precision) {
    const [mantissa, exp] = value.toExponential(precision - 1).split('e') as [string, string];
    const m = mantissa.includes('.') ? mantissa.replace(/0+$/, '').replace(/\.$/, '') : mantissa;
    const sign = exp.startsWith('-') ? '-' : '+';
    return `${m}e${sign}${exp.replace(/^[-+]/, '').padStart(2, '0')}`;
  }
  const fixed = value.toFixed(Math.max(0, precision - 1 - exponent));
  return fixed.includes('.') ? fixed.replace(/0+$/, '').replace(/\.$/, '') : fixed;
}

const DECIMAL_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
const BINARY_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];

function scaled(size: number, base: number, units: string[], precision: number): string {
  let i = 0;
  while (size >= base && i < units.length - 1) {
    size /= base;
    i++;
  }
  return `${goFormatG(size, precision)}${units[i] as string}`;
}

/**
 * Decimal size with `precision` significant digits: docker `images`/`ps -s`
 * use 3 ('12.3MB'), go-units' HumanSize (pull progress) uses 4 ('12.35MB').
 */
export function formatSize(bytes: number, precision = 3): string {
  return scaled(bytes, 1000, DECIMAL_UNITS, precision);
}

/** Binary size as `docker stats` shows memory: '12.34MiB' (go-units BytesSize). */
export function formatBinarySize(bytes: number): string {
  return scaled(bytes, 1024, BINARY_UNITS, 4);
}

/** go-units' HumanDuration: 'Less than a second', '3 seconds', 'About a minute', '2 hours', '3 weeks'. */
export function formatDuration(milliseconds: number): string {
  const seconds = Math.trunc(milliseconds / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(milliseconds / 60_000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.trunc(milliseconds / 3_600_000 + 0.5);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(Math.trunc(milliseconds / 3_600_000) / 24 / 365)} years`;
}

/** `CREATED` column: '2 minutes ago'. */
export function formatAgo(then: number, now: number): string {
  return `${formatDuration(now - then)} ago`;
}

export type HealthState = 'starting' | 'healthy' | 'unhealthy' | undefined | '';

export interface ContainerStatusInput {
  /** Docker's container states (created, running, paused, restarting, exited, dead, removing); anything else is shown as it is. */
  state: string;
  /** ms epoch; undefined or 0 when never started. */
  startedAt?: number | undefined;
  finishedAt?: number | undefined;
  exitCode?: number | undefined;
  health?: HealthState | undefined;
}

/**
 * The STATUS column as the docker daemon words it: 'Up 3 seconds',
 * 'Up 2 minutes (healthy)', 'Up 5 seconds (health: starting)',
 * 'Up 1 second (Paused)', 'Restarting (1) 2 seconds ago',
 * 'Exited (0) 2 minutes ago', 'Created'.
 */
export function formatContainerStatus(c: ContainerStatusInput, now: number): string {
  const up = (): string => formatDuration(now - (c.startedAt ?? now));
  const ago = (): string => formatDuration(now - (c.finishedAt ?? now));
  switch (c.state) {
    case 'paused':
      return `Up ${up()} (Paused)`;
    case 'restarting':
      return `Restarting (${c.exitCode ?? 0}) ${ago()} ago`;
    case 'running':
      if (c.health === 'healthy' || c.health === 'unhealthy') return `Up ${up()} (${c.health})`;
      if (c.health === 'starting') return `Up ${up()} (health: starting)`;
      return `Up ${up()}`;
    case 'removing':
      return 'Removal In Progress';
    case 'dead':
      return 'Dead';
    case 'created':
      return 'Created';
    default:
      if (!c.startedAt) return 'Created';
      if (!c.finishedAt) return '';
      return `Exited (${c.exitCode ?? 0}) ${ago()} ago`;
  }
}
