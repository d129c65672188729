/** An isolated state root with a busybox image, and a helper to build container configs, for real-kernel tests. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { ImageStore } from '../../src/image/store/image-store.js';
import type { ImageRecord } from '../../src/image/store/image-store.js';
import { Runtime } from '../../src/runtime/container.js';
import type { ContainerConfig } from '../../src/runtime/container.js';
import { ensureStateLayout, stateLayout } from '../../src/state/roots.js';
import type { StateLayout } from '../../src/state/roots.js';
import { capabilityMask } from '../../src/runtime/capabilities.js';
import { heldCapabilities } from '../../src/sys/process.js';
import { busyboxRootfsTar } from './busybox.js';

export interface RuntimeFixture {
  root: string;
  layout: StateLayout;
  images: ImageStore;
  busybox: ImageRecord;
  runtime: Runtime;
  config(args: string[], overrides?: Partial<ContainerConfig>): ContainerConfig;
  cleanup(): Promise<void>;
}

/**
 * A busybox container's configuration as the engine would make it (Docker's
 * capabilities, private namespaces, root in /), its /etc files written under
 * `root`/etc/`id`.
 */
export function busyboxConfig(root: string, id: string, image: ContainerConfig['image'], args: string[], overrides: Partial<ContainerConfig> = {}): ContainerConfig {
  const etc = path.join(root, 'etc', id);
  fs.mkdirSync(etc, { recursive: true });
  const files = { hosts: path.join(etc, 'hosts'), hostname: path.join(etc, 'hostname'), resolvConf: path.join(etc, 'resolv.conf') };
  fs.writeFileSync(files.hosts, '127.0.0.1\tlocalhost\n');
  fs.writeFileSync(files.hostname, 'box\n');
  fs.writeFileSync(files.resolvConf, 'nameserver 127.0.0.1\n');
  return {
    id,
    name: `test-${id}`,
    labels: {},
    image,
    args,
    env: ['PATH=/bin:/sbin:/usr/bin', 'HOME=/root'],
    cwd: '/',
    user: { uid: 0, gid: 0, additionalGids: [] },
    hostname: 'box',
    mounts: [],
    readOnlyRootfs: false,
    namespaces: { net: 'private', pid: 'private', ipc: 'private', uts: 'private' },
    resources: {},
    capabilities: capabilityMask({ held: heldCapabilities() }),
    noNewPrivileges: true,
    ulimits: [],
    sysctls: {},
    privileged: false,
    stopSignal: 'SIGTERM',
    stopTimeoutMs: 2000,
    files,
    ...overrides,
  };
}

export async function runtimeFixture(): Promise<RuntimeFixture> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsc-rt-'));
  const layout = stateLayout({ dataRoot: root, runRoot: path.join(root, 'run') });
  ensureStateLayout(layout);
  const images = new ImageStore(layout.images);
  const busybox = await images.importRootfs(await busyboxRootfsTar(), 'busybox:test', { Cmd: ['sh'] });
  const runtime = new Runtime(layout);
  const made: string[] = [];
  return {
    root,
    layout,
    images,
    busybox,
    runtime,
    config(args, overrides = {}) {
      const id = `t${randomBytes(6).toString('hex')}`;
      made.push(id);
      const config = busyboxConfig(root, id, { reference: busybox.reference, lowerDirs: images.lowerDirs(busybox) }, args, overrides);
      runtime.create(config);
      return config;
    },
    async cleanup() {
      for (const id of made) await runtime.remove(id).catch(() => undefined);
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

export function logText(fixture: RuntimeFixture, id: string, stream: 'stdout' | 'stderr' = 'stdout'): string {
  const raw = fs.existsSync(fixture.runtime.paths(id).log) ? fs.readFileSync(fixture.runtime.paths(id).log, 'utf8') : '';
  return raw
    .split('\n')
    .filter((l) => l.includes(` ${stream} `))
    .map((l) => l.replace(/^\S+ \S+ [FP] /, ''))
    .join('\n');
}
