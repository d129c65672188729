/**
 * Benchmark plumbing: time commands in one run against a peer and print one
 * table (metric, tsc-compose, peer, ratio). Timings on a shared VM are noisy,
 * so every comparison is made in the same run and reported as a median.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';

export interface Row {
  metric: string;
  ours: number;
  peerName: string;
  peer: number | undefined;
  unit: string;
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Median wall time in milliseconds of `runs` executions (after one warm-up). */
export function timeCommand(cmd: string, args: string[], runs: number, opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): number {
  const once = (): number => {
    const start = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'ignore', 'pipe'] });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr?.toString().slice(0, 400)}`);
    return ms;
  };
  once();
  return median(Array.from({ length: runs }, once));
}

export function which(cmd: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  const p = r.stdout.trim();
  return r.status === 0 && p ? p : undefined;
}

/** Installs Debian packages the peers need, if missing (benchmarks run by hand, as root). */
export function ensureAptPackages(packages: string[]): void {
  const missing = packages.filter((p) => spawnSync('dpkg-query', ['-W', '-f=${Status}', p], { encoding: 'utf8' }).stdout.includes('install ok installed') === false);
  if (missing.length === 0) return;
  process.stderr.write(`installing peers: ${missing.join(' ')}\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  const r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
  if (r.status !== 0) throw new Error(`apt-get install ${missing.join(' ')} failed`);
}

export function printTable(rows: Row[], out: NodeJS.WritableStream = process.stdout): void {
  const fmt = (v: number | undefined, unit: string): string => (v === undefined ? 'n/a' : `${v.toFixed(v < 10 ? 2 : 1)} ${unit}`);
  const table = rows.map((r) => [
    r.metric,
    fmt(r.ours, r.unit),
    r.peer === undefined ? 'n/a' : `${fmt(r.peer, r.unit)} (${r.peerName})`,
    r.peer === undefined ? 'n/a' : `${(r.ours / r.peer).toFixed(2)}x`,
  ]);
  const header = ['metric', 'tsc-compose', 'peer', 'ratio'];
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => (r[i] as string).length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] as number)).join('  ');
  out.write(`${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
  for (const r of table) out.write(`${line(r)}\n`);
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(`/tmp/${prefix}-`);
}
