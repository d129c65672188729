/**
 * What container networking costs on the kernel side (NetworkHost): creating
 * a network (ensureBridge), a container's start (createSandbox + attach, then
 * publish of one port) and the removals, median of 20 each. It runs in a
 * private network namespace (a child process that unshares its own), so the
 * host's bridges, rules and Docker's are neither touched nor counted; the
 * costs are the same forks of `ip` and `iptables-*` the engine pays.
 * Standalone (root): `node dist/bench/network-bench.js`.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { NetworkHost, removeEverythingTsc, sandboxName } from '../src/network/host/index.js';
import type { BridgeSpec } from '../src/network/host/index.js';
import { libc } from '../src/sys/container-init.js';
import { median, printTable } from './lib.js';
import type { Row } from './lib.js';

const RUNS = 20;
const CLONE_NEWNET = 0x40000000;

async function time(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Runs in the private namespace: returns the rows. */
async function measure(): Promise<Row[]> {
  libc.unshare(CLONE_NEWNET);
  spawnSync('ip', ['link', 'set', 'lo', 'up']);
  const host = new NetworkHost();
  const sandboxes: string[] = [];
  const t: Record<string, number[]> = { ensureBridge: [], ensureAgain: [], sandbox: [], publish: [], start: [], unpublish: [], removeSandbox: [], removeBridge: [] };
  // One network that stays, so removing the measured ones is not "the last network" (that one is measured too).
  const keep: BridgeSpec = { bridge: `tscbr-${randomBytes(4).toString('hex')}`, subnet: '10.250.255.0/24', gateway: '10.250.255.1', internal: false };
  try {
    await host.ensureBridge(keep);
    for (let i = 0; i <= RUNS; i++) {
      const b: BridgeSpec = { bridge: `tscbr-${randomBytes(4).toString('hex')}`, subnet: `10.250.${i}.0/24`, gateway: `10.250.${i}.1`, internal: false };
      const id = randomBytes(32).toString('hex');
      sandboxes.push(sandboxName(id));
      const tEnsure = await time(() => host.ensureBridge(b));
      const tAgain = await time(() => host.ensureBridge(b));
      let path = '';
      const tSandbox = await time(async () => {
        path = await host.createSandbox(id);
        await host.attach(path, { bridge: b.bridge, hostIfname: `tscv${randomBytes(5).toString('hex')}`, ifname: 'eth0', address: `10.250.${i}.2`, prefix: 24, gateway: b.gateway, defaultRoute: true });
      });
      const tPublish = await time(() => host.publish({ owner: id, protocol: 'tcp', hostIp: '', hostPort: 0, containerIp: `10.250.${i}.2`, containerPort: 80 }));
      const tUnpublish = await time(() => host.unpublish(id));
      const tRemoveSandbox = await time(() => host.removeSandbox(id));
      const tRemoveBridge = await time(() => host.removeBridge(b));
      if (i === 0) continue; // warm-up
      t.ensureBridge?.push(tEnsure);
      t.ensureAgain?.push(tAgain);
      t.sandbox?.push(tSandbox);
      t.publish?.push(tPublish);
      t.start?.push(tSandbox + tPublish);
      t.unpublish?.push(tUnpublish);
      t.removeSandbox?.push(tRemoveSandbox);
      t.removeBridge?.push(tRemoveBridge);
    }
    const tLast = await time(() => host.removeBridge(keep));
    const row = (metric: string, values: number[] | undefined): Row => ({ metric, ours: median(values ?? []), peerName: '', peer: undefined, unit: 'ms' });
    return [
      row('network: ensureBridge (new network)', t.ensureBridge),
      row('network: ensureBridge (already there)', t.ensureAgain),
      row('network: createSandbox + attach (1 network)', t.sandbox),
      row('network: publish 1 port', t.publish),
      row('network: container start total (sandbox+attach+publish)', t.start),
      row('network: unpublish', t.unpublish),
      row('network: removeSandbox', t.removeSandbox),
      row('network: removeBridge', t.removeBridge),
      { metric: 'network: removeBridge (last network, chains removed)', ours: tLast, peerName: '', peer: undefined, unit: 'ms' },
    ];
  } finally {
    await host.close();
    await removeEverythingTsc({ netns: (n) => sandboxes.includes(n) });
  }
}

/** For bench/run.ts: measured in a child process, so this process keeps its own namespace. */
export async function networkBenchmarks(): Promise<Row[]> {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`network benchmark failed (${r.status})`);
  return JSON.parse(r.stdout) as Row[];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  measure()
    .then((rows) => {
      if (process.argv.includes('--json')) process.stdout.write(JSON.stringify(rows));
      else printTable(rows);
    })
    .catch((err) => {
      process.stderr.write(`network benchmark failed: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = 1;
    });
}
