/**
 * `pull`: resolve the reference to a manifest for this platform, fetch the
 * config and every layer not already in the store (in parallel, with a limit),
 * verify each, unpack each layer once, then record the image. Until the last
 * step nothing is visible: a pull that dies leaves only resumable ingests.
 */
import { TscComposeError } from '../errors/index.js';
import { MEDIA_TYPES, hostPlatform, isLayerMediaType } from './oci.js';
import type { Descriptor, ImageConfig, ImageIndex, ImageManifest, Platform } from './oci.js';
import { familiarReference, parseReference } from './reference.js';
import type { ImageReference } from './reference.js';
import type { RegistryClient } from './registry/client.js';
import type { ImageRecord, ImageStore } from './store/image-store.js';

/**
 * Per layer, in order: waiting, then either exists (the blob is in the store)
 * or downloading (repeated with growing `current`) and verifying; then
 * extracting (only when its snapshot is not there yet) and done.
 */
export type LayerStatus = 'waiting' | 'exists' | 'downloading' | 'verifying' | 'extracting' | 'done';

/** Per image: resolved (manifest chosen), then layer events, then complete. */
export type ImageStatus = 'resolved' | 'complete';

export interface PullEvent {
  /** The image as the user named it, familiar form: `busybox:1`. */
  reference: string;
  /** Short layer id (12 hex digits of the blob digest), on layer events. */
  layer?: string;
  status: LayerStatus | ImageStatus;
  /** Bytes downloaded so far (downloading), or the size. */
  current?: number;
  /** Compressed size of the layer. */
  total?: number;
}

export interface PullOptions {
  platform?: string | undefined;
  concurrency?: number;
  onEvent?: (event: PullEvent) => void;
  /** The clock that stamps the record's `pulledAt` (tests inject one). */
  now?: () => number;
}

export function parsePlatform(text: string | undefined): Platform {
  if (!text) return hostPlatform();
  const [os, architecture, variant] = text.split('/');
  if (!os || !architecture) throw new TscComposeError('TSC_PLATFORM', `invalid platform "${text}": expected os/arch[/variant]`);
  return variant ? { os, architecture, variant } : { os, architecture };
}

function platformMatches(candidate: Platform | undefined, want: Platform): boolean {
  if (!candidate) return false;
  if (candidate.os !== want.os || candidate.architecture !== want.architecture) return false;
  return !want.variant || !candidate.variant || candidate.variant === want.variant;
}

