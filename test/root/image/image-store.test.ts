import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { tarOfFiles } from '../../support/tar.js';
import { ImageStore, ImageNotFoundError } from '../../../src/image/store/image-store.js';


let root: string;

describe('ImageStore', () => {
  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsc-images-'));
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('imports a rootfs tarball as a one-layer image with its config', async () => {
    const store = new ImageStore(root);
    const record = await store.importRootfs(await tarOfFiles({ 'etc/os-release': 'ID=test\n' }), 'test/one:1', { Cmd: ['sh'], WorkingDir: '/w' });
    assert.equal(record.reference, 'docker.io/test/one:1');
    assert.equal(store.get('test/one:1').manifestDigest, record.manifestDigest);
    assert.equal(store.get(`test/one@${record.manifestDigest}`).reference, record.reference);
    assert.equal(store.get(record.configDigest.slice(7, 19)).reference, record.reference);
    const config = store.config(record);
    assert.deepEqual(config.config?.Cmd, ['sh']);
    assert.equal(config.config?.WorkingDir, '/w');
    const [lower] = store.lowerDirs(record);
    assert.equal(fs.readFileSync(path.join(lower as string, 'etc/os-release'), 'utf8'), 'ID=test\n');
    assert.throws(() => store.get('test/none'), ImageNotFoundError);
  });

  it('shares identical layers and frees only what nothing uses', async () => {
    const store = new ImageStore(root);
    const layer = await tarOfFiles({ 'shared.txt': 'same' });
    const a = await store.importRootfs(layer, 'share/a');
    const b = await store.importRootfs(layer, 'share/b');
    assert.equal(a.diffIds[0], b.diffIds[0]);
    store.remove('share/a');
    assert.ok(store.hasSnapshot(b.diffIds[0] as string), 'snapshot still used by share/b');
    assert.ok(store.content.has(b.layerDigests[0] as string));
    store.remove('share/b');
    assert.equal(store.hasSnapshot(b.diffIds[0] as string), false);
    assert.equal(store.content.has(b.layerDigests[0] as string), false);
  });
});
