/**
 * Unpacks one image layer (tar; gzip, zstd or plain) into its own directory,
 * in overlayfs format: `.wh.<name>` becomes a 0/0 character device,
 * `.wh..wh..opq` the `trusted.overlay.opaque` xattr on its directory.
 *
 * Nothing may land outside the layer directory: names with `..` or absolute
 * names, writes through a symlinked parent, hardlinks to outside, and device
 * nodes are rejected with an error naming the entry. The caller unpacks into a
 * temporary directory and renames it into place only on success, so a rejected
 * layer leaves nothing behind.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import type { TransformCallback , Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pipeline as pipelineStreams } from 'node:stream';
import * as tar from 'tar-stream';
import { Decompress as ZstdDecompress } from 'fzstd';
import { TscComposeError } from '../../errors/index.js';
import { makeWhiteout, setXattr } from '../../sys/fs.js';
import { formatSize } from '../../ui/units.js';

export class MaliciousLayerError extends TscComposeError {
  constructor(readonly entry: string, reason: string, context: string) {
    super('TSC_IMAGE_LAYER_UNSAFE', `${context}: entry "${entry}": ${reason}`);
    this.name = 'MaliciousLayerError';
  }
}

export interface UnpackOptions {
  /** Names the layer in errors, e.g. `image busybox:latest layer sha256:…`. */
  context: string;
  /** Keep file owners from the tar (needs root); false maps everything to the caller. */
  preserveOwnership?: boolean;
  /**
   * How many bytes of file content the layer may expand to. A few kilobytes of
   * gzip can claim gigabytes of zeros; without a bound such a layer fills the
   * disk under everything else on the machine. Default: the free space of the
   * destination's file system minus a reserve (see `expansionBound`).
   */
  maxBytes?: number | undefined;
}

/** What stays free for everything else on the machine: 5% of the file system (as ext4 keeps for root). */
const RESERVE_SHARE = 0.05;

/** The default bound of a layer's expansion into `dir`: the free space there minus the reserve. */
export function expansionBound(dir: string): number {
  const s = fs.statfsSync(dir);
  const reserve = s.blocks * s.bsize * RESERVE_SHARE;
  return Math.max(0, s.bavail * s.bsize - reserve);
}

export interface UnpackResult {
  /** sha256 of the uncompressed tar: the layer's diff_id. */
  diffId: string;
  entries: number;
}

const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_MARKER = '.wh..wh..opq';
const ALLOWED_XATTR_PREFIXES = ['user.', 'security.capability'];

export type Compression = 'gzip' | 'zstd' | 'none';

/** What the first bytes of a layer (or archive) say about its compression. */
export function compressionOf(first: Uint8Array): Compression {
  if (first[0] === 0x1f && first[1] === 0x8b) return 'gzip';
  if (first[0] === 0x28 && first[1] === 0xb5 && first[2] === 0x2f && first[3] === 0xfd) return 'zstd';
  return 'none';
}

/** The stream, decompressed when its first bytes say it is gzip or zstd. */
export async function decompressedStream(source: Readable): Promise<Readable> {
  const sniffed = await sniff(source);
  const decomp = decompressor(sniffed.head);
  if (!decomp) return sniffed.stream;
  // pipeline destroys every stage (and so errors the last one) when any stage fails.
  return pipelineStreams(sniffed.stream, decomp, () => {});
}

/** Picks the decompressor from the stream's first bytes. */
function decompressor(first: Buffer): Transform | undefined {
  if (first[0] === 0x1f && first[1] === 0x8b) return zlib.createGunzip();
  if (first[0] === 0x28 && first[1] === 0xb5 && first[2] === 0x2f && first[3] === 0xfd) return zstdStream();
  return undefined;
}

function zstdStream(): Transform {
  const native = (zlib as unknown as { createZstdDecompress?: () => Transform }).createZstdDecompress;
  if (native) return native();
  let push: ((chunk: Buffer) => void) | undefined;
  const decoder = new ZstdDecompress((chunk: Uint8Array) => push?.(Buffer.from(chunk)));
  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      push = (c) => this.push(c);
      try {
        decoder.push(chunk);
        cb();
      } catch (err) {
        cb(err as Error);
      }
    },
    flush(cb: TransformCallback) {
      push = (c) => this.push(c);
      try {
        decoder.push(new Uint8Array(0), true);
        cb();
      } catch (err) {
        cb(err as Error);
      }
    },
  });
}

/** Normalizes a tar name to a relative path inside the layer, or rejects it. */
export function safeRelativeName(name: string, context: string): string | undefined {
  if (name.startsWith('/')) throw new MaliciousLayerError(name, 'absolute path', context);
  const normalized = path.posix.normalize(name.replace(/\/+$/, ''));
  if (normalized === '.' || normalized === '') return undefined;
  if (normalized === '..' || normalized.startsWith('../')) throw new MaliciousLayerError(name, 'path traversal outside the layer', context);
  if (normalized.split('/').includes('..')) throw new MaliciousLayerError(name, 'path traversal outside the layer', context);
  return normalized;
}

