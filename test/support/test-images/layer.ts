/**
 * Image layers as gzip-compressed tar streams: entries from a root filesystem
 * directory (whole, or only what changed since a snapshot, with OCI
 * whiteouts), written in a stable order with numeric ownership, modes,
 * hard links and device numbers kept, and no user/group names or access times.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import * as tar from 'tar-stream';

export type LayerEntryType = 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'block-device' | 'fifo';

export interface LayerEntry {
  /** Relative to the layer root, '/'-separated, no leading or trailing slash. */
  path: string;
  type: LayerEntryType;
  mode: number;
  uid: number;
  gid: number;
  mtime: Date;
  /** symlink target, or for 'link' the layer path of the first name of the file. */
  linkname?: string;
  /** Regular files: bytes, or a file on disk read when the entry is written. */
  content?: Buffer | { file: string; size: number };
  devmajor?: number;
  devminor?: number;
}

export interface WrittenLayer {
  /** sha256 of the compressed blob. */
  digest: string;
  size: number;
  /** sha256 of the uncompressed tar (the config's rootfs.diff_ids entry). */
  diffId: string;
  uncompressedSize: number;
}

/** Passes bytes through while hashing and counting them. */
class HashTap extends Transform {
  private readonly hash = createHash('sha256');
  bytes = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    cb(null, chunk);
  }
  digest(): string {
    return `sha256:${this.hash.digest('hex')}`;
  }
}

/** Larger files are streamed from disk rather than read whole. */
const STREAM_THRESHOLD = 8 * 1024 * 1024;

function writeEntry(pack: tar.Pack, entry: LayerEntry): Promise<void> {
  const name = entry.type === 'directory' ? `${entry.path}/` : entry.path;
  const header: tar.Header = {
    name,
    type: entry.type,
    mode: entry.mode & 0o7777,
    uid: entry.uid,
    gid: entry.gid,
    mtime: new Date(Math.floor(entry.mtime.getTime() / 1000) * 1000),
    size: 0,
    linkname: entry.linkname ?? '',
    uname: '',
    gname: '',
    devmajor: entry.devmajor ?? 0,
    devminor: entry.devminor ?? 0,
  };
  return new Promise((resolve, reject) => {
    const done = (err?: Error | null): void => (err ? reject(err) : resolve());
    const content = entry.content;
    if (entry.type !== 'file' || content === undefined) {
      pack.entry(header, done);
      return;
    }
    if (Buffer.isBuffer(content)) {
      pack.entry(header, content, done);
      return;
    }
    if (content.size < STREAM_THRESHOLD) {
      const data = fs.readFileSync(content.file);
      if (data.length !== content.size) {
        reject(new Error(`${content.file} changed size while being packed`));
        return;
      }
      pack.entry(header, data, done);
      return;
    }
    header.size = content.size;
    const sink = pack.entry(header, done);
    const source = fs.createReadStream(content.file);
    source.on('error', (e) => {
      reject(e);
      sink.destroy(e);
    });
    source.pipe(sink);
  });
}

/**
 * Writes entries as a gzip-compressed tar to outFile. Entries go in the order
 * given; callers give parents before children.
 */
export async function writeLayer(entries: Iterable<LayerEntry> | AsyncIterable<LayerEntry>, outFile: string): Promise<WrittenLayer> {
  const pack = tar.pack();
  const uncompressed = new HashTap();
  const compressed = new HashTap();
  const written = pipeline(
    pack as unknown as NodeJS.ReadableStream,
    uncompressed,
    zlib.createGzip({ level: 6 }),
    compressed,
    fs.createWriteStream(outFile),
  );
  // If the pipeline fails first, stop producing entries.
  let failed: unknown;
  written.catch((e: unknown) => {
    failed = e;
  });
  try {
    for await (const entry of entries) {
      if (failed) break;
      await writeEntry(pack, entry);
    }
    pack.finalize();
  } catch (e) {
    pack.destroy(e as Error);
    await written.catch(() => undefined);
    throw e;
  }
  await written;
  return { digest: compressed.digest(), size: compressed.bytes, diffId: uncompressed.digest(), uncompressedSize: uncompressed.bytes };
}

// ---------------------------------------------------------------------------
// Root filesystem trees

interface NodeInfo {
  ino: bigint;
  ctimeNs: bigint;
  isDir: boolean;
}

/** What a tree looked like, to find what a build step changed in it. */
export interface TreeSnapshot {
  nodes: Map<string, NodeInfo>;
  /** Directory path → its child names. */
  children: Map<string, string[]>;
}

function readdirSorted(dir: string): string[] {
  const names = fs.readdirSync(dir);
  for (const n of names) {
    if (n.includes('\ufffd')) throw new Error(`${path.join(dir, n)}: file name is not valid UTF-8`);
  }
  return names.sort();
}

function join(parent: string, name: string): string {
  return parent === '' ? name : `${parent}/${name}`;
}

