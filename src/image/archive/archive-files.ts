/**
 * The files of an image archive, by their names inside it: a tar (plain, gzip
 * or zstd; from a file or stdin) is staged entry by entry into a private
 * directory on the store's file system, hashed on the way, so the loader can
 * read `manifest.json` wherever it sits in the tar and blobs can later be
 * published by rename. A directory (an OCI layout on disk) is read in place.
 *
 * Names are confined to the archive: `..`, absolute names and symlinks that
 * lead outside are refused, and nothing is ever created on disk under a name
 * taken from the archive.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import { TscComposeError } from '../../errors/index.js';
import { decompressedStream } from '../unpack/unpack-layer.js';

export class UnsafeArchiveError extends TscComposeError {
  constructor(readonly entry: string, reason: string, what: string) {
    super('TSC_IMAGE_ARCHIVE_UNSAFE', `${what}: entry "${entry}": ${reason}`);
    this.name = 'UnsafeArchiveError';
  }
}

export class ArchiveFormatError extends TscComposeError {
  constructor(message: string) {
    super('TSC_IMAGE_ARCHIVE_INVALID', message);
    this.name = 'ArchiveFormatError';
  }
}

export interface ArchiveFile {
  /** Where the bytes are on disk. */
  path: string;
  size: number;
  /** sha256 of the bytes. */
  digest: string;
}

/** Small JSON documents only: a manifest or config larger than this is not one. */
const MAX_JSON_BYTES = 64 << 20;
/** Symlink chains longer than this are loops. */
const MAX_LINK_HOPS = 16;

/** `./a//b/` → `a/b`; refuses names that leave the archive. */
export function archiveName(name: string, what: string): string {
  if (name.startsWith('/')) throw new UnsafeArchiveError(name, 'absolute path', what);
  const normalized = path.posix.normalize(name.replace(/\/+$/, ''));
  if (normalized === '..' || normalized.startsWith('../') || normalized.split('/').includes('..')) {
    throw new UnsafeArchiveError(name, 'path traversal outside the archive', what);
  }
  return normalized === '.' ? '' : normalized;
}

export abstract class ArchiveFiles {
  constructor(readonly what: string) {}

  /** The file at `name` (symlinks inside the archive followed), or undefined. */
  abstract find(name: string): ArchiveFile | undefined;

  /** True when files can be moved into the store instead of copied. */
  abstract readonly movable: boolean;

  abstract dispose(): void;

  has(name: string): boolean {
    return this.find(name) !== undefined;
  }

  get(name: string): ArchiveFile {
    const file = this.find(name);
    if (!file) throw new ArchiveFormatError(`${this.what}: "${name}" is missing from the archive`);
    return file;
  }

  read(name: string): Buffer {
    const file = this.get(name);
    if (file.size > MAX_JSON_BYTES) throw new ArchiveFormatError(`${this.what}: "${name}" is too large (${file.size} bytes) for a JSON document`);
    return fs.readFileSync(file.path);
  }

  readJson<T>(name: string): T {
    try {
      return JSON.parse(this.read(name).toString('utf8')) as T;
    } catch (err) {
      if (err instanceof TscComposeError) throw err;
      throw new ArchiveFormatError(`${this.what}: "${name}" is not valid JSON: ${(err as Error).message}`);
    }
  }
}

/** A tar archive staged into `stagingDir` (which this object owns and removes on dispose). */
class StagedTar extends ArchiveFiles {
  readonly movable = true;
  readonly files = new Map<string, ArchiveFile>();
  readonly links = new Map<string, string>();

  constructor(readonly stagingDir: string, what: string) {
    super(what);
  }

  find(name: string): ArchiveFile | undefined {
    let current = archiveName(name, this.what);
    for (let hops = 0; hops <= MAX_LINK_HOPS; hops++) {
      const file = this.files.get(current);
      if (file) return file;
      const target = this.links.get(current);
      if (target === undefined) return undefined;
      current = target;
    }
    throw new UnsafeArchiveError(name, 'too many levels of symbolic links', this.what);
  }

