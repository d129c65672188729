/**
 * Image pull from a local registry (Debian's docker-registry on 127.0.0.1,
 * the test images built from Debian packages), in the same run:
 *
 *   cold store   tsc-compose pullImage (download, verify, unpack every layer)
 *                against `skopeo copy docker://… oci:DIR` + `umoci unpack`
 *   shared base  the redis image after postgres (both on the debian layer):
 *                tsc-compose fetches and unpacks only redis's own layer; the
 *                peer copies into the same OCI layout (skopeo reuses blobs)
 *                and unpacks a full bundle, as umoci always does.
 *
 * Medians of RUNS runs, each from an empty store / empty layout.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ensureAptPackages, median, tempDir, which } from './lib.js';
import type { Row } from './lib.js';
import { serveTestImages } from '../test/support/test-images/serve.js';
import { ImageStore } from '../src/image/store/image-store.js';
import { RegistryClient } from '../src/image/registry/client.js';
import { pullImage } from '../src/image/pull.js';

const RUNS = Number(process.env['PULL_BENCH_RUNS'] ?? 5);

function ms(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function sh(argv: string[]): void {
  const r = spawnSync(argv[0] as string, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.status}): ${r.stderr?.toString().slice(0, 400)}`);
}

export async function pullBenchmarks(): Promise<Row[]> {
  if (!which('umoci')) ensureAptPackages(['umoci']);
  const served = await serveTestImages({ images: ['postgres', 'redis'], log: (l) => process.stderr.write(`${l}\n`) });
  const work = tempDir('tsc-bench-pull');
  try {
    const postgres = served.refs.postgres;
    const redis = served.refs.redis;
    const ours = { cold: [] as number[], shared: [] as number[] };
    const peer = { cold: [] as number[], shared: [] as number[] };
    const podman = { cold: [] as number[], shared: [] as number[] };
    const hasPodman = which('podman') !== undefined;
    // One warm-up round of each (page cache, registry), then RUNS measured rounds, alternating tools.
    for (let i = 0; i <= RUNS; i++) {
      const root = path.join(work, `ours-${i}`);
      const store = new ImageStore(root);
      const client = new RegistryClient();
      try {
        let t = process.hrtime.bigint();
        await pullImage(store, client, postgres);
        const cold = ms(t);
        t = process.hrtime.bigint();
        await pullImage(store, client, redis);
        const shared = ms(t);
        if (i > 0) {
          ours.cold.push(cold);
          ours.shared.push(shared);
        }
      } finally {
        await client.close();
        fs.rmSync(root, { recursive: true, force: true });
      }

      const layout = path.join(work, `oci-${i}`);
      const copy = (ref: string, tag: string): void =>
        sh(['skopeo', '--insecure-policy', 'copy', '--quiet', '--src-tls-verify=false', `docker://${ref}`, `oci:${layout}:${tag}`]);
      const unpack = (tag: string): void => sh(['umoci', 'unpack', '--image', `${layout}:${tag}`, path.join(work, `bundle-${i}-${tag}`)]);
      try {
        let t = process.hrtime.bigint();
        copy(postgres, 'postgres');
        unpack('postgres');
        const cold = ms(t);
        t = process.hrtime.bigint();
        copy(redis, 'redis');
        unpack('redis');
        const shared = ms(t);
        if (i > 0) {
          peer.cold.push(cold);
          peer.shared.push(shared);
        }
      } finally {
        for (const name of fs.readdirSync(work)) if (name.endsWith(`-${i}`) || name.startsWith(`bundle-${i}-`)) fs.rmSync(path.join(work, name), { recursive: true, force: true });
      }

      // Podman with a private, empty store each round (its own --root/--runroot; the machine's store is not touched).
      if (!hasPodman) continue;
      const podmanRoot = path.join(work, `podman-${i}`);
      const podmanPull = (ref: string): void =>
        sh(['podman', '--root', path.join(podmanRoot, 'root'), '--runroot', path.join(podmanRoot, 'run'), '--storage-driver', 'overlay', 'pull', '--quiet', '--tls-verify=false', ref]);
      try {
        let t = process.hrtime.bigint();
        podmanPull(postgres);
        const cold = ms(t);
        t = process.hrtime.bigint();
        podmanPull(redis);
        const shared = ms(t);
        if (i > 0) {
          podman.cold.push(cold);
          podman.shared.push(shared);
        }
      } finally {
        spawnSync('podman', ['--root', path.join(podmanRoot, 'root'), '--runroot', path.join(podmanRoot, 'run'), '--storage-driver', 'overlay', 'system', 'reset', '--force'], { stdio: 'ignore' });
        spawnSync('sh', ['-c', `grep -o " ${podmanRoot}[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l`], { stdio: 'ignore' });
        for (const name of fs.readdirSync(work)) if (name.endsWith(`-${i}`) || name.startsWith(`bundle-${i}-`)) fs.rmSync(path.join(work, name), { recursive: true, force: true });
      }
    }
    const peerName = 'skopeo copy + umoci unpack';
    const rows: Row[] = [
      { metric: 'pull postgres test image, cold store', ours: median(ours.cold), peerName, peer: median(peer.cold), unit: 'ms' },
      { metric: 'then pull redis (shares the base layer)', ours: median(ours.shared), peerName, peer: median(peer.shared), unit: 'ms' },
    ];
    if (podman.cold.length > 0) {
      rows.push(
        { metric: 'pull postgres test image, cold store', ours: median(ours.cold), peerName: 'podman pull', peer: median(podman.cold), unit: 'ms' },
        { metric: 'then pull redis (shares the base layer)', ours: median(ours.shared), peerName: 'podman pull', peer: median(podman.shared), unit: 'ms' },
      );
    }
    return rows;
  } finally {
    await served.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}
