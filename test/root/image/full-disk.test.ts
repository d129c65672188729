/**
 * A full disk is bad input, not a bug: pulls and imports that run out of space
 * fail with a clear error, keep nothing half-written and give the space back.
 * Each case gets its own small tmpfs as the store.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ensureTestImages } from '../../support/test-images/images.js';
import type { TestImages } from '../../support/test-images/images.js';
import { pushImage, startLocalRegistry } from '../../support/test-images/registry.js';
import type { LocalRegistry } from '../../support/test-images/registry.js';
import { ImageStore } from '../../../src/image/store/image-store.js';
import { RegistryClient } from '../../../src/image/registry/client.js';
import { pullImage } from '../../../src/image/pull.js';
import { TscComposeError, fromSystemError } from '../../../src/errors/index.js';
import { BIN } from '../../support/paths.js';

let images: TestImages<'debian'>;
let registry: LocalRegistry;
let tmp: string;
const mounts: string[] = [];

function smallDisk(name: string, size: string): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir);
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  mounts.push(dir);
  return dir;
}

/** Every regular file under dir (a store that kept nothing has only empty directories and its own small records). */
function files(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(path.relative(dir, path.join(entry.parentPath, entry.name)));
  }
  return out.sort();
}

/** The pull of the debian test image into `store` fails with a typed "no space left" error. */
async function pullFailsForSpace(store: ImageStore): Promise<void> {
  const client = new RegistryClient();
  try {
    await assert.rejects(pullImage(store, client, `${registry.host}/test/debian:1`), (err: unknown) => {
      const typed = err instanceof TscComposeError ? err : fromSystemError(err);
      assert.ok(typed, `a system error, not ${String(err)}`);
      assert.match(typed.message, /no space left on device/);
      return true;
    });
  } finally {
    await client.close();
  }
}

const freeBytes = (dir: string): number => {
  const st = fs.statfsSync(dir);
  return st.bavail * st.bsize;
};

describe('a full disk', { timeout: 10 * 60_000 }, () => {
  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsc-full-'));
    images = await ensureTestImages({ images: ['debian'], log: () => undefined });
    registry = await startLocalRegistry();
    await pushImage(images.debian.layoutDir, registry.host, 'test/debian:1');
  });
  after(async () => {
    for (const m of mounts.reverse()) spawnSync('umount', ['-l', m]);
    await registry?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('during a download: a clear error, no partial blob, no image, the space back', async () => {
    const disk = smallDisk('download', '16m');
    const before = freeBytes(disk);
    const store = new ImageStore(path.join(disk, 'store'));
    await pullFailsForSpace(store);
    assert.deepEqual(files(path.join(disk, 'store', 'content')).filter((f) => !f.startsWith('blobs/sha256/') || fs.statSync(path.join(disk, 'store', 'content', f)).size > 4096), [], 'no partial or large blob kept');
    assert.equal(store.list().length, 0);
    assert.ok(freeBytes(disk) > before - 1024 * 1024, 'the space is given back');
  });

  it('during the unpack (on a worker): stopped before the disk is full, a clear error, no snapshot, no image', async () => {
    // Room for the 47 MB compressed layer, not for its 117 MB of files: the unpack stops at the free space minus 5%.
    const disk = smallDisk('unpack', '80m');
    const store = new ImageStore(path.join(disk, 'store'));
    const client = new RegistryClient();
    try {
      await assert.rejects(pullImage(store, client, `${registry.host}/test/debian:1`), (err: unknown) => {
        assert.ok(err instanceof TscComposeError, `a typed error, not ${String(err)}`);
        assert.equal(err.code, 'TSC_IMAGE_LAYER_TOO_LARGE');
        assert.match(err.message, /expands to more than .* of files .*nothing of it was kept/);
        return true;
      });
    } finally {
      await client.close();
    }
    assert.ok(freeBytes(disk) > 0.05 * 80 * 1024 * 1024 - 1024 * 1024, 'the disk never filled up');
    const snapshots = path.join(disk, 'store', 'snapshots');
    assert.deepEqual(fs.existsSync(snapshots) ? fs.readdirSync(snapshots) : [], [], 'no half-unpacked layer');
    assert.equal(store.list().length, 0);
    assert.ok(freeBytes(disk) > 20 * 1024 * 1024, 'the unpacked files were removed');
  });

  it('from the CLI: image import says so in one line, exit 1, nothing kept', () => {
    const disk = smallDisk('cli', '4m');
    const tarball = path.join(tmp, 'big.tar');
    const src = path.join(tmp, 'big');
    fs.mkdirSync(src);
    fs.writeFileSync(path.join(src, 'blob'), Buffer.alloc(6 * 1024 * 1024, 7));
    assert.equal(spawnSync('tar', ['-cf', tarball, '-C', src, '.']).status, 0);
    const r = spawnSync(process.execPath, [BIN, 'image', 'import', tarball, 'big:1'], { encoding: 'utf8', env: { ...process.env, TSC_COMPOSE_ROOT: path.join(disk, 'state') } });
    assert.equal(r.status, 1, r.stderr);
    // Unpacking stops before the disk fills up (the layer's bound) or the write is refused: either way one clear line.
    assert.match(r.stderr, /no space left on device|expands to more than .* nothing of it was kept/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.doesNotMatch(r.stderr, /internal error|at .*\.js:\d+/, 'no stack trace');
    assert.deepEqual(files(path.join(disk, 'state', 'images')).filter((f) => !f.endsWith('.json')), []);
  });
});
