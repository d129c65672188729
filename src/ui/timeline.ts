/**
 * The startup timeline `up` ends with: when each service was created, started
 * and became ready, which dependency it waited for, and the critical path
 * (the chain of waits that decided when the last service was ready).
 */
import type { TimelineEntry } from '../events/timeline.js';

export type { TimelineEntry };

/**
 * When a service was ready for its dependents: healthy when it has a
 * healthcheck, exited for a one-shot (service_completed_successfully),
 * else started (or at least created).
 */
export function readyAt(e: TimelineEntry): number | undefined {
  return e.healthyAt ?? e.exitedAt ?? e.startedAt ?? e.createdAt;
}

function latestReady(entries: TimelineEntry[]): TimelineEntry | undefined {
  let best: TimelineEntry | undefined;
  for (const e of entries) {
    const t = readyAt(e);
    if (t === undefined) continue;
    // Ties go to the later name in input order: the engine lists services in start order.
    if (best === undefined || t >= (readyAt(best) as number)) best = e;
  }
  return best;
}

/**
 * From the service ready last, follow the dependency it waited for that was
 * ready last, back to one that waited for nothing. Returned first-to-last:
 * `['db', 'api', 'web']`.
 */
export function criticalPath(entries: TimelineEntry[]): string[] {
  const byName = new Map(entries.map((e) => [e.name, e]));
  let current = latestReady(entries);
  const path: string[] = [];
  const seen = new Set<string>();
  while (current && !seen.has(current.name)) {
    seen.add(current.name);
    path.unshift(current.name);
    const deps = (current.waitedFor ?? []).map((n) => byName.get(n)).filter((e): e is TimelineEntry => e !== undefined);
    current = latestReady(deps);
  }
  return path;
}

function firstTime(entries: TimelineEntry[]): number | undefined {
  const times = entries.flatMap((e) => [e.createdAt, e.startedAt, e.healthyAt, e.exitedAt]).filter((t): t is number => t !== undefined);
  return times.length > 0 ? Math.min(...times) : undefined;
}

/** The timeline as data, for `--progress json`: offsets in ms from the first event. */
export interface TimelineReport {
  start: string;
  criticalPath: string[];
  services: Array<{ name: string; created?: number; started?: number; healthy?: number; exited?: number; ready?: number; waitedFor: string[]; critical: boolean }>;
}

export function timelineReport(entries: TimelineEntry[]): TimelineReport | undefined {
  const t0 = firstTime(entries);
  if (t0 === undefined) return undefined;
  const path = criticalPath(entries);
  const offset = (t: number | undefined): number | undefined => (t === undefined ? undefined : t - t0);
  return {
    start: new Date(t0).toISOString(),
    criticalPath: path,
    services: orderByReady(entries).map((e) => {
      const s: TimelineReport['services'][number] = { name: e.name, waitedFor: e.waitedFor ?? [], critical: path.includes(e.name) };
      const fields = { created: offset(e.createdAt), started: offset(e.startedAt), healthy: offset(e.healthyAt), exited: offset(e.exitedAt), ready: offset(readyAt(e)) };
      for (const [k, v] of Object.entries(fields)) if (v !== undefined) (s as Record<string, unknown>)[k] = v;
      return s;
    }),
  };
}

function orderByReady(entries: TimelineEntry[]): TimelineEntry[] {
  return entries
    .map((e, i) => ({ e, i }))
    .sort((a, b) => (readyAt(a.e) ?? Infinity) - (readyAt(b.e) ?? Infinity) || a.i - b.i)
    .map((x) => x.e);
}

const WAIT_CELL = '░';
const RUN_CELL = '█';

/**
 * Per service, in the order they became ready:
 *
 * ```
 * Startup timeline (critical path: db → api → web)
 *   SERVICE   CREATED   STARTED   HEALTHY   WAITED FOR
 * * db            0ms      12ms    1520ms   -           ██████████
 * ```
 *
 * The bar runs from created to ready: ░ while created but not started (waiting
 * for dependencies), █ from start to ready. Critical services carry a `*`
 * (and yellow bars with color).
 */
export function renderTimeline(entries: TimelineEntry[], opts: { color: boolean; width?: number | undefined }): string {
  const t0 = firstTime(entries);
  if (t0 === undefined) return '';
  const ordered = orderByReady(entries);
  const end = Math.max(...entries.map((e) => Math.max(readyAt(e) ?? t0, e.exitedAt ?? t0)));
  const span = Math.max(1, end - t0);
  const path = criticalPath(entries);
  const critical = new Set(path);
  const ms = (t: number | undefined): string => (t === undefined ? '-' : `${t - t0}ms`);
  const waited = (e: TimelineEntry): string => (e.waitedFor && e.waitedFor.length > 0 ? e.waitedFor.join(', ') : '-');
  const nameWidth = Math.max('SERVICE'.length, ...entries.map((e) => e.name.length));
  const timeWidth = Math.max('CREATED'.length, ...entries.flatMap((e) => [ms(e.createdAt), ms(e.startedAt), ms(e.healthyAt)].map((s) => s.length)));
  const waitWidth = Math.max('WAITED FOR'.length, ...entries.map((e) => waited(e).length));
  const fixed = 2 + nameWidth + 3 * (2 + timeWidth) + 2 + waitWidth + 2;
  const barWidth = Math.max(10, Math.min(50, (opts.width ?? 80) - fixed - 1));
  const cell = (t: number): number => Math.round(((t - t0) / span) * barWidth);
  const paint = (code: string, text: string): string => (opts.color ? `\x1b[${code}m${text}\x1b[0m` : text);

  const lines = [`Startup timeline (critical path: ${path.join(' → ') || '-'})`];
  lines.push(`  ${'SERVICE'.padEnd(nameWidth)}  ${'CREATED'.padStart(timeWidth)}  ${'STARTED'.padStart(timeWidth)}  ${'HEALTHY'.padStart(timeWidth)}  ${'WAITED FOR'.padEnd(waitWidth)}`.trimEnd());
  for (const e of ordered) {
    const from = cell(e.createdAt ?? e.startedAt ?? t0);
    const run = cell(e.startedAt ?? e.createdAt ?? t0);
    const to = Math.max(run + 1, cell(readyAt(e) ?? t0));
    const bar = `${' '.repeat(from)}${WAIT_CELL.repeat(Math.max(0, run - from))}${RUN_CELL.repeat(to - run)}`;
    const isCritical = critical.has(e.name);
    const row = `${isCritical ? '*' : ' '} ${e.name.padEnd(nameWidth)}  ${ms(e.createdAt).padStart(timeWidth)}  ${ms(e.startedAt).padStart(timeWidth)}  ${ms(e.healthyAt).padStart(timeWidth)}  ${waited(e).padEnd(waitWidth)}  `;
    lines.push(`${isCritical ? paint('1', row) : row}${isCritical ? paint('33', bar) : bar}`);
  }
  return `${lines.join('\n')}\n`;
}
