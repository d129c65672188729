/**
 * Images on this machine: blobs in the content store, layers unpacked once
 * into snapshot directories shared by every image and container that uses
 * them (overlayfs lower layers), and a small atomic index from references to
 * manifests. Removing an image frees only what nothing else uses.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { Readable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { TscComposeError } from '../../errors/index.js';
import { readJsonFile, writeJsonAtomic } from '../../util/atomic-file.js';
import { ContentStore, hexOf, sha256Digest } from './content-store.js';
import { unpackLayer } from '../unpack/unpack-layer.js';
import { unpackLayerFile } from '../unpack/unpack-in-worker.js';
import { MEDIA_TYPES, hostPlatform } from '../oci.js';
import type { Descriptor, ImageConfig, ImageManifest, ImageRuntimeConfig } from '../oci.js';
import { familiarReference, formatReference, parseReference, repositoryName } from '../reference.js';

export interface ImageRecord {
  /** Fully qualified reference: `docker.io/library/busybox:latest`. */
  reference: string;
  manifestDigest: string;
  configDigest: string;
  /** Layer diff ids, bottom first. */
  diffIds: string[];
  /** Compressed layer digests as the manifest lists them, bottom first. */
  layerDigests: string[];
  created: string;
  /** Total compressed size of config + layers. */
  size: number;
  /**
   * When this reference was last pulled or checked against its registry (ISO
   * time); absent for images loaded, imported, or recorded before pulls were timed.
   */
  pulledAt?: string;
}

export interface TagOptions {
  /** Record the reference as pulled (or checked) at this time. */
  pulledAt?: Date;
}

interface ImageIndexFile {
  images: Record<string, ImageRecord>;
}

export class ImageNotFoundError extends TscComposeError {
  constructor(reference: string) {
    super('TSC_IMAGE_NOT_FOUND', `image "${reference}" not found`);
    this.name = 'ImageNotFoundError';
  }
}

export class ImageStore {
  readonly content: ContentStore;
  readonly snapshotsDir: string;
  private readonly indexFile: string;

  constructor(readonly root: string) {
    this.content = new ContentStore(path.join(root, 'content'));
    this.snapshotsDir = path.join(root, 'snapshots');
    this.indexFile = path.join(root, 'images.json');
    fs.mkdirSync(this.snapshotsDir, { recursive: true, mode: 0o700 });
  }

  private readIndex(): ImageIndexFile {
    return readJsonFile<ImageIndexFile>(this.indexFile) ?? { images: {} };
  }

  list(): ImageRecord[] {
    return Object.values(this.readIndex().images).sort((a, b) => a.reference.localeCompare(b.reference));
  }

  /** By tag or digest reference (`busybox`, `busybox@sha256:…`), or by config id prefix. */
  find(reference: string): ImageRecord | undefined {
    const index = this.readIndex();
    if (/^(sha256:)?[a-f0-9]{12,64}$/.test(reference)) {
      const hex = reference.replace(/^sha256:/, '');
      const byId = Object.values(index.images).find((r) => hexOf(r.configDigest).startsWith(hex));
      if (byId) return byId;
    }
    let ref;
    try {
      ref = parseReference(reference);
    } catch {
      return undefined;
    }
    if (ref.digest) {
      const repo = repositoryName(ref);
      return Object.values(index.images).find((r) => r.manifestDigest === ref.digest && repositoryName(parseReference(r.reference)) === repo);
    }
    return index.images[formatReference(ref)];
  }

  get(reference: string): ImageRecord {
    const record = this.find(reference);
    if (!record) throw new ImageNotFoundError(reference);
    return record;
  }

  config(record: ImageRecord): ImageConfig {
    return this.content.readJson<ImageConfig>(record.configDigest);
  }

  /** Records `reference` → this manifest (all blobs must already be in the content store). */
  tag(reference: string, manifestDigest: string, options: TagOptions = {}): ImageRecord {
    const manifest = this.content.readJson<ImageManifest>(manifestDigest);
    const config = this.content.readJson<ImageConfig>(manifest.config.digest);
    const normalized = formatReference(parseReference(reference));
    const record: ImageRecord = {
      reference: normalized,
      manifestDigest,
      configDigest: manifest.config.digest,
      diffIds: config.rootfs.diff_ids,
      layerDigests: manifest.layers.map((l) => l.digest),
      created: config.created ?? new Date().toISOString(),
      size: manifest.config.size + manifest.layers.reduce((n, l) => n + l.size, 0),
    };
    if (options.pulledAt) record.pulledAt = options.pulledAt.toISOString();
    const index = this.readIndex();
    index.images[normalized] = record;
    writeJsonAtomic(this.indexFile, index);
    return record;
  }

  snapshotDir(diffId: string): string {
    return path.join(this.snapshotsDir, hexOf(diffId).slice(0, 16));
  }

  /** Overlay lower directories for the image, top layer first. */
  lowerDirs(record: ImageRecord): string[] {
    return record.diffIds.map((d) => path.join(this.snapshotDir(d), 'fs')).reverse();
  }

  hasSnapshot(diffId: string): boolean {
    const dir = this.snapshotDir(diffId);
    return fs.existsSync(path.join(dir, 'fs')) && readJsonFile<{ diffId: string }>(path.join(dir, 'meta.json'))?.diffId === diffId;
  }

