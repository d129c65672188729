/** Layer unpacking against the real file system (whiteouts need root for mknod and trusted xattrs). */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { spawnSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { makeTar } from '../../support/tar.js';
import type { TarEntry } from '../../support/tar.js';
import { expansionBound, unpackLayer, MaliciousLayerError } from '../../../src/image/unpack/unpack-layer.js';
import { TscComposeError } from '../../../src/errors/index.js';
import { getXattr } from '../../../src/sys/fs.js';
import { unpackLayerFile } from '../../../src/image/unpack/unpack-in-worker.js';

type Entry = TarEntry;

let root: string;
let n = 0;
const freshDir = (): string => path.join(root, `layer-${n++}`);

describe('unpackLayer', () => {
  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsc-unpack-'));
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('unpacks files, dirs, symlinks, hardlinks with modes, owners and the diff id', async () => {
    const data = await makeTar([
      { name: 'etc/', type: 'directory', mode: 0o755 },
      { name: 'etc/motd', type: 'file', mode: 0o640, uid: 1000, gid: 1001, content: 'hello\n' },
      { name: 'bin/tool', type: 'file', mode: 0o4755, content: '#!/bin/sh\n' },
      { name: 'bin/alias', type: 'symlink', linkname: '/bin/tool' },
      { name: 'bin/hard', type: 'link', linkname: 'bin/tool' },
      { name: 'tmp/', type: 'directory', mode: 0o1777 },
    ]);
    const dest = freshDir();
    const gz = zlib.gzipSync(data);
    const result = await unpackLayer(Readable.from([gz]), dest, { context: 'test layer' });
    assert.equal(result.diffId, `sha256:${createHash('sha256').update(data).digest('hex')}`);
    assert.equal(fs.readFileSync(path.join(dest, 'etc/motd'), 'utf8'), 'hello\n');
    const motd = fs.statSync(path.join(dest, 'etc/motd'));
    assert.equal(motd.mode & 0o7777, 0o640);
    assert.equal(motd.uid, 1000);
    assert.equal(motd.gid, 1001);
    assert.equal(fs.statSync(path.join(dest, 'bin/tool')).mode & 0o7777, 0o4755);
    assert.equal(fs.readlinkSync(path.join(dest, 'bin/alias')), '/bin/tool');
    assert.equal(fs.statSync(path.join(dest, 'bin/hard')).ino, fs.statSync(path.join(dest, 'bin/tool')).ino);
    assert.equal(fs.statSync(path.join(dest, 'tmp')).mode & 0o7777, 0o1777);
  });

  it('turns whiteouts into overlayfs whiteouts and opaque markers', async () => {
    const data = await makeTar([
      { name: 'dir/', type: 'directory', mode: 0o755 },
      { name: 'dir/.wh..wh..opq', type: 'file', content: '' },
      { name: 'etc/.wh.gone', type: 'file', content: '' },
      { name: '.wh..wh.plnk', type: 'directory' },
    ]);
    const dest = freshDir();
    await unpackLayer(Readable.from([data]), dest, { context: 'test layer' });
    const wh = fs.lstatSync(path.join(dest, 'etc/gone'));
    assert.ok(wh.isCharacterDevice());
    assert.equal(wh.rdev, 0);
    assert.equal(getXattr(path.join(dest, 'dir'), 'trusted.overlay.opaque')?.toString(), 'y');
    assert.equal(fs.existsSync(path.join(dest, 'dir/.wh..wh..opq')), false);
    assert.equal(fs.existsSync(path.join(dest, '.wh..wh.plnk')), false);
  });

  const outside = (): string => path.join(root, 'outside');
  const malicious: Array<[string, () => Entry[], RegExp]> = [
    ['path traversal', () => [{ name: '../outside/evil', type: 'file', content: 'x' }], /path traversal/],
    ['nested traversal', () => [{ name: 'a/../../outside/evil', type: 'file', content: 'x' }], /path traversal/],
    ['absolute path', () => [{ name: '/etc/evil', type: 'file', content: 'x' }], /absolute path/],
    [
      'write through a symlinked parent',
      () => [
        { name: 'escape', type: 'symlink', linkname: outside() },
        { name: 'escape/evil', type: 'file', content: 'x' },
      ],
      /parent "escape" is a symlink/,
    ],
    [
      // The unpacker remembers directories it made; one replaced by a symlink must not stay trusted.
      'a directory replaced by a symlink, then written through',
      () => [
        { name: 'd/', type: 'directory', mode: 0o755 },
        { name: 'd/ok', type: 'file', content: 'fine' },
        { name: 'd', type: 'symlink', linkname: outside() },
        { name: 'd/evil', type: 'file', content: 'x' },
      ],
      /parent "d" is a symlink/,
    ],
    [
      'a nested directory replaced by a symlink, then written below it',
      () => [
        { name: 'a/b/c/', type: 'directory', mode: 0o755 },
        { name: 'a/b/c/ok', type: 'file', content: 'fine' },
        { name: 'a/b', type: 'symlink', linkname: outside() },
        { name: 'a/b/c/evil', type: 'file', content: 'x' },
      ],
      /parent "a\/b" is a symlink/,
    ],
    ['hardlink to outside', () => [{ name: 'h', type: 'link', linkname: '../outside/secret' }], /path traversal/],
    ['hardlink to a host path', () => [{ name: 'h', type: 'link', linkname: 'etc/shadow' }], /not in this layer/],
    ['device node', () => [{ name: 'dev/sda', type: 'block-device', devmajor: 8, devminor: 0 }], /device nodes are not allowed/],
  ];
  const unpackers: Array<[string, (data: Buffer, dest: string) => Promise<unknown>]> = [
    ['', (data, dest) => unpackLayer(Readable.from([data]), dest, { context: 'image evil layer sha256:x' })],
    [
      ' (on a worker thread)',
      (data, dest) => {
        const file = `${dest}.tar`;
        fs.writeFileSync(file, data);
        return unpackLayerFile(file, dest, { context: 'image evil layer sha256:x' });
      },
    ],
  ];
  for (const [label, entries, message] of malicious) for (const [where, unpack] of unpackers) {
    it(`rejects ${label} and leaves the host untouched${where}`, async () => {
      fs.mkdirSync(outside(), { recursive: true });
      fs.writeFileSync(path.join(outside(), 'secret'), 'secret');
      const data = await makeTar(entries());
      const dest = freshDir();
      await assert.rejects(unpack(data, dest), (err: unknown) => {
        assert.ok(err instanceof MaliciousLayerError, String(err));
        assert.match(err.message, /image evil layer sha256:x: entry /);
        assert.match(err.message, message);
        return true;
      });
      assert.deepEqual(fs.readdirSync(outside()).sort(), ['secret']);
      assert.equal(fs.readFileSync(path.join(outside(), 'secret'), 'utf8'), 'secret');
    });
  }

  it('unpacks a layer file on a worker thread exactly as in-thread', async () => {
    const data = await makeTar([
      { name: 'etc/', type: 'directory', mode: 0o755 },
      { name: 'etc/motd', type: 'file', mode: 0o640, uid: 1000, gid: 1001, content: 'hello\n' },
      { name: 'etc/motd', type: 'file', mode: 0o600, content: 'replaced\n' },
      { name: 'bin/alias', type: 'symlink', linkname: '/etc/motd' },
    ]);
    const file = path.join(root, 'worker-layer.tar.gz');
    fs.writeFileSync(file, zlib.gzipSync(data));
    const dest = freshDir();
    const result = await unpackLayerFile(file, dest, { context: 'layer' });
    assert.equal(result.diffId, `sha256:${createHash('sha256').update(data).digest('hex')}`);
    assert.equal(fs.readFileSync(path.join(dest, 'etc/motd'), 'utf8'), 'replaced\n');
    assert.equal(fs.statSync(path.join(dest, 'etc/motd')).mode & 0o7777, 0o600);
    assert.equal(fs.readlinkSync(path.join(dest, 'bin/alias')), '/etc/motd');
  });

  it('refuses a layer that expands beyond its bound (a gzip bomb), keeping nothing of it', async () => {
    // 64 MB of zeros in about 64 KB of gzip.
    const bomb = zlib.gzipSync(await makeTar([{ name: 'ok.txt', type: 'file', content: 'fine' }, { name: 'zeros', type: 'file', content: Buffer.alloc(64 * 1024 * 1024) }]));
    assert.ok(bomb.length < 1024 * 1024);
    const dest = freshDir();
    await assert.rejects(unpackLayer(Readable.from([bomb]), dest, { context: 'image bomb layer sha256:b0', maxBytes: 8 * 1024 * 1024 }), (err: unknown) => {
      assert.ok(err instanceof TscComposeError);
      assert.equal(err.code, 'TSC_IMAGE_LAYER_TOO_LARGE');
      assert.match(err.message, /^image bomb layer sha256:b0: expands to more than 8(\.\d+)?MB of files \(at entry "zeros"\)/);
      return true;
    });
  });

  it('by default, a layer may fill a disk only up to 5% free', async () => {
    const s = fs.statfsSync(root);
    assert.equal(expansionBound(root), Math.max(0, s.bavail * s.bsize - 0.05 * s.blocks * s.bsize));
  });

  it('reports a corrupt stream as a typed error', async () => {
    const gz = zlib.gzipSync(await makeTar([{ name: 'f', type: 'file', content: 'x'.repeat(10000) }]));
    const corrupt = Buffer.concat([gz.subarray(0, 40), Buffer.alloc(20, 0xff)]);
    await assert.rejects(unpackLayer(Readable.from([corrupt]), freshDir(), { context: 'layer' }), /TSC_IMAGE_LAYER_CORRUPT|cannot read layer/);
  });

  it('reads zstd layers', { skip: spawnSync('sh', ['-c', 'command -v zstd']).status !== 0 && 'zstd not installed' }, async () => {
    const data = await makeTar([{ name: 'z.txt', type: 'file', content: 'zstd!' }]);
    const compressed = spawnSync('zstd', ['-c', '-q'], { input: data }).stdout;
    const dest = freshDir();
    const result = await unpackLayer(Readable.from([compressed]), dest, { context: 'layer' });
    assert.equal(fs.readFileSync(path.join(dest, 'z.txt'), 'utf8'), 'zstd!');
    assert.equal(result.diffId, `sha256:${createHash('sha256').update(data).digest('hex')}`);
  });
});
