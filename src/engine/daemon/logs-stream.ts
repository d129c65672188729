/**
 * `logs`: the records of a project's containers, merged as they come; with
 * follow, it keeps reading through restarts (same log file) and picks up
 * containers that appear later (scale, recreate), until the client leaves.
 * Each container's reader waits for the client between records, so a client
 * that reads slowly (or not at all) costs the engine nothing but a file
 * offset: a chatty container cannot grow the engine's memory.
 */
import { setMaxListeners } from 'node:events';
import type { Engine } from '../engine.js';
import type { LogsQuery, StreamMessage } from '../api/protocol.js';
import type { ContainerRecord } from '../state/store.js';
import { readLogs } from '../../runtime/process/logs.js';

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });

/** Docker accepts RFC 3339 times and relative durations (`10m`, `1h30m`). */
export function parseLogTime(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const rel = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(value);
  if (rel) {
    const n = Number(rel[1]);
    const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[rel[2] as 'ms' | 's' | 'm' | 'h'];
    return now - n * unit;
  }
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : t;
}

export async function streamLogs(engine: Engine, query: LogsQuery, emit: (m: StreamMessage) => void, signal: AbortSignal, drained: () => Promise<void>): Promise<void> {
  // One listener per container reader.
  setMaxListeners(0, signal);
  const since = parseLogTime(query.since);
  const until = parseLogTime(query.until);
  const readers = new Map<string, Promise<void>>();
  const matches = (c: ContainerRecord): boolean =>
    (query.services.length === 0 || query.services.includes(c.service)) && (!query.containers || query.containers.length === 0 || query.containers.includes(c.id) || query.containers.includes(c.name));
  const readOne = async (c: ContainerRecord, initial: boolean): Promise<void> => {
    const paths = engine.lifecycle.runtime.paths(c.id);
    const stop = new AbortController();
    const onAbort = (): void => stop.abort();
    signal.addEventListener('abort', onAbort);
    // A removed container ends its reader.
    const gone = query.follow
      ? setInterval(() => {
          if (!engine.store.containers.get(c.id)) stop.abort();
        }, 500)
      : undefined;
    try {
      for await (const entry of readLogs(paths.log, {
        follow: query.follow,
        ...(initial && query.tail !== undefined && query.tail >= 0 ? { tail: query.tail } : {}),
        ...(since !== undefined ? { since: new Date(since) } : {}),
        signal: stop.signal,
      })) {
        const t = Date.parse(entry.time);
        if (until !== undefined && t > until) {
          if (!query.follow) break;
          continue;
        }
        emit({ type: 'log', log: { container: c.name, service: c.service, stream: entry.stream, time: entry.time, text: entry.line, partial: entry.partial } });
        // The log file is the buffer: read on only as fast as the client takes it.
        await drained();
      }
    } finally {
      if (gone) clearInterval(gone);
      signal.removeEventListener('abort', onAbort);
    }
  };
  const scan = (initial: boolean): void => {
    for (const c of engine.store.containersOf(query.project)) {
      if (!matches(c) || readers.has(c.id)) continue;
      readers.set(c.id, readOne(c, initial).catch(() => undefined));
    }
  };
  scan(true);
  if (!query.follow) {
    await Promise.all(readers.values());
    return;
  }
  while (!signal.aborted) {
    await sleep(300, signal);
    scan(false);
  }
  await Promise.all(readers.values());
}
