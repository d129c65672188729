/**
 * Container start-to-exit through the process boundary: busybox `true` in
 * the container Runtime.start makes (the spec from containerProcessSpec: six
 * namespaces, overlay rootfs, /proc, /dev with the host's device nodes bound,
 * read-only /sys, masked paths, Docker's capabilities; no cgroup), from
 * spawnContainerProcess until the monitor has written the exit status;
 * median of 50, against `unshare --fork --pid --mount-proc chroot` on the
 * same rootfs in the same run, interleaved. Also: the same with the rootfs
 * directory bound instead of an overlay, the time until exec succeeded, and
 * the monitor's resident memory while a container sleeps.
 *
 *   node dist/bench/container-start.js        (root; prints one table)
 */
import { setTimeout as sleep } from 'node:timers/promises';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { median, printTable } from './lib.js';
import type { Row } from './lib.js';
import { makeBusyboxRootfs } from '../test/support/busybox.js';
import { processFixture } from '../test/support/process-fixture.js';
import { readExitStatus, spawnContainerProcess, waitForExit } from '../src/runtime/process/index.js';
import type { ProcessSpec } from '../src/runtime/process/index.js';

const RUNS = 50;

/** Resolves when `statusFile` appears (the monitor renames it into place). */
function statusWritten(statusFile: string): Promise<void> {
  return new Promise((resolve) => {
    const watcher = fs.watch(path.dirname(statusFile), () => {
      if (fs.existsSync(statusFile)) {
        watcher.close();
        resolve();
      }
    });
    if (fs.existsSync(statusFile)) {
      watcher.close();
      resolve();
    }
  });
}

/** Start-to-exit and start-to-exec of one container, in ms. */
async function startOnce(spec: ProcessSpec): Promise<{ total: number; toExec: number }> {
  const exited = (async () => {
    fs.mkdirSync(spec.stateDir, { recursive: true });
    return statusWritten(spec.statusFile);
  })();
  const t0 = process.hrtime.bigint();
  await spawnContainerProcess(spec);
  const toExec = Number(process.hrtime.bigint() - t0) / 1e6;
  await exited;
  const total = Number(process.hrtime.bigint() - t0) / 1e6;
  const status = readExitStatus(spec.statusFile);
  if (status?.exitCode !== 0) throw new Error(`busybox true exited ${status?.exitCode}`);
  return { total, toExec };
}

function unshareOnce(rootfs: string): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('unshare', ['--fork', '--pid', '--mount-proc', 'chroot', rootfs, '/bin/true']);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`unshare baseline failed: ${r.stderr.toString()}`);
  return ms;
}

export async function containerStartBenchmarks(runs = RUNS): Promise<Row[]> {
  const fx = await processFixture();
  // The directory rootfs gets the mount points made in it: a tree of its own, not the overlay's image layer.
  const tree = makeBusyboxRootfs('tsc-bench-dir-rootfs-');
  try {
    const overlay: number[] = [];
    const toExec: number[] = [];
    const bound: number[] = [];
    const peer: number[] = [];
    for (let i = 0; i <= runs; i++) {
      const a = await startOnce(fx.spec(['/bin/true']));
      const b = await startOnce({ ...fx.spec(['/bin/true']), rootfs: { type: 'directory', path: tree.dir } });
      const c = unshareOnce(fx.rootfs.dir);
      if (i === 0) continue; // warm-up
      overlay.push(a.total);
      toExec.push(a.toExec);
      bound.push(b.total);
      peer.push(c);
    }
    const sleeper = fx.spec(['sleep', '30']);
    const started = await spawnContainerProcess(sleeper);
    await sleep(100);
    const rssOf = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
    const monitorRss = rssOf(started.monitorPid);
    process.kill(started.containerPid, 'SIGKILL');
    await waitForExit(sleeper.statusFile, { monitorPid: started.monitorPid, timeoutMs: 5000 });
    await started.waitMonitorExit();
    const unshareMedian = median(peer);
    return [
      { metric: `start-to-exit, busybox true, overlay rootfs (median of ${runs})`, ours: median(overlay), peerName: 'unshare --fork --pid --mount-proc chroot', peer: unshareMedian, unit: 'ms' },
      { metric: `start-to-exit, busybox true, directory rootfs (median of ${runs})`, ours: median(bound), peerName: 'unshare --fork --pid --mount-proc chroot', peer: unshareMedian, unit: 'ms' },
      { metric: 'start until exec succeeded, overlay rootfs', ours: median(toExec), peerName: '', peer: undefined, unit: 'ms' },
      { metric: 'monitor resident memory while a container sleeps', ours: monitorRss, peerName: '', peer: undefined, unit: 'MB' },
    ];
  } finally {
    await fx.cleanup();
    tree.remove();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  containerStartBenchmarks()
    .then((rows) => printTable(rows))
    .catch((err: unknown) => {
      process.stderr.write(`benchmark failed: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = 1;
    });
}
