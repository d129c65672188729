/**
 * Full check of an OCI image layout: every blob reachable from index.json
 * exists with its descriptor's size and digest, configs list one diff_id per
 * layer, and each diff_id is the digest of that layer decompressed.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import { MEDIA_TYPE, OciLayoutReader, REF_NAME_ANNOTATION, type Descriptor, type ImageConfig, type ImageIndex, type ImageManifest, type Platform } from './oci-layout.js';

export class LayoutInvalidError extends Error {
  constructor(layoutDir: string, problem: string) {
    super(`${layoutDir}: ${problem}`);
    this.name = 'LayoutInvalidError';
  }
}

export interface VerifiedImage {
  manifestDigest: string;
  platform?: Platform;
  config: ImageConfig;
  configDigest: string;
  layers: { digest: string; size: number; diffId: string; mediaType: string }[];
}

export interface VerifiedLayout {
  /** index.json entries by ref name (entries without one are keyed by digest). */
  refs: Record<string, Descriptor>;
  images: VerifiedImage[];
  /** Image indexes met on the way. */
  indexes: { digest: string; index: ImageIndex }[];
  /** Every blob checked, digest → size. */
  blobs: Map<string, number>;
}

async function hashFile(file: string, gunzip: boolean): Promise<{ digest: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      bytes += chunk.length;
      cb();
    },
  });
  if (gunzip) await pipeline(fs.createReadStream(file), zlib.createGunzip(), sink);
  else await pipeline(fs.createReadStream(file), sink);
  return { digest: `sha256:${hash.digest('hex')}`, bytes };
}

export async function verifyLayout(layoutDir: string): Promise<VerifiedLayout> {
  const fail = (problem: string): never => {
    throw new LayoutInvalidError(layoutDir, problem);
  };
  const layoutFile = JSON.parse(fs.readFileSync(path.join(layoutDir, 'oci-layout'), 'utf8')) as { imageLayoutVersion?: string };
  if (layoutFile.imageLayoutVersion !== '1.0.0') fail(`oci-layout has imageLayoutVersion ${String(layoutFile.imageLayoutVersion)}`);
  const reader = new OciLayoutReader(layoutDir);
  const top = reader.index();
  if (top.schemaVersion !== 2) fail('index.json schemaVersion is not 2');
  const result: VerifiedLayout = { refs: {}, images: [], indexes: [], blobs: new Map() };

  const checkBlob = async (d: Descriptor, gunzipForDiffId = false): Promise<string | undefined> => {
    const file = reader.blobPath(d.digest);
    if (!fs.existsSync(file)) fail(`blob ${d.digest} missing`);
    const { size } = fs.statSync(file);
    if (size !== d.size) fail(`blob ${d.digest} has ${size} bytes, descriptor says ${d.size}`);
    const { digest } = await hashFile(file, false);
    if (digest !== d.digest) fail(`blob ${d.digest} hashes to ${digest}`);
    result.blobs.set(d.digest, d.size);
    return gunzipForDiffId ? (await hashFile(file, true)).digest : undefined;
  };

  const visit = async (d: Descriptor): Promise<void> => {
    await checkBlob(d);
    if (d.mediaType === MEDIA_TYPE.index) {
      const index = reader.readJson<ImageIndex>(d.digest);
      if (index.mediaType !== MEDIA_TYPE.index) fail(`${d.digest}: index mediaType ${String(index.mediaType)}`);
      result.indexes.push({ digest: d.digest, index });
      for (const m of index.manifests) await visit(m);
      return;
    }
    if (d.mediaType !== MEDIA_TYPE.manifest) fail(`${d.digest}: unexpected media type ${d.mediaType}`);
    const manifest = reader.readJson<ImageManifest>(d.digest);
    if (manifest.schemaVersion !== 2 || manifest.mediaType !== MEDIA_TYPE.manifest) fail(`${d.digest}: not an OCI image manifest`);
    if (manifest.config.mediaType !== MEDIA_TYPE.config) fail(`${d.digest}: config media type ${manifest.config.mediaType}`);
    await checkBlob(manifest.config);
    const config = reader.readJson<ImageConfig>(manifest.config.digest);
    if (config.rootfs?.type !== 'layers') fail(`${manifest.config.digest}: rootfs.type is not "layers"`);
    if (config.rootfs.diff_ids.length !== manifest.layers.length) {
      fail(`${d.digest}: ${manifest.layers.length} layers but ${config.rootfs.diff_ids.length} diff_ids`);
    }
    if (d.platform && (d.platform.os !== config.os || d.platform.architecture !== config.architecture)) {
      fail(`${d.digest}: descriptor platform ${d.platform.os}/${d.platform.architecture} but config ${config.os}/${config.architecture}`);
    }
    const layers: VerifiedImage['layers'] = [];
    for (const [i, layer] of manifest.layers.entries()) {
      if (layer.mediaType !== MEDIA_TYPE.layerGzip) fail(`${layer.digest}: layer media type ${layer.mediaType}`);
      const diffId = await checkBlob(layer, true);
      if (diffId !== config.rootfs.diff_ids[i]) fail(`layer ${i} (${layer.digest}): uncompressed digest ${diffId}, config says ${config.rootfs.diff_ids[i]}`);
      layers.push({ digest: layer.digest, size: layer.size, diffId: diffId as string, mediaType: layer.mediaType });
    }
    const image: VerifiedImage = { manifestDigest: d.digest, config, configDigest: manifest.config.digest, layers };
    if (d.platform) image.platform = d.platform;
    result.images.push(image);
  };

  for (const d of top.manifests) {
    result.refs[d.annotations?.[REF_NAME_ANNOTATION] ?? d.digest] = d;
    await visit(d);
  }
  return result;
}
