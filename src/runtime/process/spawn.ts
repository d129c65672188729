/**
 * Starting a container process: write the directives, spawn the executor in
 * its own session (so it outlives us as the container's monitor), let the
 * caller place PID 1 in its cgroups while it waits, release it, and learn
 * whether execve worked.
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
import type { ContainerSpec, ProcessSpec } from './spec.js';
import { encodeContainerSpec, lowerProcessSpec, stateFiles } from './spec.js';
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

interface DirectiveStart {
  specFile: string;
  shimLog: string;
  onCreated?: ((pid: number) => Promise<void> | void) | undefined;
  service?: string | undefined;
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
function nodeExecutorGaps(spec: ContainerSpec): string[] {
  const gaps: string[] = [];
  if (spec.tty || spec.stdinFromEngine) gaps.push('terminals and attached stdin');
  if ((spec.devices ?? []).length > 0) gaps.push('device nodes made with mknod');
  const c = spec.capabilitySets;
  if (c && (c.effective !== c.bounding || c.permitted !== c.bounding || c.inheritable !== 0n || c.ambient !== 0n)) gaps.push('separate capability sets');
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
 * Starts a container from directives (the level both executors read). Used by
 * spawnContainerProcess and by the directive-level `spawnContainer`.
 */
export async function startFromDirectives(spec: ContainerSpec, opts: DirectiveStart): Promise<ContainerProcess & { child: ChildProcess }> {
  const service = opts.service;
  const executor = executorCommand();
  const wantsStdin = spec.stdinFromEngine === true || (spec.tty !== undefined && (spec.console?.input ?? 3) === 3);
  const wantsConsole = spec.tty !== undefined && (spec.console?.output ?? 4) === 4;
  if (executor.kind === 'node') {
    const missing = nodeExecutorGaps(spec);
    if (missing.length > 0) {
      throw new TscComposeError('TSC_EXECUTOR_LIMIT', `${missing.join(', ')} need the C shim (install a C compiler and run \`npm ci\`)`, { service });
    }
  }
  fs.writeFileSync(opts.specFile, encodeContainerSpec(spec), { mode: 0o600 });
  const errFd = fs.openSync(opts.shimLog, 'a', 0o600);
  const stdio: StdioOptions = ['pipe', 'pipe', errFd];
  if (wantsStdin || wantsConsole) stdio.push(wantsStdin ? 'pipe' : 'ignore');
  if (wantsConsole) stdio.push('pipe');
  let child: ChildProcess;
  try {
    child = spawn(executor.file, [...executor.prefix, 'run', opts.specFile], { detached: true, stdio });
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
      throw protocolError(`the container executor exited before the container started (see ${opts.shimLog}${shimLogTail(opts.shimLog)})`, service);
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
  let released = opts.onCreated === undefined;
  if (released) control.end('go\n');
  try {
    const created = await expect('pid');
    if (!released) {
      try {
        await opts.onCreated?.(created.pid);
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
      child,
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

/**
 * Starts the container process a ProcessSpec describes; resolves once the
 * command is running (execve succeeded), or rejects with a
 * ContainerStartError / ContainerCommandError naming the step, errno and
 * argument, with nothing left running. The spec goes to `<stateDir>/spec`,
 * the executor's own diagnostics to `<stateDir>/shim.log`.
 */
export async function spawnContainerProcess(spec: ProcessSpec, hooks: SpawnHooks = {}, options: SpawnOptions = {}): Promise<ContainerProcess> {
  const directives = lowerProcessSpec(spec, { input: spec.stdin ? 3 : -1, output: options.attach ? 4 : -1 });
  fs.mkdirSync(spec.stateDir, { recursive: true, mode: 0o700 });
  const files = stateFiles(spec.stateDir);
  const started = await startFromDirectives(directives, {
    specFile: files.spec,
    shimLog: files.shimLog,
    onCreated: hooks.onCreated ? (pid) => hooks.onCreated!(pid) : undefined,
    service: options.service,
  });
  const { child: _child, ...process } = started;
  return process;
}
