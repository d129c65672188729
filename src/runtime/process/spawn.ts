/**
 * Starting a container process: lower the spec to directives, write them,
 * spawn the executor in its own session (so it outlives us as the
 * container's monitor), let the caller place PID 1 in its cgroups while it
 * waits, release it, and learn whether execve worked.
 *
 * The executor's fds: 0 carries "go", 1 the replies (protocol.ts), 2 goes to
 * the shim log; 3 is the container's stdin (or the terminal's input) and 4
 * the terminal's output, when asked for.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import * as fs from 'node:fs';
import { spawn } from 'node:child_process';
import type { ChildProcess, StdioOptions } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { TscComposeError } from '../../errors/index.js';
import type { ProcessSpec } from './contract.js';
import { stateFiles } from './contract.js';
import { CONSOLE_FD, STDIN_FD, encodeContainerDirectives, lowerProcessSpec } from './lowering.js';
import type { ContainerDirectives } from './lowering.js';
import { parseShimReply, protocolError, startFailure } from './protocol.js';
import type { ShimReply } from './protocol.js';
import { executorCommand } from './shim.js';
import { isLiveProcess } from '../../sys/process.js';

export interface SpawnHooks {
  /** PID 1 exists and waits: put it in its cgroups, set up its network. A throw stops the start (nothing is left running). */
  onCreated?(pid: number): Promise<void> | void;
}

export interface SpawnOptions {
  /** With a terminal: relay its output to `ContainerProcess.console` (it is logged either way). */
  attach?: boolean;
  /** For error messages. */
  service?: string;
}

export interface ContainerProcess {
  /** Host pid of the container's PID 1. */
  containerPid: number;
  /** The monitor: holds the container's output, writes the log and the exit status. */
  monitorPid: number;
  /** The container's stdin (or the terminal's input), when the spec asked for it; end it to send EOF. */
  stdin?: Writable | undefined;
  /** The terminal's output, with `attach`. */
  console?: Readable | undefined;
  /** Resolves once the monitor has exited (it writes the status first). Polls while waiting, so it keeps Node alive only while awaited. */
  waitMonitorExit(): Promise<void>;
}

/** Reads the executor's reply lines one at a time. */
function replyReader(child: ChildProcess): { next(): Promise<string | undefined>; close(): void } {
  const lines: string[] = [];
  let ended = false;
  let buffered = '';
  let wake: (() => void) | undefined;
  const stdout = child.stdout as Readable;
  stdout.setEncoding('utf8');
  stdout.on('data', (chunk: string) => {
    buffered += chunk;
    for (let i = buffered.indexOf('\n'); i !== -1; i = buffered.indexOf('\n')) {
      lines.push(buffered.slice(0, i));
      buffered = buffered.slice(i + 1);
    }
    wake?.();
  });
  const end = (): void => {
    ended = true;
    wake?.();
  };
  stdout.on('end', end);
  stdout.on('error', end);
  stdout.on('close', end);
  return {
    async next() {
      while (lines.length === 0 && !ended) await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
      return lines.shift();
    },
    close() {
      stdout.destroy();
    },
  };
}

/** What the koffi-only executor does not carry out (it would start the container without it). */
function nodeExecutorGaps(spec: ContainerDirectives): string[] {
  const gaps: string[] = [];
  if (spec.tty || spec.stdinFd !== undefined) gaps.push('terminals and attached stdin');
  if (spec.devices.length > 0) gaps.push('device nodes made with mknod');
  const c = spec.capabilities;
  if (c.effective !== c.bounding || c.permitted !== c.bounding || c.inheritable !== 0n || c.ambient !== 0n) gaps.push('separate capability sets');
  if (spec.rootfsPropagation !== undefined) gaps.push('a root propagation other than rslave');
  return gaps;
}

async function untilGone(pid: number, exited: Promise<void>): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  // Our child's exit event alone would not keep the event loop alive (the child is unref'd).
  while (!gone && isLiveProcess(pid)) await sleep(5);
}

function shimLogTail(file: string): string {
  try {
    const text = fs.readFileSync(file, 'utf8').trim();
    return text ? `: ${text.split('\n').slice(-3).join(' | ')}` : '';
  } catch {
    return '';
  }
}

