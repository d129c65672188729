/** What the engine works with on this machine: its state layout and stores, and the one place that opens them. */
import * as path from 'node:path';
import { ensureStateLayout, stateLayout, stateRoots } from '../state/roots.js';
import { ImageStore } from '../image/store/image-store.js';
import { Runtime } from '../runtime/container.js';
import { VolumeStore } from '../runtime/volumes.js';
import { TscComposeError } from '../errors/index.js';
import type { StateLayout } from '../state/roots.js';

export interface Host {
  layout: StateLayout;
  images: ImageStore;
  runtime: Runtime;
  volumes: VolumeStore;
  scratchDir: string;
}

/** Opens this machine's state (roots, stores, runtime) for the engine and for the CLI's own process boundary. */
export function openHost(): Host {
  if (process.getuid?.() !== 0) {
    throw new TscComposeError('TSC_NOT_ROOT', 'tsc-compose runs containers as root (rootless mode is not supported yet): run it with sudo');
  }
  const layout = stateLayout(stateRoots());
  ensureStateLayout(layout);
  return {
    layout,
    images: new ImageStore(layout.images),
    runtime: new Runtime(layout),
    volumes: new VolumeStore(layout.volumes),
    scratchDir: path.join(layout.runRoot, 'scratch'),
  };
}
