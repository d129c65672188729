/**
 * `image load`: images from a `docker save` archive (the classic layout with
 * manifest.json and `<id>/layer.tar`, and Docker 25's OCI layout inside the
 * tar) or an OCI image layout (a directory or a tar of one).
 *
 * Nothing is trusted: every blob an OCI descriptor names must hash to its
 * digest and have its size, every layer must unpack safely (the same unpacker
 * as pull: no entry outside its layer) and hash to the diff id in its config.
 * Only when every image of the archive passed are blobs published and names
 * recorded; on any failure the snapshots this load made are removed again.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { TscComposeError } from '../../errors/index.js';
import { MEDIA_TYPES, isLayerMediaType } from '../oci.js';
import type { Descriptor, ImageConfig, ImageIndex, ImageManifest, Platform } from '../oci.js';
import { parsePlatform } from '../pull.js';
import { familiarReference, formatReference, parseReference } from '../reference.js';
import { DigestMismatchError, hexOf, sha256Digest } from '../store/content-store.js';
import type { ImageRecord, ImageStore } from '../store/image-store.js';
import { compressionOf } from '../unpack/unpack-layer.js';
import { ArchiveFormatError, directoryFiles, stageTar } from './archive-files.js';
import type { ArchiveFile, ArchiveFiles } from './archive-files.js';

export const ANNOTATION_REF_NAME = 'org.opencontainers.image.ref.name';
export const ANNOTATION_CONTAINERD_NAME = 'io.containerd.image.name';

export type LoadInput = { path: string } | { stream: Readable; what?: string };

export interface LoadOptions {
  /** The platform to take from an image index (default: this machine). */
  platform?: string | undefined;
  /**
   * A repository (optionally with a tag) for images the archive leaves
   * unnamed or names by tag only (OCI layouts written with `oci:DIR:TAG`).
   */
  name?: string | undefined;
  /** One line per step (`Loading layer …`), for the CLI. */
  onProgress?: (line: string) => void;
}

export interface LoadedImage {
  /** Familiar name, as Docker prints it: `busybox:latest`. */
  reference: string;
  record: ImageRecord;
}

interface LayerPlan {
  file: ArchiveFile;
  digest: string;
  diffId: string;
}

interface ImagePlan {
  names: string[];
  manifest: Buffer;
  manifestDigest: string;
  config: ArchiveFile;
  layers: LayerPlan[];
  /** Names the image in errors. */
  label: string;
}

interface DockerSaveEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

const TAG_ONLY = /^[\w][\w.-]{0,127}$/;
const HEX_NAME = /(?:^|\/)(?:blobs\/sha256\/)?([a-f0-9]{64})(?:\.json)?$/;

/** Loads every image of the archive into the store; all or nothing. */
export async function loadImages(store: ImageStore, input: LoadInput, options: LoadOptions = {}): Promise<LoadedImage[]> {
  const files = await openInput(store, input);
  try {
    const plans = planImages(files, options);
    await unpackAll(store, plans, options);
    commitBlobs(store, files, plans);
    const loaded: LoadedImage[] = [];
    for (const plan of plans) {
      for (const name of plan.names) {
        const record = store.tag(name, plan.manifestDigest);
        loaded.push({ reference: familiarReference(parseReference(record.reference)), record });
      }
    }
    return loaded;
  } finally {
    files.dispose();
  }
}

async function openInput(store: ImageStore, input: LoadInput): Promise<ArchiveFiles> {
  const staging = path.join(store.root, 'tmp');
  if ('stream' in input) return stageTar(input.stream, staging, input.what ?? 'archive from standard input');
  let st: fs.Stats;
  try {
    st = fs.statSync(input.path);
  } catch {
    throw new TscComposeError('TSC_FILE_NOT_FOUND', `open ${input.path}: no such file or directory`);
  }
  const what = `archive ${input.path}`;
  if (st.isDirectory()) return directoryFiles(input.path, what);
  return stageTar(fs.createReadStream(input.path), staging, what);
}

