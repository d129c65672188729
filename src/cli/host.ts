/** Composition root for everything that touches this machine's state: roots, stores, runtime. */
import * as path from 'node:path';
import { ensureStateLayout, stateLayout, stateRoots } from '../state/roots.js';
import { ImageStore } from '../image/store/image-store.js';
import { Runtime } from '../runtime/container.js';
import { VolumeStore } from '../runtime/volumes.js';
import { TscComposeError } from '../errors/index.js';

import type { Host } from '../engine/host.js';

export function openHost(): Host {
  if (process.getuid?.() !== 0) {
    throw new TscComposeError('TSC_NOT_ROOT', 'permission', 'tsc-compose runs containers as root (rootless mode is not supported yet): run it with sudo');
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
