/**
 * The CLI as a child process for tests that need no engine. Run by root, the
 * child runs as `nobody`: a command that would reach the engine (and start
 * one) fails with "runs containers as root" instead, so a test can assert
 * that usage errors, help and refusals happen before the engine is touched.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BIN, REPO_ROOT } from './paths.js';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

const NOBODY = 65534;

/** A directory the child can read (and write), removed by the caller. */
export function cliTempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(dir, 0o777);
  return dir;
}

export interface CliOptions {
  cwd?: string;
  /** HOME of the child; its state root is `state` under it. */
  home?: string;
  input?: string;
  env?: Record<string, string>;
}

function spawnOptions(opts: CliOptions): { cwd: string; env: NodeJS.ProcessEnv; uid?: number; gid?: number } {
  const home = opts.home ?? os.tmpdir();
  return {
    cwd: opts.cwd ?? REPO_ROOT,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: home, TSC_COMPOSE_ROOT: path.join(home, 'state'), ...opts.env },
    ...(process.getuid?.() === 0 ? { uid: NOBODY, gid: NOBODY } : {}),
  };
}

export function runCliUnprivileged(args: string[], opts: CliOptions = {}): CliRun {
  const r = spawnSync(process.execPath, [BIN, ...args], { ...spawnOptions(opts), encoding: 'utf8', ...(opts.input !== undefined ? { input: opts.input } : {}) });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The same, without blocking: many runs side by side. */
export function runCliUnprivilegedAsync(args: string[], opts: CliOptions = {}): Promise<CliRun> {
  const child = spawn(process.execPath, [BIN, ...args], { ...spawnOptions(opts), stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdin.end(opts.input ?? '');
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The message a command gives when it tried to reach the engine (or the host's state) without being root. */
export const REACHED_ENGINE = /runs containers as root/;