/**
 * Starts the container process a ProcessSpec describes; resolves once the
 * command is running (execve succeeded), or rejects with a
 * ContainerStartError / ContainerCommandError naming the step, errno and
 * argument (TSC_SPEC_INVALID for a spec that fails validation), with nothing
 * left running. The directives go to `<stateDir>/spec`, the executor's own
 * diagnostics to `<stateDir>/shim.log`.
 */
export async function spawnContainerProcess(spec: ProcessSpec, hooks: SpawnHooks = {}, options: SpawnOptions = {}): Promise<ContainerProcess> {
  const directives = lowerProcessSpec(spec, options.attach === true);
  const service = options.service;
  const files = stateFiles(spec.stateDir);
  const executor = executorCommand();
  const wantsStdin = directives.stdinFd === STDIN_FD || directives.tty?.input === STDIN_FD;
  const wantsConsole = directives.tty?.output === CONSOLE_FD;
  if (executor.kind === 'node') {
    const missing = nodeExecutorGaps(directives);
    if (missing.length > 0) {
      throw new TscComposeError('TSC_EXECUTOR_LIMIT', `${missing.join(', ')} need the C shim (install a C compiler and run \`npm ci\`)`, { service });
    }
  }
  fs.mkdirSync(spec.stateDir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(files.spec, encodeContainerDirectives(directives), { mode: 0o600 });
  const errFd = fs.openSync(files.shimLog, 'a', 0o600);
  const stdio: StdioOptions = ['pipe', 'pipe', errFd];
  if (wantsStdin || wantsConsole) stdio.push(wantsStdin ? 'pipe' : 'ignore');
  if (wantsConsole) stdio.push('pipe');
  let child: ChildProcess;
  try {
    child = spawn(executor.file, [...executor.prefix, 'run', files.spec], { detached: true, stdio });
  } finally {
    fs.closeSync(errFd);
  }
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  const spawnError = new Promise<never>((_, reject) => child.once('error', (err) => reject(new TscComposeError('TSC_SHIM', `cannot run the container executor ${executor.file}: ${err.message}`, { service, cause: err }))));
  spawnError.catch(() => undefined);
  const replies = replyReader(child);
  const control = child.stdin as Writable;
  control.on('error', () => undefined); // the shim may be gone already; its reply (or EOF) says why
  const expect = async <K extends ShimReply['kind']>(kind: K): Promise<Extract<ShimReply, { kind: K }>> => {
    const line = await Promise.race([replies.next(), spawnError]);
    if (line === undefined) {
      await exited;
      throw protocolError(`the container executor exited before the container started (see ${files.shimLog}${shimLogTail(files.shimLog)})`, service);
    }
    const reply = parseShimReply(line);
    if (!reply) throw protocolError(`unexpected answer from the container executor: ${line}`, service);
    if (reply.kind === 'error') {
      // The shim reaps PID 1 before it exits: once it has, nothing of this container runs.
      await exited;
      throw startFailure(reply, service);
    }
    if (reply.kind !== kind) throw protocolError(`unexpected answer from the container executor: ${line}`, service);
    return reply as Extract<ShimReply, { kind: K }>;
  };
  // Without a hook there is nothing to wait for: "go" goes with the spawn, saving a round trip.
  let released = hooks.onCreated === undefined;
  if (released) control.end('go\n');
  try {
    const created = await expect('pid');
    if (!released) {
      try {
        await hooks.onCreated?.(created.pid);
      } catch (err) {
        control.end(); // EOF instead of "go": the shim kills PID 1 and exits
        await exited;
        throw err;
      }
      control.end('go\n');
      released = true;
    }
    const started = await expect('started');
    const monitorPid = started.monitorPid;
    if (monitorPid === undefined) throw protocolError('the executor did not say which process monitors the container', service);
    return {
      containerPid: started.pid,
      monitorPid,
      stdin: wantsStdin ? (child.stdio[3] as Writable) : undefined,
      console: wantsConsole ? (child.stdio[4] as Readable) : undefined,
      waitMonitorExit: () => untilGone(monitorPid, exited),
    };
  } catch (err) {
    if (!released) control.destroy();
    for (const extra of child.stdio.slice(3)) extra?.destroy();
    throw err;
  } finally {
    replies.close();
    child.unref();
  }
}