/** Records inode and ctime of every node: any later write, chmod, chown or replacement changes one of them. */
export function snapshotTree(root: string): TreeSnapshot {
  const nodes = new Map<string, NodeInfo>();
  const children = new Map<string, string[]>();
  const visit = (rel: string): void => {
    const st = fs.lstatSync(path.join(root, rel), { bigint: true });
    const isDir = st.isDirectory();
    nodes.set(rel, { ino: st.ino, ctimeNs: st.ctimeNs, isDir });
    if (!isDir) return;
    const names = readdirSorted(path.join(root, rel));
    children.set(rel, names);
    for (const n of names) visit(join(rel, n));
  };
  visit('');
  return { nodes, children };
}

function major(rdev: number): number {
  return ((rdev >>> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);
}
function minor(rdev: number): number {
  return (rdev & 0xff) | ((rdev >>> 12) & ~0xff);
}

/** Turns one file system node into a layer entry, hard links resolved against `firstNames`. */
function entryFor(root: string, rel: string, st: fs.Stats, firstNames: Map<string, string>): LayerEntry | undefined {
  const abs = path.join(root, rel);
  const base = { path: rel, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime };
  if (st.isDirectory()) return { ...base, type: 'directory' };
  if (st.isSymbolicLink()) return { ...base, type: 'symlink', linkname: fs.readlinkSync(abs) };
  if (st.isFile()) {
    if (st.nlink > 1) {
      const key = `${st.dev}:${st.ino}`;
      const first = firstNames.get(key);
      if (first !== undefined) return { ...base, type: 'link', linkname: first };
      firstNames.set(key, rel);
    }
    return { ...base, type: 'file', content: { file: abs, size: st.size } };
  }
  if (st.isCharacterDevice() || st.isBlockDevice()) {
    return { ...base, type: st.isCharacterDevice() ? 'character-device' : 'block-device', devmajor: major(st.rdev), devminor: minor(st.rdev) };
  }
  if (st.isFIFO()) return { ...base, type: 'fifo' };
  return undefined; // sockets do not belong in images
}

/** Every node under root (root itself excluded), parents first, names sorted. */
export function* treeEntries(root: string, opts: { exclude?: (rel: string) => boolean } = {}): Generator<LayerEntry> {
  const firstNames = new Map<string, string>();
  function* visit(rel: string): Generator<LayerEntry> {
    for (const name of readdirSorted(path.join(root, rel))) {
      const child = join(rel, name);
      if (opts.exclude?.(child)) continue;
      const st = fs.lstatSync(path.join(root, child));
      const entry = entryFor(root, child, st, firstNames);
      if (entry) yield entry;
      if (st.isDirectory()) yield* visit(child);
    }
  }
  yield* visit('');
}

function whiteout(parent: string, name: string, mtime: Date): LayerEntry {
  return { path: join(parent, `.wh.${name}`), type: 'file', mode: 0o644, uid: 0, gid: 0, mtime, content: Buffer.alloc(0) };
}

/**
 * The changes in root since `before`, as layer entries: new and changed nodes
 * with their parent directories, `.wh.<name>` for removed names, and
 * `.wh..wh..opq` plus the whole subtree for a directory that was replaced.
 */
export function* diffEntries(root: string, before: TreeSnapshot): Generator<LayerEntry> {
  const firstNames = new Map<string, string>();
  // Parent directories not yet written; written once something below them is.
  const pending: { rel: string; st: fs.Stats }[] = [];
  function* flushParents(): Generator<LayerEntry> {
    for (const p of pending.splice(0)) {
      const entry = entryFor(root, p.rel, p.st, firstNames);
      if (entry) yield entry;
    }
  }
  function* visit(rel: string, dirSt: fs.Stats, wholeSubtree: boolean): Generator<LayerEntry> {
    const names = readdirSorted(path.join(root, rel));
    if (!wholeSubtree) {
      const present = new Set(names);
      const removed = (before.children.get(rel) ?? []).filter((n) => !present.has(n));
      if (removed.length > 0) {
        yield* flushParents();
        for (const n of removed) yield whiteout(rel, n, dirSt.mtime);
      }
    }
    for (const name of names) {
      const child = join(rel, name);
      const abs = path.join(root, child);
      const st = fs.lstatSync(abs);
      const big = fs.lstatSync(abs, { bigint: true });
      const old = before.nodes.get(child);
      const changed = wholeSubtree || !old || old.ino !== big.ino || old.ctimeNs !== big.ctimeNs;
      const replacedDir = !wholeSubtree && old !== undefined && old.isDir && st.isDirectory() && old.ino !== big.ino;
      if (changed) {
        yield* flushParents();
        const entry = entryFor(root, child, st, firstNames);
        if (entry) yield entry;
        if (replacedDir) yield { ...whiteout(child, '.wh..opq', st.mtime), path: join(child, '.wh..wh..opq') };
      }
      if (st.isDirectory()) {
        const depth = pending.length;
        if (!changed) pending.push({ rel: child, st });
        yield* visit(child, st, wholeSubtree || replacedDir || (old !== undefined && !old.isDir));
        pending.splice(depth);
      }
    }
  }
  yield* visit('', fs.lstatSync(root), false);
}
