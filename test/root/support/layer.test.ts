import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import * as tar from 'tar-stream';
import { run } from '../../support/test-images/exec.js';
import { diffEntries, snapshotTree, treeEntries, writeLayer } from '../../support/test-images/layer.js';

interface ReadEntry {
  name: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  linkname: string | null;
  devmajor: number;
  devminor: number;
  body: string;
}

async function readLayer(file: string): Promise<ReadEntry[]> {
  const extract = tar.extract();
  const out: ReadEntry[] = [];
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => {
        chunks.push(c as Buffer);
      });
      stream.on('end', () => {
        out.push({
          name: header.name,
          type: header.type,
          mode: header.mode,
          uid: header.uid,
          gid: header.gid,
          uname: header.uname,
          gname: header.gname,
          linkname: header.linkname,
          devmajor: header.devmajor,
          devminor: header.devminor,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        next();
      });
    });
    extract.on('finish', () => resolve());
    extract.on('error', reject);
  });
  extract.end(zlib.gunzipSync(fs.readFileSync(file)));
  await done;
  return out;
}

let tmp: string;

describe('layer writer', () => {
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsc-harness-layer-'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('packs a whole tree with numeric ownership, modes, links and device numbers, parents first and sorted', async () => {
    const root = path.join(tmp, 'tree');
    fs.mkdirSync(path.join(root, 'b/sub'), { recursive: true });
    fs.mkdirSync(path.join(root, 'a'));
    fs.writeFileSync(path.join(root, 'b/sub/file'), 'hello');
    fs.chownSync(path.join(root, 'b/sub/file'), 1234, 5678);
    fs.writeFileSync(path.join(root, 'a/suid'), '#!/bin/sh\n');
    fs.chmodSync(path.join(root, 'a/suid'), 0o4755);
    fs.mkdirSync(path.join(root, 'tmp'));
    fs.chmodSync(path.join(root, 'tmp'), 0o1777);
    fs.symlinkSync('../b/sub/file', path.join(root, 'a/link'));
    fs.linkSync(path.join(root, 'b/sub/file'), path.join(root, 'b/hard'));
    fs.writeFileSync(path.join(root, 'big'), Buffer.alloc(9 * 1024 * 1024, 7)); // streamed, not read whole
    await run(['mknod', '-m', '0666', path.join(root, 'b/null'), 'c', '1', '3']);
    await run(['mknod', '-m', '0660', path.join(root, 'b/disk'), 'b', '259', '65537']);
    await run(['mkfifo', '-m', '0600', path.join(root, 'b/fifo')]);
    const layerFile = path.join(tmp, 'tree.tar.gz');
    const written = await writeLayer(treeEntries(root), layerFile);

    const gz = fs.readFileSync(layerFile);
    assert.equal(written.size, gz.length);
    assert.equal(written.digest, `sha256:${createHash('sha256').update(gz).digest('hex')}`);
    const raw = zlib.gunzipSync(gz);
    assert.equal(written.diffId, `sha256:${createHash('sha256').update(raw).digest('hex')}`);
    assert.equal(written.uncompressedSize, raw.length);

    const entries = await readLayer(layerFile);
    assert.deepEqual(
      entries.map((e) => e.name),
      ['a/', 'a/link', 'a/suid', 'b/', 'b/disk', 'b/fifo', 'b/hard', 'b/null', 'b/sub/', 'b/sub/file', 'big', 'tmp/'],
    );
    const by = (n: string): ReadEntry => entries.find((e) => e.name === n) as ReadEntry;
    assert.equal(by('a/suid').mode, 0o4755);
    assert.equal(by('tmp/').mode, 0o1777);
    assert.equal(by('tmp/').type, 'directory');
    assert.deepEqual([by('b/hard').uid, by('b/hard').gid, by('b/hard').body], [1234, 5678, 'hello']);
    // The second name of the inode becomes a hard link to the first one written.
    assert.deepEqual([by('b/sub/file').type, by('b/sub/file').linkname], ['link', 'b/hard']);
    assert.deepEqual([by('a/link').type, by('a/link').linkname], ['symlink', '../b/sub/file']);
    assert.equal(by('big').body.length, 9 * 1024 * 1024);
    assert.deepEqual([by('b/null').type, by('b/null').mode, by('b/null').devmajor, by('b/null').devminor], ['character-device', 0o666, 1, 3]);
    assert.deepEqual([by('b/disk').type, by('b/disk').devmajor, by('b/disk').devminor], ['block-device', 259, 65537]);
    assert.deepEqual([by('b/fifo').type, by('b/fifo').mode], ['fifo', 0o600]);
    for (const e of entries) assert.deepEqual([e.uname, e.gname], ['', ''], e.name);
  });

  it('writes the same bytes twice for the same tree', async () => {
    const root = path.join(tmp, 'tree');
    const a = await writeLayer(treeEntries(root), path.join(tmp, 'a.tar.gz'));
    const b = await writeLayer(treeEntries(root), path.join(tmp, 'b.tar.gz'));
    assert.equal(a.digest, b.digest);
    assert.equal(a.diffId, b.diffId);
  });

  it('diffs a tree against a snapshot: changed and new nodes with their parents, whiteouts, opaque directories', async () => {
    const root = path.join(tmp, 'diff');
    for (const d of ['etc', 'usr/lib/x', 'var/gone/deep', 'opt/replaced', 'same/deeper']) fs.mkdirSync(path.join(root, d), { recursive: true });
    fs.writeFileSync(path.join(root, 'etc/passwd'), 'root\n');
    fs.writeFileSync(path.join(root, 'etc/group'), 'root\n');
    fs.writeFileSync(path.join(root, 'etc/mode'), 'x');
    fs.writeFileSync(path.join(root, 'usr/lib/x/old.so'), 'old');
    fs.writeFileSync(path.join(root, 'var/gone/deep/f'), 'f');
    fs.writeFileSync(path.join(root, 'opt/replaced/lower'), 'lower');
    fs.writeFileSync(path.join(root, 'same/deeper/untouched'), 'u');
    const before = snapshotTree(root);

    fs.writeFileSync(path.join(root, 'etc/passwd'), 'root\napp\n'); // modified in place
    fs.chmodSync(path.join(root, 'etc/mode'), 0o600); // metadata only
    fs.rmSync(path.join(root, 'etc/group')); // removed file
    fs.rmSync(path.join(root, 'var/gone'), { recursive: true }); // removed directory: one whiteout
    fs.rmSync(path.join(root, 'opt/replaced'), { recursive: true }); // replaced directory: opaque
    fs.mkdirSync(path.join(root, 'opt/replaced'));
    fs.writeFileSync(path.join(root, 'opt/replaced/upper'), 'upper');
    fs.writeFileSync(path.join(root, 'usr/lib/x/new.so'), 'new'); // new file deep in an unchanged tree
    fs.writeFileSync(path.join(root, 'usr/lib/x/new2.so'), 'new');
    fs.linkSync(path.join(root, 'usr/lib/x/new.so'), path.join(root, 'usr/lib/x/new.so.1'));

    const layerFile = path.join(tmp, 'diff.tar.gz');
    await writeLayer(diffEntries(root, before), layerFile);
    const entries = await readLayer(layerFile);
    assert.deepEqual(
      entries.map((e) => e.name),
      [
        'etc/',
        'etc/.wh.group',
        'etc/mode',
        'etc/passwd',
        'opt/',
        'opt/replaced/',
        'opt/replaced/.wh..wh..opq',
        'opt/replaced/upper',
        'usr/',
        'usr/lib/',
        'usr/lib/x/',
        'usr/lib/x/new.so',
        'usr/lib/x/new.so.1',
        'usr/lib/x/new2.so',
        'var/',
        'var/.wh.gone',
      ],
    );
    const by = (n: string): ReadEntry => entries.find((e) => e.name === n) as ReadEntry;
    assert.equal(by('etc/passwd').body, 'root\napp\n');
    assert.equal(by('etc/mode').mode, 0o600);
    assert.deepEqual([by('usr/lib/x/new.so.1').type, by('usr/lib/x/new.so.1').linkname], ['link', 'usr/lib/x/new.so']);
    assert.equal(by('etc/.wh.group').type, 'file');
    assert.equal(by('etc/.wh.group').body, '');
  });

  it('diffs to an empty layer when nothing changed', async () => {
    const root = path.join(tmp, 'diff');
    const before = snapshotTree(root);
    const layerFile = path.join(tmp, 'empty.tar.gz');
    await writeLayer(diffEntries(root, before), layerFile);
    assert.deepEqual(await readLayer(layerFile), []);
  });
});
