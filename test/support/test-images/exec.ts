/**
 * Child processes for the test harness: output captured (shown only when a
 * command fails), and every child tied to this process with a parent-death
 * signal, so a test run that dies does not leave builds or registries behind.
 */
import { spawn } from 'node:child_process';

export class CommandFailedError extends Error {
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    readonly signal: NodeJS.Signals | null,
    readonly output: string,
  ) {
    super(`${command} failed (${signal ? `signal ${signal}` : `exit ${exitCode}`})${output ? `:\n${output}` : ''}`);
    this.name = 'CommandFailedError';
  }
}

export interface RunOptions {
  /** Written to the child's stdin, which is otherwise /dev/null. */
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Killed with SIGKILL after this long. */
  timeoutMs?: number;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

const TAIL_LINES = 60;

function tail(text: string): string {
  const lines = text.trimEnd().split('\n');
  return lines.slice(-TAIL_LINES).join('\n');
}

/** Display form of a command line, for messages. */
export function formatCommand(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`)).join(' ');
}

/**
 * Runs argv to completion. The child gets SIGKILL when this process dies
 * (setpriv --pdeathsig), and on timeout.
 */
export function run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const [cmd, ...args] = withParentDeathSignal(argv, 'KILL');
  return new Promise((resolve, reject) => {
    const child = spawn(cmd as string, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (c: Buffer) => out.push(c));
    child.stderr?.on('data', (c: Buffer) => err.push(c));
    let timer: NodeJS.Timeout | undefined;
    if (opts.timeoutMs !== undefined) {
      timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
      timer.unref();
    }
    if (opts.input !== undefined) {
      child.stdin?.on('error', () => undefined);
      child.stdin?.end(opts.input);
    }
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      reject(new CommandFailedError(formatCommand(argv), null, null, e.message));
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (code === 0) resolve({ stdout, stderr });
      else reject(new CommandFailedError(formatCommand(argv), code, signal, tail(`${stdout}\n${stderr}`)));
    });
  });
}

/** argv prefixed so the kernel signals the program when this process exits (setpriv execs, keeping the pid). */
export function withParentDeathSignal(argv: readonly string[], signal: 'KILL' | 'TERM'): string[] {
  return ['setpriv', `--pdeathsig=${signal}`, '--', ...argv];
}
