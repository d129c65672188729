/**
 * `image save`: images from the store as one tar that is both a `docker save`
 * archive (manifest.json with RepoTags, Config and Layers paths) and an OCI
 * image layout (oci-layout, index.json, blobs/sha256), as Docker 25 writes
 * it. Blobs are written as stored, so manifest digests survive a round trip;
 * `docker load` and skopeo's docker-archive reader decompress layers themselves.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import type { Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import { TscComposeError } from '../../errors/index.js';
import { MEDIA_TYPES } from '../oci.js';
import type { Descriptor, ImageIndex, ImageManifest } from '../oci.js';
import { familiarReference, parseReference } from '../reference.js';
import { hexOf } from '../store/content-store.js';
import type { ImageRecord, ImageStore } from '../store/image-store.js';
import { ANNOTATION_CONTAINERD_NAME, ANNOTATION_REF_NAME } from './load.js';

interface SavedImage {
  record: ImageRecord;
  manifest: ImageManifest;
  manifestSize: number;
  /** Fully qualified references naming this manifest. */
  references: string[];
}

/** Entries get a fixed time, so saving the same images twice gives the same bytes. */
const ENTRY_TIME = new Date(0);

function collect(store: ImageStore, references: string[]): SavedImage[] {
  if (references.length === 0) throw new TscComposeError('TSC_USAGE', 'image save needs at least one image');
  const byManifest = new Map<string, SavedImage>();
  for (const ref of references) {
    const record = store.get(ref);
    const seen = byManifest.get(record.manifestDigest);
    if (seen) {
      if (!seen.references.includes(record.reference)) seen.references.push(record.reference);
      continue;
    }
    const bytes = store.content.read(record.manifestDigest);
    const manifest = JSON.parse(bytes.toString('utf8')) as ImageManifest;
    for (const d of [manifest.config.digest, ...manifest.layers.map((l) => l.digest)]) {
      if (!store.content.has(d)) {
        throw new TscComposeError('TSC_IMAGE_BLOB_NOT_FOUND', `image ${familiarReference(parseReference(record.reference))}: blob ${d} is missing from the store; pull the image again`);
      }
    }
    byManifest.set(record.manifestDigest, { record, manifest, manifestSize: bytes.length, references: [record.reference] });
  }
  return [...byManifest.values()];
}

function indexFor(images: SavedImage[]): ImageIndex {
  const manifests: Descriptor[] = [];
  for (const image of images) {
    for (const reference of image.references) {
      const ref = parseReference(reference);
      const annotations: Record<string, string> = { [ANNOTATION_CONTAINERD_NAME]: reference };
      if (ref.tag) annotations[ANNOTATION_REF_NAME] = ref.tag;
      manifests.push({ mediaType: image.manifest.mediaType ?? MEDIA_TYPES.ociManifest, digest: image.record.manifestDigest, size: image.manifestSize, annotations });
    }
  }
  return { schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests };
}

function dockerManifestFor(images: SavedImage[]): Array<{ Config: string; RepoTags: string[]; Layers: string[] }> {
  return images.map((image) => ({
    Config: `blobs/sha256/${hexOf(image.manifest.config.digest)}`,
    // RepoTags has no room for digest references (docker save leaves them out too).
    RepoTags: image.references.map((r) => parseReference(r)).filter((r) => r.tag && !r.digest).map((r) => familiarReference(r)),
    Layers: image.manifest.layers.map((l) => `blobs/sha256/${hexOf(l.digest)}`),
  }));
}

/** Writes the archive of these images to `out`; ends `out` only when `end` is set. */
export async function writeImageArchive(store: ImageStore, references: string[], out: Writable | NodeJS.WritableStream, options: { end?: boolean } = {}): Promise<void> {
  const images = collect(store, references);
  const pack = tar.pack();
  const sink = out as Writable;
  let sinkError: Error | undefined;
  const onSinkError = (err: Error): void => {
    sinkError ??= err;
    pack.destroy(err);
  };
  sink.on('error', onSinkError);
  // streamx's pipe always ends its destination; stdout must stay open, so copy by hand.
  const pump = (async () => {
    for await (const chunk of pack) {
      if (!sink.write(chunk)) await once(sink, 'drain');
    }
    if (options.end) {
      sink.end();
      await finished(sink);
    }
  })();
  pump.catch(() => {});
  const dir = (name: string): Promise<void> =>
    new Promise((resolve, reject) => {
      pack.entry({ name, type: 'directory', mode: 0o755, mtime: ENTRY_TIME }, (err) => (err ? reject(err) : resolve()));
    });
  const bytes = (name: string, data: Buffer): Promise<void> =>
    new Promise((resolve, reject) => {
      pack.entry({ name, size: data.length, mode: 0o644, mtime: ENTRY_TIME }, data, (err) => (err ? reject(err) : resolve()));
    });
  try {
    await dir('blobs/');
    await dir('blobs/sha256/');
    const written = new Set<string>();
    for (const image of images) {
      const digests = [...image.manifest.layers.map((l) => l.digest), image.manifest.config.digest, image.record.manifestDigest];
      for (const digest of digests) {
        if (written.has(digest)) continue;
        written.add(digest);
        const file = store.content.blobPath(digest);
        const size = fs.statSync(file).size;
        const entry = pack.entry({ name: `blobs/sha256/${hexOf(digest)}`, size, mode: 0o644, mtime: ENTRY_TIME });
        await pipeline(fs.createReadStream(file), entry as unknown as Writable);
      }
    }
    await bytes('index.json', Buffer.from(JSON.stringify(indexFor(images))));
    await bytes('manifest.json', Buffer.from(JSON.stringify(dockerManifestFor(images))));
    await bytes('oci-layout', Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })));
    pack.finalize();
    await pump;
  } catch (err) {
    pack.destroy(err as Error);
    throw sinkError ?? err;
  } finally {
    sink.off('error', onSinkError);
  }
}

/** Writes the archive to `file` atomically: a temporary file beside it, renamed when complete. */
export async function saveImagesToFile(store: ImageStore, references: string[], file: string): Promise<void> {
  const tmp = path.join(path.dirname(path.resolve(file)), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const out = fs.createWriteStream(tmp, { mode: 0o644 });
  try {
    await writeImageArchive(store, references, out, { end: true });
    fs.renameSync(tmp, file);
  } catch (err) {
    out.destroy();
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}
