/**
 * Content-addressed blob store (containerd's layout): `blobs/sha256/<hex>` for
 * committed content, `ingest/` for writes in progress. A blob becomes visible
 * only after its size and digest were verified, by an atomic rename; a partial
 * ingest keeps its bytes so a download can resume with `Range`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';
import { TscComposeError } from '../../errors/index.js';
import { fsyncDir } from '../../util/atomic-file.js';

const SHA256 = /^sha256:([a-f0-9]{64})$/;

export class DigestMismatchError extends TscComposeError {
  constructor(expected: string, actual: string, what: string) {
    super('TSC_IMAGE_DIGEST_MISMATCH', `${what}: digest mismatch: expected ${expected}, got ${actual}`);
    this.name = 'DigestMismatchError';
  }
}

export function hexOf(digest: string): string {
  const m = SHA256.exec(digest);
  if (!m) throw new TscComposeError('TSC_IMAGE_DIGEST', `unsupported or malformed digest "${digest}"`);
  return m[1] as string;
}

export function sha256Digest(data: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** A write in progress: bytes go to disk as they arrive, hashed on the way. */
export class IngestWriter {
  private hash: Hash;
  private readonly fd: number;
  private written: number;
  private closed = false;

  constructor(
    private readonly store: ContentStore,
    private readonly ingestPath: string,
    readonly expectedDigest: string,
    readonly expectedSize: number | undefined,
  ) {
    // Resume: re-hash what an earlier attempt left behind.
    this.hash = createHash('sha256');
    this.written = 0;
    if (fs.existsSync(ingestPath)) {
      const existing = fs.readFileSync(ingestPath);
      this.hash.update(existing);
      this.written = existing.length;
    }
    this.fd = fs.openSync(ingestPath, 'a', 0o600);
  }

  /** Bytes already on disk (the `Range` offset for a resumed download). */
  get offset(): number {
    return this.written;
  }

  write(chunk: Uint8Array): void {
    if (this.expectedSize !== undefined && this.written + chunk.length > this.expectedSize) {
      this.abort();
      throw new TscComposeError('TSC_IMAGE_SIZE_MISMATCH', `blob ${this.expectedDigest}: more data than the expected ${this.expectedSize} bytes`);
    }
    let off = 0;
    try {
      while (off < chunk.length) off += fs.writeSync(this.fd, chunk, off);
    } catch (err) {
      // A full disk: a partial kept for a resume would only hold on to the space that ran out.
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOSPC' || code === 'EDQUOT') this.abort();
      throw err;
    }
    this.hash.update(chunk);
    this.written += chunk.length;
  }

  /** Drops what was written so far and starts again from byte 0. */
  restart(): void {
    fs.ftruncateSync(this.fd, 0);
    this.hash = createHash('sha256');
    this.written = 0;
  }

  /** Verifies and publishes the blob; on mismatch the partial data is discarded. */
  commit(): string {
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
    this.closed = true;
    const actual = `sha256:${this.hash.digest('hex')}`;
    if (this.expectedSize !== undefined && this.written !== this.expectedSize) {
      fs.rmSync(this.ingestPath, { force: true });
      throw new TscComposeError('TSC_IMAGE_SIZE_MISMATCH', `blob ${this.expectedDigest}: size mismatch: expected ${this.expectedSize} bytes, got ${this.written}`);
    }
    if (actual !== this.expectedDigest) {
      fs.rmSync(this.ingestPath, { force: true });
      throw new DigestMismatchError(this.expectedDigest, actual, `blob ${this.expectedDigest}`);
    }
    const target = this.store.blobPath(actual);
    fs.renameSync(this.ingestPath, target);
    fsyncDir(path.dirname(target));
    return actual;
  }

  /** Keeps the partial file for a later resume. */
  suspend(): void {
    if (this.closed) return;
    this.closed = true;
    fs.closeSync(this.fd);
  }

  abort(): void {
    this.suspend();
    fs.rmSync(this.ingestPath, { force: true });
  }
}

