/** What the engine works with on this machine: its state layout and stores (built by the CLI's composition root). */
import type { StateLayout } from '../state/roots.js';
import type { ImageStore } from '../image/store/image-store.js';
import type { Runtime } from '../runtime/container.js';
import type { VolumeStore } from '../runtime/volumes.js';

export interface Host {
  layout: StateLayout;
  images: ImageStore;
  runtime: Runtime;
  volumes: VolumeStore;
  scratchDir: string;
}
