/**
 * Writing and reading OCI image layouts (image-spec v1.1 "image-layout"):
 * `oci-layout`, `index.json` and content-addressed `blobs/sha256/<hex>`.
 * Written here, independently of src/, so tests can hold the product against
 * images it did not make itself.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const MEDIA_TYPE = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

/** Annotation that names a manifest in index.json; skopeo's `oci:DIR:NAME` looks it up. */
export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
}

export interface ImageConfigSection {
  User?: string;
  ExposedPorts?: Record<string, Record<string, never>>;
  Env?: string[];
  Entrypoint?: string[];
  Cmd?: string[];
  Volumes?: Record<string, Record<string, never>>;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
}

export interface ImageConfig extends Platform {
  created?: string;
  config?: ImageConfigSection;
  rootfs: { type: 'layers'; diff_ids: string[] };
  history?: { created?: string; created_by?: string; comment?: string; empty_layer?: boolean }[];
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType: typeof MEDIA_TYPE.manifest;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType: typeof MEDIA_TYPE.index;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

function blobPath(layoutDir: string, digest: string): string {
  const [algorithm, hex] = digest.split(':');
  if (algorithm !== 'sha256' || !hex || !/^[0-9a-f]{64}$/.test(hex)) throw new Error(`not a sha256 digest: ${digest}`);
  return path.join(layoutDir, 'blobs', 'sha256', hex);
}

/** Builds one layout directory. Blobs are written under temporary names and renamed into place. */
export class OciLayoutWriter {
  constructor(readonly dir: string) {
    fs.mkdirSync(path.join(dir, 'blobs', 'sha256'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  }

  blobPath(digest: string): string {
    return blobPath(this.dir, digest);
  }

  /** A fresh path inside the blob directory for a blob being written (same filesystem as its final place). */
  temporaryBlobPath(): string {
    return path.join(this.dir, 'blobs', 'sha256', `.tmp-${randomBytes(6).toString('hex')}`);
  }

  /** Moves a finished blob file into place under its digest. */
  commitBlob(tempFile: string, digest: string): void {
    fs.renameSync(tempFile, this.blobPath(digest));
  }

  putBlob(mediaType: string, data: Buffer | string): Descriptor {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    const digest = `sha256:${sha256Hex(buf)}`;
    const target = this.blobPath(digest);
    if (!fs.existsSync(target)) {
      const tmp = this.temporaryBlobPath();
      fs.writeFileSync(tmp, buf);
      fs.renameSync(tmp, target);
    }
    return { mediaType, digest, size: buf.length };
  }

  putJson(mediaType: string, value: unknown): Descriptor {
    return this.putBlob(mediaType, JSON.stringify(value));
  }

  /** Shares a blob of another layout: a hard link when possible, else a copy. */
  linkBlobFrom(otherLayoutDir: string, digest: string): void {
    const source = blobPath(otherLayoutDir, digest);
    const target = this.blobPath(digest);
    if (fs.existsSync(target)) return;
    try {
      fs.linkSync(source, target);
    } catch {
      const tmp = this.temporaryBlobPath();
      fs.copyFileSync(source, tmp);
      fs.renameSync(tmp, target);
    }
  }

  writeIndex(manifests: Descriptor[]): void {
    const index: ImageIndex = { schemaVersion: 2, mediaType: MEDIA_TYPE.index, manifests };
    fs.writeFileSync(path.join(this.dir, 'index.json'), JSON.stringify(index, null, 2) + '\n');
  }
}

/** Reads a layout back. */
export class OciLayoutReader {
  constructor(readonly dir: string) {}

  blobPath(digest: string): string {
    return blobPath(this.dir, digest);
  }

  readBlob(digest: string): Buffer {
    return fs.readFileSync(this.blobPath(digest));
  }

  readJson<T>(digest: string): T {
    return JSON.parse(this.readBlob(digest).toString('utf8')) as T;
  }

  index(): ImageIndex {
    return JSON.parse(fs.readFileSync(path.join(this.dir, 'index.json'), 'utf8')) as ImageIndex;
  }

  /** The index.json entry with this ref name annotation. */
  find(refName: string): Descriptor {
    const found = this.index().manifests.find((d) => d.annotations?.[REF_NAME_ANNOTATION] === refName);
    if (!found) throw new Error(`${this.dir}: no manifest named '${refName}' in index.json`);
    return found;
  }
}
