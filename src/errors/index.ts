/**
 * One error tree for the whole program. Every error carries a stable code, a
 * category (what kind of failure, for exit codes and retries) and the context
 * a user needs to act: file position and key path, syscall and errno, service.
 * The CLI prints `format()`; a stack trace only for category 'internal' (a bug).
 */

import { ERRNO, errnoName } from './errno.js';
import type { ErrorCategory } from './category.js';
import { categoryOf } from './codes.js';
import type { ErrorCode, SyscallErrorCode } from './codes.js';

export type { ErrorCategory } from './category.js';
export { ERROR_CODES, isErrorCode } from './codes.js';
export type { ErrorCode, SyscallErrorCode } from './codes.js';

export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

export interface ErrorContext {
  /** Where in a compose file (or .env file) the problem is. */
  location?: SourceLocation | undefined;
  /** Key path inside the compose model, compose-go style: `services.web.ports.0`. */
  keyPath?: string | undefined;
  service?: string | undefined;
  cause?: unknown;
}

const BRAND = Symbol.for('tsc-compose.error');

export class TscComposeError extends Error {
  readonly code: ErrorCode | SyscallErrorCode;
  readonly category: ErrorCategory;
  readonly location: SourceLocation | undefined;
  readonly keyPath: string | undefined;
  readonly service: string | undefined;

  constructor(code: ErrorCode | SyscallErrorCode, message: string, context: ErrorContext = {}) {
    super(message, context.cause === undefined ? undefined : { cause: context.cause });
    this.name = 'TscComposeError';
    this.code = code;
    this.category = categoryOf(code);
    this.location = context.location;
    this.keyPath = context.keyPath;
    this.service = context.service;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /**
   * `instanceof TscComposeError` survives duplicate copies of this module (as
   * undici does with its errors); subclasses keep the ordinary prototype check.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this !== TscComposeError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }

  /** `file:line:col keyPath: message`, with whichever parts are known. */
  format(): string {
    const where: string[] = [];
    if (this.location) where.push(`${this.location.file}:${this.location.line}:${this.location.column}`);
    if (this.keyPath && !this.message.startsWith(this.keyPath)) where.push(`${this.keyPath}:`);
    const prefix = where.join(' ');
    return prefix ? `${prefix} ${this.message}` : this.message;
  }
}

/** Several independent problems found in one pass (e.g. every schema error of a file). */
export class AggregateComposeError extends TscComposeError {
  readonly problems: TscComposeError[];
  constructor(problems: TscComposeError[]) {
    const first = problems[0];
    super(first?.code ?? 'TSC_INVALID', problems.map((p) => p.format()).join('\n'));
    this.name = 'AggregateComposeError';
    this.problems = problems;
  }
  override format(): string {
    return this.problems.map((p) => p.format()).join('\n');
  }
}

/** A compose file (or a file it refers to) is malformed or inconsistent. */
export class ComposeFileError extends TscComposeError {
  constructor(code: ErrorCode, message: string, context: ErrorContext = {}) {
    super(code, message, context);
    this.name = 'ComposeFileError';
  }
}

/** A file the user named, or one a compose file refers to, does not exist. */
export class FileNotFoundError extends TscComposeError {
  readonly path: string;
  constructor(path: string, message: string, context: ErrorContext = {}) {
    super('TSC_FILE_NOT_FOUND', message, context);
    this.name = 'FileNotFoundError';
    this.path = path;
  }
}

/** The command line itself is wrong. */
export class UsageError extends TscComposeError {
  constructor(message: string) {
    super('TSC_USAGE', message);
    this.name = 'UsageError';
  }
}

/** A system call failed; carries the syscall, errno name and the argument it failed on. */
export class SyscallError extends TscComposeError {
  readonly syscall: string;
  readonly errno: number;
  readonly errnoName: string;
  constructor(syscall: string, errno: number, detail: string, context: ErrorContext = {}) {
    const name = errnoName(errno);
    super(`TSC_SYSCALL_${name}`, `${syscall} ${detail}: ${name}`, context);
    this.name = 'SyscallError';
    this.syscall = syscall;
    this.errno = errno;
    this.errnoName = name;
  }
}

const SYSTEM_ERROR_WORDS: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
  ENOMEM: 'out of memory',
  EIO: 'input/output error',
  EEXIST: 'file exists',
  ENOTDIR: 'not a directory',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'file name too long',
};

/**
 * A Node system error (fs, net, child_process) that reached the top as a
 * typed error: the machine refused (full disk, read-only, permissions), which
 * is not a bug in tsc-compose. Undefined for anything else.
 */
export function fromSystemError(err: unknown): SyscallError | undefined {
  if (err instanceof TscComposeError || !(err instanceof Error)) return undefined;
  const e = err as NodeJS.ErrnoException;
  if (typeof e.code !== 'string' || typeof e.syscall !== 'string') return undefined;
  const words = SYSTEM_ERROR_WORDS[e.code];
  if (words === undefined) return undefined;
  const dest = (e as { dest?: unknown }).dest;
  const where = e.path ? `${e.path}${typeof dest === 'string' ? ` -> ${dest}` : ''}` : 'failed';
  const errno = typeof e.errno === 'number' ? Math.abs(e.errno) : (ERRNO as Record<string, number>)[e.code] ?? 0;
  return new SyscallError(e.syscall, errno, `${where}: ${words}`, { cause: err });
}

export function isTscComposeError(value: unknown): value is TscComposeError {
  return value instanceof TscComposeError;
}

/** Exit status the CLI uses for an error category. */
export function exitCodeFor(error: unknown): number {
  if (!(error instanceof TscComposeError)) return 70;
  if (error.code === 'TSC_USAGE') return 2;
  return error.category === 'internal' ? 70 : 1;
}

/** The `default` of a switch that covers every case of a closed set: reaching it is a bug. */
export function unreachable(value: never, what = 'case'): never {
  throw new TscComposeError('TSC_INTERNAL', `unexpected ${what} ${JSON.stringify(value)}`);
}
