/**
 * The shim's replies (one line each; see native/tsc-compose-shim.c) and the
 * errors a failed start becomes. The Node fallback executor speaks the same
 * lines without the argument field.
 */
import { SyscallError, TscComposeError } from '../../errors/index.js';
import { ERRNO, errnoName } from '../../errors/errno.js';

export type ShimReply =
  | { kind: 'pid'; pid: number }
  | { kind: 'started'; pid: number; monitorPid?: number | undefined }
  | { kind: 'error'; step: string; errno: number; message: string; argument?: string | undefined };

function unescapeField(value: string): string {
  if (value === '\\e') return '';
  return value.replace(/\\(.)/g, (_, c: string) => (c === 't' ? '\t' : c === 'n' ? '\n' : c));
}

/** undefined for a line that is none of the replies. */
export function parseShimReply(line: string): ShimReply | undefined {
  let m = /^pid (\d+)$/.exec(line);
  if (m) return { kind: 'pid', pid: Number(m[1]) };
  m = /^started (\d+)(?: (\d+))?$/.exec(line);
  if (m) return { kind: 'started', pid: Number(m[1]), monitorPid: m[2] === undefined ? undefined : Number(m[2]) };
  m = /^error (\S+) (\d+) ([^\t]*)(?:\t(.*))?$/s.exec(line);
  if (m) return { kind: 'error', step: m[1] as string, errno: Number(m[2]), message: m[3] as string, argument: m[4] === undefined ? undefined : unescapeField(m[4]) };
  return undefined;
}

/**
 * A container (or exec) step that failed: `mount \`overlay\` on \`/x/rootfs\`: EPERM`.
 * `syscall` is the step's name; `argument` what it failed on.
 */
export class ContainerStartError extends SyscallError {
  readonly step: string;
  readonly argument: string | undefined;
  constructor(step: string, errno: number, detail: string, argument: string | undefined, service?: string) {
    super(step, errno, detail, { service });
    this.name = 'ContainerStartError';
    this.step = step;
    this.argument = argument;
  }
}

/** The command itself could not be run: `exec "nosuchcmd": executable file not found in $PATH`. */
export class ContainerCommandError extends TscComposeError {
  readonly errno: number;
  readonly errnoName: string;
  readonly argument: string | undefined;
  constructor(errno: number, message: string, argument: string | undefined, service?: string) {
    super(errno === ERRNO.EACCES ? 'TSC_EXEC_DENIED' : 'TSC_EXEC_FAILED', message, { service });
    this.name = 'ContainerCommandError';
    this.errno = errno;
    this.errnoName = errnoName(errno);
    this.argument = argument;
  }
}

export function startFailure(reply: Extract<ShimReply, { kind: 'error' }>, service?: string): TscComposeError {
  if (reply.step === 'exec') return new ContainerCommandError(reply.errno, reply.message, reply.argument, service);
  return new ContainerStartError(reply.step, reply.errno, reply.message, reply.argument, service);
}

export function protocolError(what: string, service?: string): TscComposeError {
  return new TscComposeError('TSC_SHIM_PROTOCOL', what, { service });
}
