/**
 * File operations on a cgroup file system, shared by the v1 and v2 managers.
 * cgroupfs has its own rules: files cannot be created (a missing file means a
 * missing controller or feature), each value must arrive in one write(), the
 * kernel answers a bad value at write time, and a directory can only be
 * removed once no process is left in it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { SyscallError, TscComposeError } from '../../errors/index.js';
import { ERRNO } from '../../errors/errno.js';
import type { CgroupPlan, CgroupWarning, CgroupFileWrite } from './resources.js';

function errnoOf(err: unknown): number {
  const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
  return (ERRNO as Record<string, number>)[code] ?? Math.abs((err as NodeJS.ErrnoException).errno ?? ERRNO.EIO);
}

export function syscallError(syscall: string, detail: string, err: unknown): SyscallError {
  return new SyscallError(syscall, errnoOf(err), detail, { cause: err });
}

export function codeOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/**
 * Writes a value to an existing cgroup file in a single write(). Without
 * O_CREAT a missing file is ENOENT, as on the real file system, so a scratch
 * tree must provide the files a kernel would.
 */
export async function writeCgroupFile(file: string, value: string | number): Promise<void> {
  const text = String(value);
  let handle: fsp.FileHandle | undefined;
  try {
    handle = await fsp.open(file, fs.constants.O_WRONLY | fs.constants.O_TRUNC);
    await handle.write(text);
  } catch (err) {
    throw syscallError('write', `\`${text}\` to ${file}`, err);
  } finally {
    await handle?.close();
  }
}

/**
 * Writes each value to an existing cgroup file in a write() of its own
 * (cgroupfs takes one rule per write: devices.allow), through one
 * descriptor. Synchronous on purpose: cgroupfs never waits for a disk, and a
 * dozen thread-pool round trips cost a container start about 2 ms where
 * these calls take about 50 µs.
 */
export function writeCgroupLinesSync(file: string, values: readonly string[]): void {
  if (values.length === 0) return;
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_WRONLY);
  } catch (err) {
    throw syscallError('open', file, err);
  }
  try {
    for (const value of values) {
      try {
        fs.writeSync(fd, value);
      } catch (err) {
        throw syscallError('write', `\`${value}\` to ${file}`, err);
      }
    }
  } finally {
    fs.closeSync(fd);
  }
}

export async function exists(file: string): Promise<boolean> {
  try {
    await fsp.access(file);
    return true;
  } catch {
    return false;
  }
}

/** The file's text, or undefined when it does not exist (a controller that is not there). */
export async function readCgroupFile(file: string): Promise<string | undefined> {
  try {
    return await fsp.readFile(file, 'utf8');
  } catch (err) {
    if (codeOf(err) === 'ENOENT' || codeOf(err) === 'ENODEV') return undefined;
    throw syscallError('read', file, err);
  }
}

/** A counter or limit; `max` (and v1's near-2^63 "unlimited") read as Infinity. */
export function parseLimit(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const word = text.trim().split(/\s+/)[0] ?? '';
  if (word === 'max') return Number.POSITIVE_INFINITY;
  if (!/^-?\d+$/.test(word)) return undefined;
  const n = Number(word);
  // v1 reports "no limit" as PAGE_COUNTER_MAX pages: 9223372036854771712 on 4K pages.
  return n >= 2 ** 62 || n === -1 ? Number.POSITIVE_INFINITY : n;
}

/** `key value` lines (memory.events, memory.oom_control, cpu.stat, cgroup.events). */
export function parseKeyed(text: string | undefined): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of (text ?? '').split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined && /^\d+$/.test(value)) out.set(key, Number(value));
  }
  return out;
}

export async function readProcs(dir: string): Promise<number[]> {
  const text = await readCgroupFile(path.join(dir, 'cgroup.procs'));
  return (text ?? '').split('\n').filter((l) => l.trim() !== '').map(Number);
}

/** Every directory below `dir` (not `dir` itself), deepest first: the order rmdir needs. */
export async function descendantsDeepestFirst(dir: string): Promise<string[]> {
  const out: string[] = [];
  let entries: fs.Dirent[];
  try {
    entries = await fsp.readdir(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    const child = path.join(dir, e.name);
    out.push(...(await descendantsDeepestFirst(child)), child);
  }
  return out;
}

/** The processes in `dir` and every cgroup below it (a container may nest its own). */
export async function readProcsRecursive(dir: string): Promise<number[]> {
  const all = new Set<number>();
  for (const d of [dir, ...(await descendantsDeepestFirst(dir))]) for (const pid of await readProcs(d)) all.add(pid);
  return [...all];
}

export function signalPids(pids: number[], signal: NodeJS.Signals | number): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch (err) {
      // ESRCH: it exited between reading cgroup.procs and now.
      if (codeOf(err) !== 'ESRCH') throw syscallError('kill', `${signal} to pid ${pid}`, err);
    }
  }
}

/**
 * mkdir -p that survives a concurrent destroy removing the shared parent
 * between our mkdir of the parent and of the leaf.
 */
