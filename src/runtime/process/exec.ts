/**
 * Running a process inside a running container: the shim enters every
 * namespace of the container's PID 1 (mnt last, as nsenter does) after
 * placing itself in the container's cgroups, forks, and execs the command
 * with the given user, capabilities, cwd and environment. Its replies come on
 * fd 3; its exit status is the process's.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { TscComposeError } from '../../errors/index.js';
import type { ExecProcessSpec } from './spec.js';
import { encodeExecSpec, lowerExecSpec } from './spec.js';
import { parseShimReply, protocolError, startFailure } from './protocol.js';
import type { ShimReply } from './protocol.js';
import { executorCommand } from './shim.js';

export interface ExecOptions {
  /** Where the spec file is written (and removed again): the container's runtime directory. */
  stateDir: string;
  /** `inherit`: our stdin/stdout/stderr (what `tsc-compose exec` wants); `pipe`: collected into the result. */
  stdio?: 'inherit' | 'pipe';
  /** With `pipe`: written to the process's stdin, which is then closed. */
  input?: string | Buffer;
  /** Aborting sends SIGTERM to the process (the shim forwards it). */
  signal?: AbortSignal;
  service?: string;
}

export interface ExecResult {
  exitCode: number;
  /** Host pid of the process, once it started. */
  pid: number | undefined;
  stdout: Buffer;
  stderr: Buffer;
}

function collect(stream: Readable | null): Promise<Buffer> {
  if (!stream) return Promise.resolve(Buffer.alloc(0));
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return new Promise((resolve) => stream.on('close', () => resolve(Buffer.concat(chunks))));
}

/** Resolves with the exit code (128+N for a signal); rejects when the process could not be started. */
export async function execInContainer(spec: ExecProcessSpec, options: ExecOptions): Promise<ExecResult> {
  const executor = executorCommand();
  if (executor.kind === 'node') {
    // Node cannot enter a mount namespace (it is multithreaded): exec needs the C shim.
    throw new TscComposeError('TSC_EXECUTOR_LIMIT', 'exec needs the C shim (install a C compiler and run `npm ci`)', { service: options.service });
  }
  const specFile = path.join(options.stateDir, `exec-${process.pid}-${randomBytes(4).toString('hex')}`);
  fs.mkdirSync(options.stateDir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(specFile, encodeExecSpec(lowerExecSpec(spec)), { mode: 0o600 });
  const piped = options.stdio === 'pipe';
  try {
    const child = spawn(executor.file, ['exec', specFile], { stdio: [piped ? 'pipe' : 'inherit', piped ? 'pipe' : 'inherit', piped ? 'pipe' : 'inherit', 'pipe'] });
    const stdout = collect(piped ? child.stdout : null);
    const stderr = collect(piped ? child.stderr : null);
    if (piped) {
      const stdin = child.stdin as Writable;
      stdin.on('error', () => undefined); // the process may exit without reading it all
      stdin.end(options.input ?? '');
    }
    let replies = '';
    const control = child.stdio[3] as Readable;
    control.setEncoding('utf8');
    control.on('data', (chunk: string) => (replies += chunk));
    const controlClosed = new Promise<void>((resolve) => control.on('close', () => resolve()));
    const onAbort = (): void => void child.kill('SIGTERM');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const status = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.once('error', (err) => reject(new TscComposeError('TSC_SHIM', `cannot run the container executor ${executor.file}: ${err.message}`, { service: options.service, cause: err })));
      child.once('exit', (code, signal) => resolve({ code, signal }));
    }).finally(() => options.signal?.removeEventListener('abort', onAbort));
    await controlClosed;
    const parsed = replies.split('\n').filter(Boolean).map((line) => parseShimReply(line));
    const failure = parsed.find((r): r is Extract<ShimReply, { kind: 'error' }> => r?.kind === 'error');
    if (failure) throw startFailure(failure, options.service);
    if (parsed.some((r) => r === undefined)) throw protocolError(`unexpected answer from the shim: ${replies.trim()}`, options.service);
    const started = parsed.find((r): r is Extract<ShimReply, { kind: 'started' }> => r?.kind === 'started');
    const exitCode = status.code ?? 128 + (status.signal ? os.constants.signals[status.signal] : 0);
    return { exitCode, pid: started?.pid, stdout: await stdout, stderr: await stderr };
  } finally {
    fs.rmSync(specFile, { force: true });
  }
}
