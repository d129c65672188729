/**
 * Starting a container through the shim: write the spec, spawn the shim in
 * its own session (so it outlives us), let the caller place PID 1 in its
 * cgroups while it waits, then release it and learn whether exec worked.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as os from 'node:os';
import { TscComposeError } from '../../errors/index.js';
import type { ContainerSpec, ExecSpec } from './spec.js';
import { encodeExecSpec } from './spec.js';
import { startFromDirectives } from './spawn.js';
import { readExitStatus as readStatusFile } from './status.js';
import type { ExitStatus } from './status.js';

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
    throw new TscComposeError('TSC_SHIM_MISSING', `container shim not built (${candidate}): run \`npm ci\` or \`bash native/build.sh\` (needs a C compiler)`);
  }
  return candidate;
}

export interface StartedProcess {
  pid: number;
  monitorPid: number;
  /** Writable end of the container's stdin, when the spec asked for one. */
  stdin?: NodeJS.WritableStream | undefined;
  /** With a terminal: what the container writes to it, relayed by the monitor. */
  console?: NodeJS.ReadableStream | undefined;
}

/** The directive-level start (see spawnContainerProcess in spawn.ts for the ProcessSpec one). */
export async function spawnContainer(
  spec: ContainerSpec,
  specFile: string,
  shimLog: string,
  onCreated: (pid: number) => Promise<void> | void,
  service?: string,
): Promise<StartedProcess> {
  const started = await startFromDirectives(spec, { specFile, shimLog, onCreated, service });
  return { pid: started.containerPid, monitorPid: started.monitorPid, stdin: started.stdin, console: started.console };
}

/** Runs a process inside a running container with our stdio; resolves to its exit code. */
export async function execInContainer(spec: ExecSpec, specFile: string): Promise<number> {
  fs.writeFileSync(specFile, encodeExecSpec(spec), { mode: 0o600 });
  if (executorCommand().kind === 'node') {
    // Node cannot enter a mount namespace (it is multithreaded): exec needs the C shim.
    throw new TscComposeError('TSC_EXECUTOR_LIMIT', 'exec needs the C shim (install a C compiler and run `npm ci`)');
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

export type { ExitStatus } from './status.js';

export function readExitStatus(statusFile: string): ExitStatus | undefined {
  return readStatusFile(statusFile);
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
