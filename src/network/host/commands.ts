/**
 * The network tools this layer still forks: `iptables-save` and
 * `iptables-restore --noflush` (one fork each, the restore atomic per table)
 * and `ip` for the rare paths (first namespace of a boot, listings, resets). Failures become typed errors carrying the
 * command and its message. Children are spawned from the calling thread, so
 * they run in that thread's network namespace (tests use a private one).
 */
import { spawn } from 'node:child_process';
import { TscComposeError } from '../../errors/index.js';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[], input?: string): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', (err) => reject(new TscComposeError('TSC_NET_TOOL', `cannot run ${cmd}: ${err.message}`, { cause: err })));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
  });
}

export async function mustRun(cmd: string, args: string[], input?: string): Promise<string> {
  const r = await run(cmd, args, input);
  if (r.code !== 0) {
    const what = input ? `${cmd} ${args.join(' ')} <<< ${input.trim().split('\n').join(' ; ')}` : `${cmd} ${args.join(' ')}`;
    throw new TscComposeError('TSC_NET_COMMAND', `${what}: ${r.stderr.trim() || `exit ${r.code}`}`);
  }
  return r.stdout;
}

/** Several `ip` commands in one process, going on after failures (for removals of things that may already be gone). */
export async function ipBatchForce(lines: string[], netns?: string): Promise<void> {
  if (lines.length === 0) return;
  await run('ip', [...(netns ? ['-n', netns] : []), '-force', '-batch', '-'], `${lines.join('\n')}\n`);
}

export async function ipJson<T>(args: string[], netns?: string): Promise<T> {
  const out = await mustRun('ip', [...(netns ? ['-n', netns] : []), '-j', ...args]);
  return (out.trim() ? JSON.parse(out) : []) as T;
}

export async function iptablesSave(): Promise<string> {
  return mustRun('iptables-save', []);
}

/** Applies iptables-restore input without flushing what others (Docker, Podman) have. */
export async function iptablesRestore(input: string): Promise<void> {
  await mustRun('iptables-restore', ['--noflush', '-w', '5'], input);
}
