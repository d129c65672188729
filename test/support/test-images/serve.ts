/**
 * The test images in a local registry under Docker Hub's names (library/...),
 * so the registry can stand in for Docker Hub as a mirror, or be named
 * directly as 127.0.0.1:PORT/library/postgres:15.
 */
import { ensureTestImages, type EnsureTestImagesOptions, type TestImageName, type TestImages } from './images.js';
import { pushImage, startLocalRegistry, type LocalRegistry, type StartRegistryOptions } from './registry.js';

/** Repository and tag of each test image in a registry. */
export const TEST_IMAGE_REPOSITORIES: Record<TestImageName, string> = {
  busybox: 'library/busybox:latest',
  'busybox-multiarch': 'library/busybox-multiarch:latest',
  debian: 'library/debian:bookworm',
  postgres: 'library/postgres:15',
  redis: 'library/redis:7',
  node: 'library/node:18',
};

export interface ServedTestImages<N extends TestImageName> {
  registry: LocalRegistry;
  images: TestImages<N>;
  /** Full references: 127.0.0.1:PORT/library/postgres:15. */
  refs: Record<N, string>;
  /** Manifest (or index) digest pushed for each image. */
  digests: Record<N, string>;
  /** Stops the registry (if this call started it). */
  stop(): Promise<void>;
}

export interface ServeTestImagesOptions<N extends TestImageName> extends EnsureTestImagesOptions<N> {
  /** Push into this registry instead of starting one (it is then not stopped by stop()). */
  registry?: LocalRegistry;
  /** Options for the registry started here. */
  registryOptions?: StartRegistryOptions;
}

/** Builds or reuses the images, starts a registry and pushes them into it. */
export async function serveTestImages<N extends TestImageName = TestImageName>(opts: ServeTestImagesOptions<N> = {}): Promise<ServedTestImages<N>> {
  const images = await ensureTestImages<N>(opts);
  const registry = opts.registry ?? (await startLocalRegistry(opts.registryOptions));
  const owned = opts.registry === undefined;
  try {
    const names = Object.keys(images).filter((k) => k !== 'cacheDir') as N[];
    const credentials = registry.auth ? { user: registry.auth.user, password: registry.auth.password } : undefined;
    const refs = {} as Record<N, string>;
    const digests = {} as Record<N, string>;
    await Promise.all(
      names.map(async (name) => {
        const repo = TEST_IMAGE_REPOSITORIES[name];
        const image = images[name] as { layoutDir: string };
        digests[name] = await pushImage(image.layoutDir, registry.host, repo, credentials ? { credentials } : {});
        refs[name] = `${registry.host}/${repo}`;
      }),
    );
    return { registry, images, refs, digests, stop: () => (owned ? registry.stop() : Promise.resolve()) };
  } catch (e) {
    if (owned) await registry.stop();
    throw e;
  }
}
