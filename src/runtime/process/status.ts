/**
 * What the monitor leaves on disk: the status file it replaces atomically
 * when PID 1 is reaped, and the pid file ("<container pid> <monitor pid>").
 *
 * Status file, one `key value` per line:
 *   exit_code 137                 as Docker reports it: a signal N is 128+N
 *   signal 9                      0 when the process exited by itself
 *   pid 4242                      host pid of PID 1 (absent from the Node fallback)
 *   finished_at 2026-…Z           RFC 3339, UTC
 * Whether it was an OOM kill is the cgroup code's to say.
 */
import * as fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { isLiveProcess } from '../../sys/process.js';

export interface ExitStatus {
  exitCode: number;
  signal: number;
  finishedAt: string;
  pid?: number | undefined;
}

export function parseExitStatus(text: string): ExitStatus | undefined {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const space = line.indexOf(' ');
    if (space > 0) fields.set(line.slice(0, space), line.slice(space + 1));
  }
  const exitCode = Number(fields.get('exit_code'));
  if (!fields.has('exit_code') || !Number.isInteger(exitCode)) return undefined;
  const pid = fields.has('pid') ? Number(fields.get('pid')) : undefined;
  return { exitCode, signal: Number(fields.get('signal') ?? 0), finishedAt: fields.get('finished_at') ?? '', pid };
}

/** undefined while the container has not exited (or never started). */
export function readExitStatus(statusFile: string): ExitStatus | undefined {
  let text: string;
  try {
    text = fs.readFileSync(statusFile, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return parseExitStatus(text);
}

export function readPidFile(pidFile: string): { containerPid: number; monitorPid: number } | undefined {
  let text: string;
  try {
    text = fs.readFileSync(pidFile, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const m = /^(\d+) (\d+)\s*$/.exec(text);
  return m ? { containerPid: Number(m[1]), monitorPid: Number(m[2]) } : undefined;
}


/**
 * Resolves with the status once the monitor wrote it; undefined when the
 * monitor is gone without writing one (killed), or on timeout/abort.
 */
export async function waitForExit(
  statusFile: string,
  opts: { monitorPid?: number | undefined; pollMs?: number; timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<ExitStatus | undefined> {
  const deadline = opts.timeoutMs === undefined ? Infinity : Date.now() + opts.timeoutMs;
  for (;;) {
    const status = readExitStatus(statusFile);
    if (status) return status;
    if (opts.monitorPid !== undefined && !isLiveProcess(opts.monitorPid)) return readExitStatus(statusFile);
    if (opts.signal?.aborted || Date.now() >= deadline) return undefined;
    await sleep(opts.pollMs ?? 10);
  }
}
