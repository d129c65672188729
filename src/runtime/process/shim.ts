/**
 * Starting a container through the shim: write the spec, spawn the shim in
 * its own session (so it outlives us), let the caller place PID 1 in its
 * cgroups while it waits, then release it and learn whether exec worked.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import * as os from 'node:os';
import { TscComposeError, SyscallError } from '../../errors/index.js';
import type { ContainerSpec, ExecSpec } from './spec.js';
import { encodeContainerSpec, encodeExecSpec } from './spec.js';

/**
 * Which executor carries out container specs: the C shim, or (where no C
 * compiler built it, or TSC_COMPOSE_EXECUTOR=node) the koffi-only Node one.
 */
export function executorCommand(): { file: string; prefix: string[]; kind: 'shim' | 'node' } {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const nodeExecutor = { file: process.execPath, prefix: [path.join(here, 'node-executor.js')], kind: 'node' as const };
  if (process.env['TSC_COMPOSE_EXECUTOR'] === 'node') return nodeExecutor;
  try {
    return { file: shimPath(), prefix: [], kind: 'shim' };
  } catch (err) {
    if (process.env['TSC_COMPOSE_EXECUTOR'] === 'shim') throw err;
    return nodeExecutor;
  }
}

export function shimPath(): string {
  const fromEnv = process.env['TSC_COMPOSE_SHIM'];
  if (fromEnv) return fromEnv;
  const here = path.dirname(fileURLToPath(import.meta.url));
  // dist/src/runtime/process → repository root
  const candidate = path.resolve(here, '../../../../native/build/tsc-compose-shim');
  if (!fs.existsSync(candidate)) {
    throw new TscComposeError('TSC_SHIM_MISSING', 'unavailable', `container shim not built (${candidate}): run \`npm ci\` or \`bash native/build.sh\` (needs a C compiler)`);
  }
  return candidate;
}

const ERRNO_NAMES = new Map<number, string>(Object.entries(os.constants.errno).map(([k, v]) => [v as number, k]));

function shimFailure(line: string, service?: string): TscComposeError {
  const m = /^error (\S+) (\d+) (.*)$/.exec(line);
  if (!m) return new TscComposeError('TSC_SHIM', 'internal', `unexpected answer from the shim: ${line}`, { service });
  const [, step, errnoText, message] = m as unknown as [string, string, string, string];
  const errno = Number(errnoText);
  if (step === 'exec') return new TscComposeError('TSC_EXEC_FAILED', 'invalid', message, { service });
  return new SyscallError(step, errno, ERRNO_NAMES.get(errno) ?? `errno ${errno}`, message, { service });
}

export interface StartedProcess {
  pid: number;
  monitorPid: number;
  /** Writable end of the container's stdin, when the spec asked for one. */
  stdin?: NodeJS.WritableStream | undefined;
  /** With a terminal: what the container writes to it, relayed by the monitor. */
  console?: NodeJS.ReadableStream | undefined;
}

export async function spawnContainer(
  spec: ContainerSpec,
  specFile: string,
  shimLog: string,
  onCreated: (pid: number) => Promise<void> | void,
  service?: string,
): Promise<StartedProcess> {
  fs.writeFileSync(specFile, encodeContainerSpec(spec), { mode: 0o600 });
  const errFd = fs.openSync(shimLog, 'a', 0o600);
  const executor = executorCommand();
  if (executor.kind === 'node' && (spec.tty || spec.stdinFromEngine)) {
    throw new TscComposeError('TSC_EXECUTOR_LIMIT', 'unsupported', 'terminals and attached stdin need the C shim (install a C compiler and run `npm ci`)', { service });
  }
  const child = spawn(executor.file, [...executor.prefix, 'run', specFile], {
    detached: true,
    stdio: spec.tty ? ['pipe', 'pipe', errFd, 'pipe', 'pipe'] : spec.stdinFromEngine ? ['pipe', 'pipe', errFd, 'pipe'] : ['pipe', 'pipe', errFd],
  });
  fs.closeSync(errFd);
  const lines = createInterface({ input: child.stdout! });
  const iterator = lines[Symbol.asyncIterator]();
  const next = async (): Promise<string> => {
    const { value, done } = await iterator.next();
    if (done) throw new TscComposeError('TSC_SHIM', 'internal', `the shim exited before the container started (see ${shimLog})`, { service });
    return value as string;
  };
  try {
    const first = await next();
    if (first.startsWith('error ')) throw shimFailure(first, service);
    const created = /^pid (\d+)$/.exec(first);
    if (!created) throw new TscComposeError('TSC_SHIM', 'internal', `unexpected answer from the shim: ${first}`, { service });
    const pid = Number(created[1]);
    try {
      await onCreated(pid);
    } catch (err) {
      child.stdin!.end();
      throw err;
    }
    child.stdin!.write('go\n');
    child.stdin!.end();
    const second = await next();
    if (second.startsWith('error ')) throw shimFailure(second, service);
    const started = /^started (\d+) (\d+)$/.exec(second);
    if (!started) throw new TscComposeError('TSC_SHIM', 'internal', `unexpected answer from the shim: ${second}`, { service });
    const stdin = spec.stdinFromEngine || spec.tty ? (child.stdio[3] as NodeJS.WritableStream) : undefined;
    const console = spec.tty ? (child.stdio[4] as NodeJS.ReadableStream) : undefined;
    return { pid: Number(started[1]), monitorPid: Number(started[2]), stdin, console };
  } finally {
    lines.close();
    child.stdout!.destroy();
    child.unref();
  }
}

/** Runs a process inside a running container with our stdio; resolves to its exit code. */
export async function execInContainer(spec: ExecSpec, specFile: string): Promise<number> {
  fs.writeFileSync(specFile, encodeExecSpec(spec), { mode: 0o600 });
  if (executorCommand().kind === 'node') {
    // Node cannot enter a mount namespace (it is multithreaded): exec needs the C shim.
    throw new TscComposeError('TSC_EXECUTOR_LIMIT', 'unsupported', 'exec needs the C shim (install a C compiler and run `npm ci`)');
  }
  const child = spawn(shimPath(), ['exec', specFile], { stdio: 'inherit' });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      fs.rmSync(specFile, { force: true });
      resolve(code ?? 128 + (signal ? os.constants.signals[signal] : 0));
    });
  });
}

export interface ExitStatus {
  exitCode: number;
  signal: number;
  finishedAt: string;
}

export function readExitStatus(statusFile: string): ExitStatus | undefined {
  let text: string;
  try {
    text = fs.readFileSync(statusFile, 'utf8');
  } catch {
    return undefined;
  }
  const get = (k: string): string => new RegExp(`^${k} (.*)$`, 'm').exec(text)?.[1] ?? '';
  return { exitCode: Number(get('exit_code')), signal: Number(get('signal')), finishedAt: get('finished_at') };
}

export interface LogRecord {
  time: string;
  stream: 'stdout' | 'stderr';
  partial: boolean;
  text: string;
}

export function parseLogLine(line: string): LogRecord | undefined {
  const m = /^(\S+) (stdout|stderr) ([FP]) (.*)$/s.exec(line);
  if (!m) return undefined;
  return { time: m[1] as string, stream: m[2] as 'stdout' | 'stderr', partial: m[3] === 'P', text: m[4] as string };
}