/** Reads the archive's index and checks every document and blob the images need. */
export function planImages(files: ArchiveFiles, options: LoadOptions): ImagePlan[] {
  const want = parsePlatform(options.platform);
  let plans: ImagePlan[];
  if (files.has('index.json')) plans = planOciLayout(files, want, options);
  else if (files.has('manifest.json')) plans = planDockerSave(files, options);
  else throw new ArchiveFormatError(`${files.what}: neither a docker save archive nor an OCI image layout (no manifest.json or index.json)`);
  if (plans.length === 0) throw new ArchiveFormatError(`${files.what}: no image for platform ${want.os}/${want.architecture} in the archive`);
  // One plan per manifest; names of duplicates merged.
  const byDigest = new Map<string, ImagePlan>();
  for (const p of plans) {
    const seen = byDigest.get(p.manifestDigest);
    if (seen) seen.names = [...new Set([...seen.names, ...p.names])];
    else byDigest.set(p.manifestDigest, p);
  }
  const merged = [...byDigest.values()];
  for (const p of merged) {
    if (p.names.length === 0) {
      throw new TscComposeError(
        'TSC_IMAGE_LOAD_UNNAMED',
        `${files.what}: image ${p.manifestDigest} has no name in the archive; load it with --name REPOSITORY[:TAG]`,
      );
    }
  }
  return merged;
}

function blobName(digest: string): string {
  return `blobs/sha256/${hexOf(digest)}`;
}

/** The blob a descriptor names, verified against its digest and size. */
function verifiedBlob(files: ArchiveFiles, desc: Descriptor, what: string): ArchiveFile {
  if (typeof desc?.digest !== 'string') throw new ArchiveFormatError(`${files.what}: ${what}: descriptor without a digest`);
  const name = blobName(desc.digest);
  const file = files.find(name);
  if (!file) throw new ArchiveFormatError(`${files.what}: ${what}: blob ${desc.digest} is missing from the archive`);
  if (file.digest !== desc.digest) throw new DigestMismatchError(desc.digest, file.digest, `${files.what}: ${name}`);
  if (typeof desc.size === 'number' && file.size !== desc.size) {
    throw new TscComposeError('TSC_IMAGE_SIZE_MISMATCH', `${files.what}: ${name}: size mismatch: expected ${desc.size} bytes, got ${file.size}`);
  }
  return file;
}

function platformMatches(candidate: Platform | undefined, want: Platform): boolean {
  if (!candidate) return true;
  if (candidate.os !== want.os || candidate.architecture !== want.architecture) return false;
  return !want.variant || !candidate.variant || candidate.variant === want.variant;
}

function isIndex(mediaType: string | undefined): boolean {
  return mediaType === MEDIA_TYPES.ociIndex || mediaType === MEDIA_TYPES.dockerManifestList;
}

function planOciLayout(files: ArchiveFiles, want: Platform, options: LoadOptions): ImagePlan[] {
  const index = files.readJson<ImageIndex>('index.json');
  if (!Array.isArray(index?.manifests)) throw new ArchiveFormatError(`${files.what}: index.json has no manifests`);
  // Docker 25 writes manifest.json beside the layout: its RepoTags name images whose descriptors carry only a tag.
  const tagsByConfig = new Map<string, string[]>();
  if (files.has('manifest.json')) {
    const entries = files.readJson<DockerSaveEntry[]>('manifest.json');
    for (const e of Array.isArray(entries) ? entries : []) {
      const cfg = typeof e?.Config === 'string' ? files.find(e.Config) : undefined;
      if (cfg && e.RepoTags) tagsByConfig.set(cfg.digest, e.RepoTags);
    }
  }
  const plans: ImagePlan[] = [];
  for (const top of index.manifests) {
    const hints = top.annotations ?? {};
    const visit = (desc: Descriptor, depth: number): void => {
      if (depth > 4) throw new ArchiveFormatError(`${files.what}: image indexes nested too deeply`);
      if (!platformMatches(desc.platform, want)) return;
      const file = verifiedBlob(files, desc, 'index.json');
      const doc = files.readJson<{ mediaType?: string; manifests?: Descriptor[] }>(blobName(desc.digest));
      const mediaType = doc.mediaType ?? desc.mediaType;
      if (isIndex(mediaType) || (mediaType === undefined && Array.isArray(doc.manifests))) {
        const match = (doc.manifests ?? []).find((m) => m.platform && platformMatches(m.platform, want) && !isIndex(m.mediaType));
        if (match) visit(match, depth + 1);
        return;
      }
      const plan = planManifest(files, fs.readFileSync(file.path), desc.digest, mediaType, `${files.what}: image ${desc.digest}`);
      plan.names = namesFor(hints, tagsByConfig.get(plan.config.digest), options, files);
      plans.push(plan);
    };
    visit(top, 0);
  }
  return plans;
}

