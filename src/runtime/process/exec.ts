/**
 * Running a process inside a running container: the shim places itself in
 * the container's cgroups, enters every namespace of the container's PID 1
 * (mnt last, as nsenter does), forks, and execs the command with the given
 * user, capabilities, cwd and environment. With piped output its replies
 * come on fd 3; its exit status is the process's.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import type { StdioOptions } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { TscComposeError } from '../../errors/index.js';
import type { ExecProcessSpec } from './contract.js';
import { encodeExecDirectives, lowerExecSpec } from './lowering.js';
import { parseShimReply, protocolError, startFailure } from './protocol.js';
import type { ShimReply } from './protocol.js';
import { executorCommand } from './shim.js';

export interface ExecOptions {
  /** Where the spec file is written (and removed again): the container's runtime directory. */
  stateDir: string;
  /**
   * - `inherit`: our stdin, stdout and stderr (`tsc-compose exec`). A command
   *   that cannot start is reported by the shim on our stderr, exit status
   *   127 (not found) or 126, as `docker exec` does.
   * - `pipe`: stdout and stderr collected apart; stdin is `input`.
   * - `merged`: stdout and stderr collected together in arrival order (as
   *   `2>&1`) into `stdout`; stdin is `input`.
   * With `pipe` and `merged` a command that cannot start rejects with a
   * ContainerCommandError (ContainerStartError for an earlier step).
   */
  stdio?: 'inherit' | 'pipe' | 'merged';
  /** With `pipe` or `merged`: written to the process's stdin, which is then closed (empty by default). */
  input?: string | Buffer;
  /** With `pipe` or `merged`: keep at most this many bytes of each collected buffer (the rest is read and dropped). */
  maxOutputBytes?: number;
  /** Kill the process (SIGKILL) after this long; the result says `timedOut`. */
  timeoutMs?: number;
  /** Aborting kills the process (SIGKILL). */
  signal?: AbortSignal;
  service?: string;
}

export interface ExecResult {
  /** The process's exit code; 128+N for a signal. */
  exitCode: number;
  /** Host pid of the process, once it started (unknown with `inherit`). */
  pid: number | undefined;
  stdout: Buffer;
  stderr: Buffer;
  timedOut: boolean;
  /** Output beyond `maxOutputBytes` was dropped. */
  truncated: boolean;
}

/** After the shim exits, how long pipes a background process of the command may still hold are read before they are closed. */
const PIPE_GRACE_MS = 200;

/** Collects chunks up to a limit. */
class Collector {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  truncated = false;
  constructor(private readonly limit: number) {}
  add = (chunk: Buffer): void => {
    const room = this.limit - this.kept;
    if (chunk.length > room) this.truncated = true;
    if (room <= 0) return;
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.chunks.push(part);
    this.kept += part.length;
  };
  buffer(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

function closed(stream: Readable): Promise<void> {
  return new Promise((resolve) => {
    if (stream.closed) resolve();
    else stream.once('close', () => resolve());
  });
}

/** Resolves with the exit code (128+N for a signal); rejects when the process could not be started. */
export async function execInContainer(spec: ExecProcessSpec, options: ExecOptions): Promise<ExecResult> {
  const directives = lowerExecSpec(spec);
  const executor = executorCommand();
  if (executor.kind === 'node') {
    // Node cannot enter a mount namespace (it is multithreaded): exec needs the C shim.
    throw new TscComposeError('TSC_EXECUTOR_LIMIT', 'exec needs the C shim (install a C compiler and run `npm ci`)', { service: options.service });
  }
  const mode = options.stdio ?? 'pipe';
  const piped = mode !== 'inherit';
  const specFile = path.join(options.stateDir, `exec-${process.pid}-${randomBytes(4).toString('hex')}`);
  fs.mkdirSync(options.stateDir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(specFile, encodeExecDirectives(directives), { mode: 0o600 });
  try {
    // Without fd 3 the shim reports a failed start itself, on the stderr it shares with us.
    const stdio: StdioOptions = piped ? ['pipe', 'pipe', 'pipe', 'pipe'] : ['inherit', 'inherit', 'inherit'];
    const child = spawn(executor.file, ['exec', specFile], { stdio });
    const limit = options.maxOutputBytes ?? Infinity;
    const out = new Collector(limit);
    const err = mode === 'merged' ? out : new Collector(limit);
    const streams: Readable[] = [];
    let replies = '';
    let processPid: number | undefined;
    if (piped) {
      const stdout = child.stdout as Readable;
      const stderr = child.stderr as Readable;
      const control = child.stdio[3] as Readable;
      streams.push(stdout, stderr, control);
      stdout.on('data', out.add);
      stderr.on('data', err.add);
      control.setEncoding('utf8');
      control.on('data', (text: string) => {
        replies += text;
        const started = /^started (\d+)$/m.exec(replies);
        if (started) processPid = Number(started[1]);
      });
      const stdin = child.stdin as Writable;
      stdin.on('error', () => undefined); // the process may exit without reading it all
      stdin.end(options.input ?? '');
    }
    let timedOut = false;
    let exited = false;
    const kill = (): void => {
      if (exited) return;
      // The process itself: the shim's death signal does not survive the process changing its uid.
      if (processPid !== undefined) {
        try {
          process.kill(processPid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      child.kill('SIGKILL');
    };
    const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => {
      timedOut = true;
      kill();
    }, options.timeoutMs);
    options.signal?.addEventListener('abort', kill, { once: true });
    if (options.signal?.aborted) kill();
    const status = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.once('error', (e) => reject(new TscComposeError('TSC_SHIM', `cannot run the container executor ${executor.file}: ${e.message}`, { service: options.service, cause: e })));
      child.once('exit', (code, signal) => resolve({ code, signal }));
    }).finally(() => {
      exited = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', kill);
    });
    if (piped) {
      // A background process the command started may hold the pipes open: it is not waited for.
      let grace: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all(streams.map(closed)), new Promise<void>((resolve) => (grace = setTimeout(resolve, PIPE_GRACE_MS)))]);
      clearTimeout(grace);
      for (const stream of streams) stream.destroy();
      const parsed = replies.split('\n').filter(Boolean).map((line) => parseShimReply(line));
      const failure = parsed.find((r): r is Extract<ShimReply, { kind: 'error' }> => r?.kind === 'error');
      if (failure) throw startFailure(failure, options.service);
      if (parsed.some((r) => r === undefined)) throw protocolError(`unexpected answer from the shim: ${replies.trim()}`, options.service);
    }
    const exitCode = status.code ?? 128 + (status.signal ? (os.constants.signals[status.signal] ?? 0) : 0);
    return { exitCode, pid: processPid, stdout: out.buffer(), stderr: mode === 'merged' ? Buffer.alloc(0) : err.buffer(), timedOut, truncated: out.truncated || err.truncated };
  } finally {
    fs.rmSync(specFile, { force: true });
  }
}
