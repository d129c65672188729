/**
 * The startup timeline `up` ends with: when each service was created, started
 * and became healthy, which dependency it waited for, and the critical path
 * (the chain of waits that decided when the last service was ready).
 */
export interface TimelineEntry {
  name: string;
  createdAt?: number | undefined;
  startedAt?: number | undefined;
  healthyAt?: number | undefined;
  exitedAt?: number | undefined;
  waitedFor?: string[] | undefined;
}

function readyAt(e: TimelineEntry): number | undefined {
  return e.healthyAt ?? e.startedAt ?? e.createdAt;
}

/** From the service ready last, follow the dependency it waited for that was ready last, back to the start. */
export function criticalPath(entries: TimelineEntry[]): string[] {
  const byName = new Map(entries.map((e) => [e.name, e]));
  let current = [...entries].filter((e) => readyAt(e) !== undefined).sort((a, b) => (readyAt(b) as number) - (readyAt(a) as number))[0];
  const path: string[] = [];
  const seen = new Set<string>();
  while (current && !seen.has(current.name)) {
    seen.add(current.name);
    path.unshift(current.name);
    const deps = (current.waitedFor ?? []).map((n) => byName.get(n)).filter((e): e is TimelineEntry => e !== undefined && readyAt(e) !== undefined);
    current = deps.sort((a, b) => (readyAt(b) as number) - (readyAt(a) as number))[0];
  }
  return path;
}

export function renderTimeline(entries: TimelineEntry[], opts: { color: boolean; width?: number }): string {
  const times = entries.flatMap((e) => [e.createdAt, e.startedAt, e.healthyAt].filter((t): t is number => t !== undefined));
  if (times.length === 0) return '';
  const t0 = Math.min(...times);
  const end = Math.max(...times);
  const span = Math.max(1, end - t0);
  const barWidth = Math.max(10, Math.min(40, (opts.width ?? 80) - 60));
  const critical = new Set(criticalPath(entries));
  const nameWidth = Math.max(7, ...entries.map((e) => e.name.length));
  const ms = (t: number | undefined): string => (t === undefined ? '-' : `${t - t0}ms`);
  const lines = [`Startup timeline (critical path: ${[...critical].join(' → ') || '-'})`];
  lines.push(`  ${'SERVICE'.padEnd(nameWidth)}  ${'CREATED'.padStart(8)}  ${'STARTED'.padStart(8)}  ${'READY'.padStart(8)}  WAITED FOR`);
  for (const e of [...entries].sort((a, b) => (readyAt(a) ?? 0) - (readyAt(b) ?? 0))) {
    const from = Math.round((((e.startedAt ?? e.createdAt ?? t0) - t0) / span) * barWidth);
    const to = Math.max(from + 1, Math.round((((readyAt(e) ?? t0) - t0) / span) * barWidth));
    let bar = `${' '.repeat(from)}${'█'.repeat(to - from)}`.padEnd(barWidth);
    if (opts.color && critical.has(e.name)) bar = `\x1b[33m${bar}\x1b[0m`;
    const mark = critical.has(e.name) ? '*' : ' ';
    lines.push(`${mark} ${e.name.padEnd(nameWidth)}  ${ms(e.createdAt).padStart(8)}  ${ms(e.startedAt).padStart(8)}  ${ms(e.healthyAt ?? e.startedAt).padStart(8)}  ${(e.waitedFor ?? []).join(', ') || '-'}  ${bar}`);
  }
  return `${lines.join('\n')}\n`;
}