function planManifest(files: ArchiveFiles, bytes: Buffer, digest: string, mediaType: string | undefined, label: string): ImagePlan {
  if (mediaType === MEDIA_TYPES.dockerManifestV1 || mediaType === MEDIA_TYPES.dockerManifestV1Signed) {
    throw new TscComposeError('TSC_IMAGE_UNSUPPORTED', `${label}: Docker image manifest schema 1 is not supported`);
  }
  if (mediaType !== undefined && mediaType !== MEDIA_TYPES.ociManifest && mediaType !== MEDIA_TYPES.dockerManifest) {
    throw new TscComposeError('TSC_IMAGE_UNSUPPORTED', `${label}: unsupported manifest media type "${mediaType}"`);
  }
  const manifest = JSON.parse(bytes.toString('utf8')) as ImageManifest;
  if (!manifest.config || !Array.isArray(manifest.layers)) throw new ArchiveFormatError(`${label}: not an image manifest`);
  const config = verifiedBlob(files, manifest.config, `${label} config`);
  const imageConfig = readConfig(config, label);
  const layers = manifest.layers.filter((l) => isLayerMediaType(l.mediaType) || l.mediaType === '');
  if (layers.length !== imageConfig.rootfs.diff_ids.length) {
    throw new ArchiveFormatError(`${label}: ${layers.length} layers but ${imageConfig.rootfs.diff_ids.length} diff ids in its config`);
  }
  return {
    names: [],
    manifest: bytes,
    manifestDigest: digest,
    config,
    layers: layers.map((l, i) => ({ file: verifiedBlob(files, l, `${label} layer ${i}`), digest: l.digest, diffId: imageConfig.rootfs.diff_ids[i] as string })),
    label,
  };
}

