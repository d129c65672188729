import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { tarOfFiles } from '../../support/tar.js';
import { ImageStore } from '../../../src/image/store/image-store.js';
import { VolumeStore } from '../../../src/runtime/volumes.js';


let root: string;

describe('VolumeStore', () => {
  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsc-volumes-'));
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('creates, lists, keeps data and removes volumes; bad names are errors', () => {
    const volumes = new VolumeStore(path.join(root, 'v1'));
    const v = volumes.ensure('proj_data', { labels: { 'com.docker.compose.project': 'proj' } });
    fs.writeFileSync(path.join(v.mountpoint, 'kept'), 'yes');
    assert.equal(volumes.ensure('proj_data').createdAt, v.createdAt, 'ensure is idempotent');
    assert.deepEqual(volumes.list().map((x) => x.name), ['proj_data']);
    assert.equal(fs.readFileSync(path.join(volumes.get('proj_data')!.mountpoint, 'kept'), 'utf8'), 'yes');
    assert.equal(volumes.remove('proj_data'), true);
    assert.equal(volumes.get('proj_data'), undefined);
    assert.throws(() => volumes.ensure('../escape'), /invalid volume name/);
    assert.throws(() => volumes.ensure('x', { driver: 'nfs' }), /not supported/);
  });

  it('an empty volume gets the image content at its path once, through the merged layers', async () => {
    const images = new ImageStore(path.join(root, 'images'));
    await images.importRootfs(await tarOfFiles({ 'data/base.txt': 'base', 'data/sub/deep.txt': 'deep' }, { uid: 7, gid: 8 }), 'vol/base');
    // Second image: same base plus an upper layer that adds a file; built by tagging a manifest with both layers.
    const upper = await images.importRootfs(await tarOfFiles({ 'data/upper.txt': 'upper' }, { uid: 7, gid: 8 }), 'vol/upper');
    const base = images.get('vol/base');
    const lowers = [...images.lowerDirs(upper), ...images.lowerDirs(base)];
    const volumes = new VolumeStore(path.join(root, 'v2'));
    const scratch = path.join(root, 'scratch');
    volumes.ensure('seeded');
    volumes.populateFromImage('seeded', lowers, '/data', scratch);
    const mp = volumes.get('seeded')!.mountpoint;
    assert.deepEqual(fs.readdirSync(mp).sort(), ['base.txt', 'sub', 'upper.txt']);
    assert.equal(fs.readFileSync(path.join(mp, 'sub/deep.txt'), 'utf8'), 'deep');
    assert.equal(fs.statSync(path.join(mp, 'base.txt')).uid, 7, 'ownership kept');
    fs.rmSync(path.join(mp, 'base.txt'));
    volumes.populateFromImage('seeded', lowers, '/data', scratch);
    assert.equal(fs.existsSync(path.join(mp, 'base.txt')), false, 'never copied twice');
    assert.equal(fs.readFileSync('/proc/mounts', 'utf8').includes(scratch), false, 'helper mount gone');
  });
});