export async function pullImage(store: ImageStore, client: RegistryClient, reference: string, options: PullOptions = {}): Promise<ImageRecord> {
  const ref = parseReference(reference);
  const display = familiarReference(ref);
  const emit = (e: Omit<PullEvent, 'reference'>): void => options.onEvent?.({ reference: display, ...e });
  const want = parsePlatform(options.platform);

  let fetched = await client.getManifest(ref);
  const manifestBlobs: Array<{ body: Buffer; digest: string }> = [];
  if (fetched.mediaType === MEDIA_TYPES.ociIndex || fetched.mediaType === MEDIA_TYPES.dockerManifestList) {
    const index = JSON.parse(fetched.body.toString('utf8')) as ImageIndex;
    const match = index.manifests.find((m) => platformMatches(m.platform, want));
    if (!match) {
      const have = index.manifests.map((m) => (m.platform ? `${m.platform.os}/${m.platform.architecture}${m.platform.variant ? `/${m.platform.variant}` : ''}` : '?')).join(', ');
      throw new TscComposeError('TSC_IMAGE_PLATFORM', `image ${display}: no manifest for platform ${want.os}/${want.architecture} (available: ${have})`);
    }
    manifestBlobs.push({ body: fetched.body, digest: fetched.digest });
    fetched = await client.getManifest(ref, match.digest);
  }
  if (fetched.mediaType === MEDIA_TYPES.dockerManifestV1 || fetched.mediaType === MEDIA_TYPES.dockerManifestV1Signed) {
    throw new TscComposeError('TSC_IMAGE_UNSUPPORTED', `image ${display}: Docker image manifest schema 1 is not supported (deprecated since 2017); push the image again with a current tool`);
  }
  if (fetched.mediaType !== MEDIA_TYPES.ociManifest && fetched.mediaType !== MEDIA_TYPES.dockerManifest) {
    throw new TscComposeError('TSC_IMAGE_UNSUPPORTED', `image ${display}: unsupported manifest media type "${fetched.mediaType}"`);
  }
  const manifest = JSON.parse(fetched.body.toString('utf8')) as ImageManifest;
  emit({ status: 'resolved' });

  const config = await fetchJsonBlob<ImageConfig>(store, client, ref, manifest.config);
  if (config.os && config.os !== want.os) {
    throw new TscComposeError('TSC_IMAGE_PLATFORM', `image ${display} is for ${config.os}/${config.architecture}, not ${want.os}/${want.architecture}`);
  }
  const layers = manifest.layers.filter((l) => isLayerMediaType(l.mediaType) || l.mediaType === '');
  if (layers.length !== config.rootfs.diff_ids.length) {
    throw new TscComposeError('TSC_IMAGE_INVALID', `image ${display}: ${layers.length} layers but ${config.rootfs.diff_ids.length} diff ids in its config`);
  }

  const queue = layers.map((layer, i) => ({ layer, diffId: config.rootfs.diff_ids[i] as string }));
  for (const { layer } of queue) emit({ layer: layer.digest.slice(7, 19), status: 'waiting', current: 0, total: layer.size });
  const concurrency = Math.max(1, options.concurrency ?? 3);
  // Layers that share a blob (rare, but legal) are downloaded once.
  const inFlight = new Map<string, Promise<void>>();
  const worker = async (): Promise<void> => {
    for (;;) {
      const item = queue.shift();
      if (!item) return;
      const { layer, diffId } = item;
      const short = layer.digest.slice(7, 19);
      if (store.content.has(layer.digest)) {
        emit({ layer: short, status: 'exists', current: layer.size, total: layer.size });
      } else {
        let p = inFlight.get(layer.digest);
        if (!p) {
          p = downloadBlob(
            store,
            client,
            ref,
            layer,
            (bytes) => emit({ layer: short, status: 'downloading', current: bytes, total: layer.size }),
            () => emit({ layer: short, status: 'verifying', current: layer.size, total: layer.size }),
          );
          inFlight.set(layer.digest, p);
        }
        await p;
      }
      if (!store.hasSnapshot(diffId)) {
        emit({ layer: short, status: 'extracting' });
        await store.unpackSnapshot({ file: store.content.blobPath(layer.digest) }, diffId, `image ${display} layer ${layer.digest}`);
      }
      emit({ layer: short, status: 'done' });
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, layers.length) }, worker));

  for (const m of manifestBlobs) store.content.put(m.body, m.digest);
  store.content.put(fetched.body, fetched.digest);
  const record = store.tag(ref.digest ? reference : display, fetched.digest, { pulledAt: new Date((options.now ?? Date.now)()) });
  emit({ status: 'complete' });
  return record;
}

async function downloadBlob(
  store: ImageStore,
  client: RegistryClient,
  ref: ImageReference,
  desc: Descriptor,
  onProgress: (bytes: number) => void,
  onVerify: () => void = () => {},
): Promise<void> {
  const writer = store.content.ingest(desc.digest, desc.size);
  try {
    await client.fetchBlob(ref, desc.digest, writer, onProgress);
    onVerify();
    writer.commit();
  } catch (err) {
    // Keep the partial bytes for a resumed pull unless the content itself was wrong.
    if (err instanceof TscComposeError && err.category === 'invalid') writer.abort();
    else writer.suspend();
    throw err;
  }
}

async function fetchJsonBlob<T>(store: ImageStore, client: RegistryClient, ref: ImageReference, desc: Descriptor): Promise<T> {
  if (!store.content.has(desc.digest)) await downloadBlob(store, client, ref, desc, () => {});
  return store.content.readJson<T>(desc.digest);
}