export async function mkdirAll(dir: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await fsp.mkdir(dir, { recursive: true });
      return;
    } catch (err) {
      if (codeOf(err) !== 'ENOENT' || attempt >= 5) throw syscallError('mkdir', dir, err);
    }
  }
}

/**
 * Removes a cgroup directory and everything below it. cgroupfs answers EBUSY
 * while a process (even one not yet reaped) is inside: `onBusy` may kill them,
 * then we wait and retry until the deadline.
 */
export async function removeCgroupTree(dir: string, opts: { deadline: number; onBusy: () => Promise<void> }): Promise<void> {
  for (const d of [...(await descendantsDeepestFirst(dir)), dir]) {
    for (;;) {
      try {
        await fsp.rmdir(d);
        break;
      } catch (err) {
        const code = codeOf(err);
        if (code === 'ENOENT') break;
        if (code !== 'EBUSY' && code !== 'ENOTEMPTY') throw syscallError('rmdir', d, err);
        if (Date.now() >= opts.deadline) {
          const left = await readProcsRecursive(d);
          throw new TscComposeError('TSC_CGROUP_BUSY', `cgroup ${d} could not be removed: still busy${left.length > 0 ? ` with processes ${left.join(', ')}` : ''}`, { cause: err });
        }
        await opts.onBusy();
        await sleep(10);
      }
    }
  }
}

/** Removes `dir` and its ancestors up to (not including) `stop`, as long as each is empty. */
export async function removeEmptyAncestors(dir: string, stop: string): Promise<void> {
  for (let d = dir; d !== stop && d.startsWith(stop + path.sep); d = path.dirname(d)) {
    try {
      await fsp.rmdir(d);
    } catch {
      // Another container still lives there (EBUSY/ENOTEMPTY), or it is gone already.
      return;
    }
  }
}

async function firstExisting(dir: string, write: CgroupFileWrite): Promise<{ file: string; value: string } | undefined> {
  for (const c of write.candidates) if (await exists(path.join(dir, c.file))) return c;
  return undefined;
}

/**
 * Carries out a translated plan. `dirFor` says which directory holds a
 * controller's files (undefined: the controller is not available here).
 */
export async function executePlan(plan: CgroupPlan, dirFor: (controller: string) => string | undefined): Promise<CgroupWarning[]> {
  const warnings = [...plan.warnings];
  for (const group of plan.groups) {
    const dir = dirFor(group.controller);
    const resolved: Array<{ file: string; value: string }> = [];
    for (const w of group.writes) {
      const target = dir === undefined ? undefined : await firstExisting(dir, w);
      if (target && dir !== undefined) {
        resolved.push({ file: path.join(dir, target.file), value: target.value });
      } else if (w.ifMissing === 'warn') {
        warnings.push({ resource: w.resource, message: w.missingWarning ?? `${w.candidates.map((c) => c.file).join(' / ')} not available: not applied` });
      } else {
        const where = dir === undefined ? `the ${group.controller} controller is not available` : `${path.join(dir, w.candidates[0]?.file ?? '')} does not exist`;
        throw new TscComposeError('TSC_CGROUP_CONTROLLER_MISSING', `${w.resource} cannot be enforced: ${where}`);
      }
    }
    try {
      for (const r of resolved) await writeCgroupFile(r.file, r.value);
    } catch (err) {
      // A refused first write changed nothing, so the other order is safe to try.
      if (!group.reversible || resolved.length < 2 || !(err instanceof SyscallError) || err.errnoName !== 'EINVAL') throw err;
      for (const r of [...resolved].reverse()) await writeCgroupFile(r.file, r.value);
    }
  }
  return warnings;
}

/**
 * Signals every process of a cgroup without cgroup.kill. With a freezer, the
 * group is frozen first so nothing forks between reading the list and the
 * signal landing (a frozen v1 task dies as soon as it is thawed). SIGKILL is
 * repeated until the group is empty; any other signal goes out once.
 */
export async function signalAll(opts: {
  signal: NodeJS.Signals | number;
  list: () => Promise<number[]>;
  freeze?: (() => Promise<void>) | undefined;
  thaw?: (() => Promise<void>) | undefined;
  deadline: number;
  what: string;
}): Promise<void> {
  const isKill = opts.signal === 'SIGKILL' || opts.signal === 9;
  for (;;) {
    let pids = await opts.list();
    if (pids.length === 0) return;
    let frozen = false;
    if (opts.freeze) {
      try {
        await opts.freeze();
        frozen = true;
        pids = await opts.list();
      } catch {
        // A group that will not freeze still gets its signal.
      }
    }
    try {
      signalPids(pids, opts.signal);
    } finally {
      if (frozen && opts.thaw) await opts.thaw();
    }
    if (!isKill) return;
    const pause = Date.now() + 200;
    while (Date.now() < pause && (await opts.list()).length > 0) await sleep(5);
    if ((await opts.list()).length === 0) return;
    if (Date.now() >= opts.deadline) {
      throw new TscComposeError('TSC_CGROUP_BUSY', `processes ${(await opts.list()).join(', ')} in ${opts.what} survived SIGKILL`);
    }
  }
}