export async function unpackLayer(source: Readable, dest: string, options: UnpackOptions): Promise<UnpackResult> {
  const { context } = options;
  const preserveOwnership = options.preserveOwnership ?? process.getuid?.() === 0;
  fs.mkdirSync(dest, { recursive: true, mode: 0o755 });
  const maxBytes = options.maxBytes ?? expansionBound(dest);
  let written = 0;
  const hash = createHash('sha256');
  const extract = tar.extract();
  let entries = 0;
  const hardlinks: Array<{ target: string; link: string; name: string }> = [];
  const dirTimes: Array<{ p: string; mtime: Date }> = [];

  /**
   * Directories of this layer known to be real directories (created here or
   * checked once): most entries share their parents, and an lstat of every
   * parent of every entry was most of the unpack's system time. Anything
   * replaced (clear) or created as a non-directory drops out with what is below it.
   */
  const knownDirs = new Set<string>([dest]);
  const forget = (p: string): void => {
    knownDirs.delete(p);
    const prefix = `${p}/`;
    for (const d of knownDirs) if (d.startsWith(prefix)) knownDirs.delete(d);
  };

  /** Ensures every parent of `rel` is a real directory inside dest (never a symlink). */
  const prepareParents = (rel: string, name: string): string => {
    const target = path.join(dest, rel);
    const parent = path.dirname(target);
    if (knownDirs.has(parent)) return target;
    const parts = rel.split('/');
    let current = dest;
    for (let i = 0; i < parts.length - 1; i++) {
      current = path.join(current, parts[i] as string);
      if (knownDirs.has(current)) continue;
      let st: fs.Stats | undefined;
      try {
        st = fs.lstatSync(current);
      } catch {
        st = undefined;
      }
      if (!st) fs.mkdirSync(current, { mode: 0o755 });
      else if (st.isSymbolicLink()) throw new MaliciousLayerError(name, `parent "${parts.slice(0, i + 1).join('/')}" is a symlink`, context);
      else if (!st.isDirectory()) throw new MaliciousLayerError(name, `parent "${parts.slice(0, i + 1).join('/')}" is not a directory`, context);
      knownDirs.add(current);
    }
    return target;
  };

  /** Removes whatever is at `p` unless it is a directory and `keepDir`. */
  const clear = (p: string, keepDir: boolean): void => {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(p);
    } catch {
      return;
    }
    if (st.isDirectory() && keepDir) return;
    forget(p);
    fs.rmSync(p, { recursive: true, force: true });
  };

  const applyXattrs = (p: string, header: tar.Header): void => {
    for (const [key, value] of Object.entries(header.pax ?? {})) {
      if (!key.startsWith('SCHILY.xattr.')) continue;
      const name = key.slice('SCHILY.xattr.'.length);
      if (!ALLOWED_XATTR_PREFIXES.some((prefix) => name.startsWith(prefix))) continue;
      setXattr(p, name, Buffer.from(String(value), 'latin1'));
    }
  };

  const applyMeta = (p: string, header: tar.Header, isSymlink: boolean): void => {
    if (preserveOwnership) fs.lchownSync(p, header.uid ?? 0, header.gid ?? 0);
    if (!isSymlink) fs.chmodSync(p, (header.mode ?? 0o644) & 0o7777);
    applyXattrs(p, header);
    const mtime = header.mtime ?? new Date(0);
    if (header.type === 'directory') dirTimes.push({ p, mtime });
    else fs.lutimesSync(p, mtime, mtime);
  };

  /**
   * A regular file through one descriptor: created exclusively (an existing
   * entry of the same name is cleared first), written as the tar streams it,
   * owner, mode and times set on the descriptor rather than by path.
   */
  const writeFile = (target: string, header: tar.Header, stream: NodeJS.EventEmitter & { destroy(): unknown }, done: (err?: unknown) => void, next: () => void): void => {
    let fd: number;
    try {
      fd = fs.openSync(target, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      clear(target, false);
      fd = fs.openSync(target, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
    }
    let closed = false;
    const close = (): void => {
      if (!closed) {
        closed = true;
        fs.closeSync(fd);
      }
    };
    stream.on('data', (chunk: Buffer) => {
      try {
        written += chunk.length;
        if (written > maxBytes) {
          throw new TscComposeError(
            'TSC_IMAGE_LAYER_TOO_LARGE',
            `${context}: expands to more than ${formatSize(maxBytes)} of files (at entry "${header.name}"): more than the disk holds with 5% of it left free; nothing of it was kept`,
          );
        }
        let off = 0;
        while (off < chunk.length) off += fs.writeSync(fd, chunk, off, chunk.length - off);
      } catch (err) {
        close();
        stream.destroy();
        done(err);
      }
    });
    stream.on('end', () => {
      if (closed) return;
      try {
        if (preserveOwnership) fs.fchownSync(fd, header.uid ?? 0, header.gid ?? 0);
        fs.fchmodSync(fd, (header.mode ?? 0o644) & 0o7777);
        const mtime = header.mtime ?? new Date(0);
        fs.futimesSync(fd, mtime, mtime);
        close();
        applyXattrs(target, header);
        next();
      } catch (err) {
        close();
        done(err);
      }
    });
  };

  let failure: Error | undefined;
  extract.on('entry', (header, stream, next) => {
    // Destroying the extractor errors the entry stream too; that copy is expected.
    stream.on('error', () => {});
    const done = (err?: unknown): void => {
      if (err) {
        const error = err instanceof Error ? err : new Error(typeof err === 'string' ? err : 'layer entry failed');
        failure ??= error;
        extract.destroy(error);
      } else next();
    };
    try {
      entries++;
      const rel = safeRelativeName(header.name, context);
      if (rel === undefined) {
        if (header.type === 'directory') applyMeta(dest, header, false);
        stream.resume();
        stream.on('end', () => next());
        return;
      }
      const base = path.posix.basename(rel);
      const target = prepareParents(rel, header.name);
      if (base === OPAQUE_MARKER) {
        setXattr(path.dirname(target), 'trusted.overlay.opaque', Buffer.from('y'));
        stream.resume();
        stream.on('end', () => next());
        return;
      }
      if (base.startsWith(WHITEOUT_PREFIX)) {
        if (!base.startsWith(`${WHITEOUT_PREFIX}${WHITEOUT_PREFIX}`)) {
          const hidden = path.join(path.dirname(target), base.slice(WHITEOUT_PREFIX.length));
          clear(hidden, false);
          makeWhiteout(hidden);
        }
        stream.resume();
        stream.on('end', () => next());
        return;
      }
      switch (header.type) {
        case 'directory':
          try {
            fs.mkdirSync(target, { mode: 0o755 });
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
            clear(target, true);
            if (!fs.existsSync(target)) fs.mkdirSync(target, { mode: 0o755 });
          }
          knownDirs.add(target);
          applyMeta(target, header, false);
          break;
        case 'file':
        case 'contiguous-file':
          writeFile(target, header, stream, done, next);
          return;
        case 'symlink':
          clear(target, false);
          fs.symlinkSync(header.linkname ?? '', target);
          applyMeta(target, header, true);
          break;
        case 'link': {
          const linkRel = safeRelativeName(header.linkname ?? '', context);
          if (linkRel === undefined) throw new MaliciousLayerError(header.name, `hardlink to the layer root`, context);
          hardlinks.push({ target: linkRel, link: rel, name: header.name });
          // Created after the whole layer is on disk: the target may come later in the tar.
          break;
        }
        case 'character-device':
        case 'block-device':
          throw new MaliciousLayerError(header.name, 'device nodes are not allowed in image layers', context);
        case 'fifo':
          // Harmless inside a container, but Node cannot create one; skipped.
          break;
        default:
          // pax/gnu metadata entries are consumed by tar-stream; anything else is ignored.
          break;
      }
      stream.resume();
      stream.on('end', () => next());
    } catch (err) {
      done(err);
    }
  });

  const hashing = new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      hash.update(chunk);
      cb(null, chunk);
    },
  });

  const sniffed = await sniff(source);
  const stages: Array<NodeJS.ReadableStream | NodeJS.WritableStream> = [sniffed.stream];
  const decomp = decompressor(sniffed.head);
  if (decomp) stages.push(decomp);
  stages.push(hashing, extract);
  try {
    await pipeline(stages as unknown as [Readable, ...Writable[]]);
  } catch (err) {
    if (failure) throw failure;
    if (err instanceof TscComposeError) throw err;
    throw new TscComposeError('TSC_IMAGE_LAYER_CORRUPT', `${context}: cannot read layer: ${(err as Error).message}`, { cause: err });
  }

  for (const h of hardlinks) {
    const targetPath = prepareParents(h.target, h.name);
    const st = lstatOrUndefined(targetPath);
    if (!st) throw new MaliciousLayerError(h.name, `hardlink target "${h.target}" is not in this layer`, context);
    if (st.isDirectory()) throw new MaliciousLayerError(h.name, `hardlink to a directory`, context);
    const linkPath = prepareParents(h.link, h.name);
    clear(linkPath, false);
    fs.linkSync(targetPath, linkPath);
  }
  // Directory times last: creating entries inside them changed their mtime.
  for (const { p, mtime } of dirTimes.reverse()) fs.utimesSync(p, mtime, mtime);
  return { diffId: `sha256:${hash.digest('hex')}`, entries };
}

function lstatOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p);
  } catch {
    return undefined;
  }
}

/** Reads the first bytes to choose a decompressor, then replays them. */
async function sniff(source: Readable): Promise<{ head: Buffer; stream: Readable }> {
  const iterator: AsyncIterator<Buffer | Uint8Array, undefined> = source[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let size = 0;
  while (size < 4) {
    const { value, done } = await iterator.next();
    if (done) break;
    const b = Buffer.isBuffer(value) ? value : Buffer.from(value);
    chunks.push(b);
    size += b.length;
  }
  const head = Buffer.concat(chunks);
  async function* replay(): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    for (;;) {
      const { value, done } = await iterator.next();
      if (done) return;
      yield Buffer.isBuffer(value) ? value : Buffer.from(value);
    }
  }
  return { head, stream: Readable.from(replay()) };
}