function readConfig(file: ArchiveFile, label: string): ImageConfig {
  let config: ImageConfig;
  try {
    config = JSON.parse(fs.readFileSync(file.path, 'utf8')) as ImageConfig;
  } catch (err) {
    throw new ArchiveFormatError(`${label}: the image config is not valid JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(config?.rootfs?.diff_ids)) throw new ArchiveFormatError(`${label}: the image config has no rootfs.diff_ids`);
  for (const d of config.rootfs.diff_ids) hexOf(d);
  return config;
}

function namesFor(annotations: Record<string, string>, repoTags: string[] | undefined, options: LoadOptions, files: ArchiveFiles): string[] {
  const full = annotations[ANNOTATION_CONTAINERD_NAME];
  if (full) return [checkedName(full, files)];
  const refName = annotations[ANNOTATION_REF_NAME];
  if (refName && (refName.includes('/') || refName.includes(':'))) return [checkedName(refName, files)];
  if (repoTags && repoTags.length > 0) return repoTags.map((t) => checkedName(t, files));
  if (options.name) {
    const base = parseReference(options.name);
    if (refName && TAG_ONLY.test(refName) && !options.name.slice(options.name.lastIndexOf('/') + 1).includes(':')) {
      return [formatReference({ ...base, tag: refName, digest: undefined })];
    }
    return [formatReference(base)];
  }
  return [];
}

function checkedName(name: string, files: ArchiveFiles): string {
  try {
    return formatReference(parseReference(name));
  } catch (err) {
    throw new ArchiveFormatError(`${files.what}: invalid image name "${name}" in the archive: ${(err as Error).message}`);
  }
}

function planDockerSave(files: ArchiveFiles, options: LoadOptions): ImagePlan[] {
  const entries = files.readJson<DockerSaveEntry[]>('manifest.json');
  if (!Array.isArray(entries)) throw new ArchiveFormatError(`${files.what}: manifest.json is not a list of images`);
  return entries.map((entry, i) => {
    const label = `${files.what}: image ${i} of manifest.json`;
    if (typeof entry?.Config !== 'string' || !Array.isArray(entry.Layers)) throw new ArchiveFormatError(`${label}: needs Config and Layers`);
    const config = files.get(entry.Config);
    verifyNamedDigest(files, entry.Config, config);
    const imageConfig = readConfig(config, label);
    if (entry.Layers.length !== imageConfig.rootfs.diff_ids.length) {
      throw new ArchiveFormatError(`${label}: ${entry.Layers.length} layers but ${imageConfig.rootfs.diff_ids.length} diff ids in its config`);
    }
    const layers = entry.Layers.map((name, j) => {
      if (typeof name !== 'string') throw new ArchiveFormatError(`${label}: layer ${j} is not a file name`);
      const file = files.get(name);
      if (name.startsWith('blobs/')) verifyNamedDigest(files, name, file);
      return { file, digest: file.digest, diffId: imageConfig.rootfs.diff_ids[j] as string };
    });
    const manifest: ImageManifest = {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociManifest,
      config: { mediaType: MEDIA_TYPES.ociConfig, digest: config.digest, size: config.size },
      layers: layers.map((l) => ({ mediaType: layerMediaType(l.file), digest: l.digest, size: l.file.size })),
    };
    const bytes = Buffer.from(JSON.stringify(manifest));
    const names = (entry.RepoTags ?? []).map((t) => checkedName(t, files));
    if (names.length === 0 && options.name) names.push(checkedName(options.name, files));
    return { names, manifest: bytes, manifestDigest: sha256Digest(bytes), config, layers, label };
  });
}

/** A file named by its digest (`blobs/sha256/<hex>`, `<hex>.json`) must have that digest. */
function verifyNamedDigest(files: ArchiveFiles, name: string, file: ArchiveFile): void {
  const m = HEX_NAME.exec(name);
  if (!m) return;
  const expected = `sha256:${m[1]}`;
  if (file.digest !== expected) throw new DigestMismatchError(expected, file.digest, `${files.what}: ${name}`);
}

function layerMediaType(file: ArchiveFile): string {
  const head = Buffer.alloc(4);
  const fd = fs.openSync(file.path, 'r');
  try {
    fs.readSync(fd, head, 0, 4, 0);
  } finally {
    fs.closeSync(fd);
  }
  const c = compressionOf(head);
  return c === 'gzip' ? MEDIA_TYPES.ociLayerGzip : c === 'zstd' ? MEDIA_TYPES.ociLayerZstd : MEDIA_TYPES.ociLayerTar;
}

/** Unpacks every layer not yet in the store; on failure removes the snapshots made here. */
async function unpackAll(store: ImageStore, plans: ImagePlan[], options: LoadOptions): Promise<void> {
  const created: string[] = [];
  try {
    for (const plan of plans) {
      const name = plan.names[0] ? familiarReference(parseReference(plan.names[0])) : plan.manifestDigest;
      for (const layer of plan.layers) {
        const short = layer.digest.slice(7, 19);
        if (store.hasSnapshot(layer.diffId)) {
          options.onProgress?.(`${name}: layer ${short} already exists`);
          continue;
        }
        options.onProgress?.(`${name}: loading layer ${short} (${(layer.file.size / 1e6).toFixed(1)} MB)`);
        created.push(layer.diffId);
        await store.unpackSnapshot({ file: layer.file.path }, layer.diffId, `image ${name} layer ${layer.digest}`);
      }
    }
  } catch (err) {
    for (const diffId of created) fs.rmSync(store.snapshotDir(diffId), { recursive: true, force: true });
    throw err;
  }
}

function commitBlobs(store: ImageStore, files: ArchiveFiles, plans: ImagePlan[]): void {
  const publish = (file: ArchiveFile): void => {
    if (store.content.has(file.digest)) return;
    if (files.movable) store.content.adoptVerified(file.path, file.digest);
    else store.content.putFile(file.path, file.digest, file.size);
  };
  for (const plan of plans) {
    for (const layer of plan.layers) publish(layer.file);
    publish(plan.config);
    store.content.put(plan.manifest, plan.manifestDigest);
  }
}