  /**
   * Unpacks a layer into its snapshot directory, once: into a temporary
   * directory first, renamed into place only if the whole layer was safe
   * and its diff id matched.
   */
  /** A layer into its snapshot directory; a layer given as a file is unpacked on a worker thread. */
  async unpackSnapshot(source: Readable | { file: string }, expectedDiffId: string, context: string): Promise<string> {
    const dir = this.snapshotDir(expectedDiffId);
    if (this.hasSnapshot(expectedDiffId)) return dir;
    const tmp = path.join(this.snapshotsDir, `.tmp-${randomBytes(6).toString('hex')}`);
    try {
      const result = 'file' in source ? await unpackLayerFile(source.file, path.join(tmp, 'fs'), { context }) : await unpackLayer(source, path.join(tmp, 'fs'), { context });
      if (result.diffId !== expectedDiffId) {
        throw new TscComposeError('TSC_IMAGE_DIGEST_MISMATCH', `${context}: diff id mismatch: expected ${expectedDiffId}, got ${result.diffId}`);
      }
      writeJsonAtomic(path.join(tmp, 'meta.json'), { diffId: expectedDiffId, entries: result.entries });
      fs.rmSync(dir, { recursive: true, force: true });
      fs.renameSync(tmp, dir);
      return dir;
    } catch (err) {
      fs.rmSync(tmp, { recursive: true, force: true });
      throw err;
    }
  }

  /** Makes sure every layer of the image is unpacked (from blobs already in the store). */
  async ensureSnapshots(record: ImageRecord): Promise<void> {
    for (let i = 0; i < record.diffIds.length; i++) {
      const diffId = record.diffIds[i] as string;
      if (this.hasSnapshot(diffId)) continue;
      const blob = record.layerDigests[i] as string;
      const context = `image ${familiarReference(parseReference(record.reference))} layer ${blob}`;
      await this.unpackSnapshot({ file: this.content.blobPath(blob) }, diffId, context);
    }
  }

  /**
   * `docker import`: a root file system tarball becomes a one-layer image.
   * `changes` sets the runtime config (Cmd, Entrypoint, Env, WorkingDir, ...).
   */
  async importRootfs(tarball: Buffer, reference: string, changes: ImageRuntimeConfig = {}): Promise<ImageRecord> {
    const ref = formatReference(parseReference(reference));
    const diffId = sha256Digest(tarball);
    const compressed = zlib.gzipSync(tarball, { level: 6 });
    const hadLayer = this.content.has(sha256Digest(compressed));
    const layerDigest = this.content.put(compressed);
    try {
      await this.unpackSnapshot(Readable.from([tarball]), diffId, `import of ${reference}`);
    } catch (err) {
      // A failed import keeps nothing: the layer blob goes too unless something had it before.
      if (!hadLayer) this.content.delete(layerDigest);
      throw err;
    }
    const platform = hostPlatform();
    const config: ImageConfig = {
      created: new Date().toISOString(),
      architecture: platform.architecture,
      os: platform.os,
      config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], ...changes },
      rootfs: { type: 'layers', diff_ids: [diffId] },
      history: [{ created: new Date().toISOString(), created_by: 'tsc-compose image import', comment: 'Imported from tarball' }],
    };
    const configBytes = Buffer.from(JSON.stringify(config));
    const configDigest = this.content.put(configBytes);
    const layer: Descriptor = { mediaType: MEDIA_TYPES.ociLayerGzip, digest: layerDigest, size: compressed.length };
    const manifest: ImageManifest = {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociManifest,
      config: { mediaType: MEDIA_TYPES.ociConfig, digest: configDigest, size: configBytes.length },
      layers: [layer],
    };
    const manifestDigest = this.content.put(Buffer.from(JSON.stringify(manifest)));
    return this.tag(ref, manifestDigest);
  }

  /** Untags; blobs and snapshots no other image uses are freed. */
  remove(reference: string): ImageRecord {
    const record = this.get(reference);
    const index = this.readIndex();
    delete index.images[record.reference];
    writeJsonAtomic(this.indexFile, index);
    this.collectGarbage(new Set());
    return record;
  }

  /**
   * Frees blobs and snapshots no image references; `inUseDiffIds` are
   * snapshots running containers still mount, which are kept.
   */
  collectGarbage(inUseDiffIds: Set<string>): { blobs: number; snapshots: number } {
    const index = this.readIndex();
    const liveBlobs = new Set<string>();
    const liveDiffIds = new Set(inUseDiffIds);
    for (const r of Object.values(index.images)) {
      liveBlobs.add(r.manifestDigest);
      liveBlobs.add(r.configDigest);
      for (const l of r.layerDigests) liveBlobs.add(l);
      for (const d of r.diffIds) liveDiffIds.add(d);
    }
    let blobs = 0;
    for (const digest of this.content.list()) {
      if (liveBlobs.has(digest)) continue;
      this.content.delete(digest);
      blobs++;
    }
    const liveDirs = new Set([...liveDiffIds].map((d) => path.basename(this.snapshotDir(d))));
    let snapshots = 0;
    const hourAgo = Date.now() - 3600_000;
    for (const name of fs.readdirSync(this.snapshotsDir)) {
      if (liveDirs.has(name)) continue;
      // A temporary directory may belong to an unpack in progress; only old ones are debris.
      if (name.startsWith('.tmp-') && fs.statSync(path.join(this.snapshotsDir, name)).mtimeMs > hourAgo) continue;
      fs.rmSync(path.join(this.snapshotsDir, name), { recursive: true, force: true });
      snapshots++;
    }
    return { blobs, snapshots };
  }
}