  dispose(): void {
    fs.rmSync(this.stagingDir, { recursive: true, force: true });
  }
}

/** Reads a tar from `source` (decompressing it when needed) into a fresh directory under `stagingParent`. */
export async function stageTar(source: Readable, stagingParent: string, what: string): Promise<ArchiveFiles> {
  fs.mkdirSync(stagingParent, { recursive: true, mode: 0o700 });
  const dir = path.join(stagingParent, `load-${randomBytes(6).toString('hex')}`);
  fs.mkdirSync(dir, { mode: 0o700 });
  const staged = new StagedTar(dir, what);
  try {
    const extract = tar.extract();
    const input = await decompressedStream(source);
    const consumed = pipeline(input, extract as unknown as Writable);
    // Leaving the loop early (a refused entry) destroys the extractor; that rejection is expected.
    consumed.catch(() => {});
    let n = 0;
    for await (const entry of extract) {
      const { header } = entry;
      const name = archiveName(header.name, what);
      switch (header.type) {
        case 'file':
        case 'contiguous-file': {
          const file = path.join(dir, `f${n++}`);
          const hash = createHash('sha256');
          let size = 0;
          const fd = fs.openSync(file, 'wx', 0o600);
          try {
            await pipeline(
              entry,
              new Writable({
                write(chunk: Buffer, _enc, cb) {
                  try {
                    hash.update(chunk);
                    let off = 0;
                    while (off < chunk.length) off += fs.writeSync(fd, chunk, off);
                    size += chunk.length;
                    cb();
                  } catch (err) {
                    cb(err as Error);
                  }
                },
              }),
            );
          } finally {
            fs.closeSync(fd);
          }
          staged.files.set(name, { path: file, size, digest: `sha256:${hash.digest('hex')}` });
          staged.links.delete(name);
          break;
        }
        case 'symlink':
        case 'link': {
          const linkname = header.linkname ?? '';
          // Symlinks resolve from the entry's directory; hardlinks name a path from the archive root.
          const joined = header.type === 'symlink' && !linkname.startsWith('/') ? path.posix.join(path.posix.dirname(name), linkname) : linkname;
          staged.links.set(name, archiveName(joined, what));
          staged.files.delete(name);
          entry.resume();
          break;
        }
        case 'directory':
        case 'block-device':
        case 'character-device':
        case 'fifo':
          // Directories carry nothing the loader needs; devices and fifos have no place in an image archive.
          entry.resume();
          break;
        default: {
          const unknown: never = header.type;
          throw new ArchiveFormatError(`${what}: entry "${name}" has an unknown type ${String(unknown)}`);
        }
      }
    }
    await consumed;
    return staged;
  } catch (err) {
    staged.dispose();
    if (err instanceof TscComposeError) throw err;
    throw new ArchiveFormatError(`${what}: cannot read the archive: ${(err as Error).message}`);
  }
}

/** An OCI layout (or unpacked docker save) directory, read in place. */
class DirectoryFiles extends ArchiveFiles {
  readonly movable = false;
  private readonly root: string;
  private readonly digests = new Map<string, ArchiveFile>();

  constructor(dir: string, what: string) {
    super(what);
    this.root = fs.realpathSync(dir);
  }

  find(name: string): ArchiveFile | undefined {
    const rel = archiveName(name, this.what);
    let real: string;
    try {
      real = fs.realpathSync(path.join(this.root, rel));
    } catch {
      return undefined;
    }
    if (real !== this.root && !real.startsWith(`${this.root}/`)) throw new UnsafeArchiveError(name, 'resolves outside the layout directory', this.what);
    const cached = this.digests.get(real);
    if (cached) return cached;
    const st = fs.statSync(real);
    if (!st.isFile()) return undefined;
    const file = { path: real, size: st.size, digest: hashFile(real) };
    this.digests.set(real, file);
    return file;
  }

  dispose(): void {}
}

function hashFile(file: string): string {
  const hash = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      hash.update(buf.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
  return `sha256:${hash.digest('hex')}`;
}

export function directoryFiles(dir: string, what: string): ArchiveFiles {
  return new DirectoryFiles(dir, what);
}