export class ContentStore {
  readonly blobsDir: string;
  readonly ingestDir: string;

  constructor(readonly root: string) {
    this.blobsDir = path.join(root, 'blobs', 'sha256');
    this.ingestDir = path.join(root, 'ingest');
    fs.mkdirSync(this.blobsDir, { recursive: true, mode: 0o700 });
    fs.mkdirSync(this.ingestDir, { recursive: true, mode: 0o700 });
  }

  blobPath(digest: string): string {
    return path.join(this.blobsDir, hexOf(digest));
  }

  has(digest: string): boolean {
    return fs.existsSync(this.blobPath(digest));
  }

  size(digest: string): number {
    return fs.statSync(this.blobPath(digest)).size;
  }

  read(digest: string): Buffer {
    try {
      return fs.readFileSync(this.blobPath(digest));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new TscComposeError('TSC_IMAGE_BLOB_NOT_FOUND', `blob ${digest} not found in the content store`);
      }
      throw err;
    }
  }

  readJson<T>(digest: string): T {
    return JSON.parse(this.read(digest).toString('utf8')) as T;
  }

  /** Starts (or resumes) writing the blob with this digest. */
  ingest(expectedDigest: string, expectedSize?: number): IngestWriter {
    const ingestPath = path.join(this.ingestDir, `${hexOf(expectedDigest)}.partial`);
    return new IngestWriter(this, ingestPath, expectedDigest, expectedSize);
  }

  /** Stores bytes already in memory (manifests, configs), verifying the digest when one is given. */
  put(data: Uint8Array, expectedDigest?: string): string {
    const digest = expectedDigest ?? sha256Digest(data);
    if (this.has(digest)) return digest;
    const writer = this.ingest(digest, data.length);
    try {
      writer.write(data);
      return writer.commit();
    } catch (err) {
      // The data is all here: nothing to resume, so nothing is kept.
      writer.abort();
      throw err;
    }
  }

  /**
   * Publishes a file on the store's file system whose digest the caller has
   * already computed from its bytes, by rename (no copy). The file is gone
   * afterwards either way.
   */
  adoptVerified(file: string, digest: string): void {
    const target = this.blobPath(digest);
    if (this.has(digest)) {
      fs.rmSync(file, { force: true });
      return;
    }
    fs.chmodSync(file, 0o600);
    fs.renameSync(file, target);
    fsyncDir(path.dirname(target));
  }

  /** Copies a file into the store, verifying size and digest on the way. */
  putFile(file: string, expectedDigest: string, expectedSize?: number): string {
    if (this.has(expectedDigest)) return expectedDigest;
    const writer = this.ingest(expectedDigest, expectedSize);
    // An earlier interrupted ingest of the same digest is not trusted here: start clean.
    writer.restart();
    const fd = fs.openSync(file, 'r');
    try {
      const buf = Buffer.allocUnsafe(1 << 20);
      for (;;) {
        const n = fs.readSync(fd, buf, 0, buf.length, null);
        if (n === 0) break;
        writer.write(buf.subarray(0, n));
      }
    } catch (err) {
      writer.abort();
      throw err;
    } finally {
      fs.closeSync(fd);
    }
    return writer.commit();
  }

  delete(digest: string): void {
    fs.rmSync(this.blobPath(digest), { force: true });
  }

  list(): string[] {
    return fs.readdirSync(this.blobsDir).filter((n) => /^[a-f0-9]{64}$/.test(n)).map((n) => `sha256:${n}`);
  }

  /** Partial ingests older than `maxAgeMs` are garbage from crashed pulls. */
  cleanStaleIngests(maxAgeMs: number): void {
    const now = Date.now();
    for (const name of fs.readdirSync(this.ingestDir)) {
      const p = path.join(this.ingestDir, name);
      if (now - fs.statSync(p).mtimeMs > maxAgeMs) fs.rmSync(p, { force: true });
    }
  }
}
