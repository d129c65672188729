import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CACHE_ENV, ensureTestImages, testImageCacheDir, type TestImage, type TestImages, type TestImageName } from '../../support/test-images/images.js';
import { MEDIA_TYPE, REF_NAME_ANNOTATION } from '../../support/test-images/oci-layout.js';
import { verifyLayout } from '../../support/test-images/verify.js';

let images: TestImages<TestImageName>;
const quiet = (): void => undefined;

describe('test images', () => {
  before(async () => {
    // Cold, this builds everything (about a minute and a half); afterwards it is a cache lookup.
    images = await ensureTestImages();
  });

  it('are OCI layouts whose blobs, sizes, digests and diff_ids all check out', async () => {
    for (const name of ['busybox', 'debian', 'postgres', 'redis', 'node'] as const) {
      const image = images[name];
      const verified = await verifyLayout(image.layoutDir);
      const ref = verified.refs['latest'];
      assert.ok(ref, `${name}: index.json names its image "latest"`);
      assert.equal(ref.mediaType, MEDIA_TYPE.manifest);
      assert.equal(ref.digest, image.manifestDigest, name);
      assert.equal(verified.images.length, 1);
      const [only] = verified.images;
      assert.equal(only?.configDigest, image.configDigest);
      assert.deepEqual(
        only?.layers.map((l) => [l.digest, l.size, l.diffId]),
        image.layers.map((l) => [l.digest, l.size, l.diffId]),
        name,
      );
      assert.equal(only?.config.os, 'linux');
      assert.equal(only?.config.architecture, image.platform.architecture);
      assert.ok(image.layoutDir.startsWith(images.cacheDir), 'kept in the cache, outside the repository');
    }
  });

  it('share one base layer blob between debian, postgres, redis and node, each app adding one layer', () => {
    const [base] = images.debian.layers;
    assert.ok(base);
    assert.equal(images.debian.layers.length, 1);
    const appLayers = new Set<string>();
    for (const app of [images.postgres, images.redis, images.node]) {
      assert.equal(app.layers.length, 2, app.name);
      assert.deepEqual(app.layers[0], base, `${app.name} starts with the debian layer`);
      appLayers.add(app.layers[1]?.digest as string);
      // Same file on disk: the cache stores the base layer once.
      const inode = (img: TestImage): number => fs.statSync(path.join(img.layoutDir, 'blobs/sha256', base.digest.slice(7))).ino;
      assert.equal(inode(app), inode(images.debian), `${app.name} links the debian blob`);
    }
    assert.equal(appLayers.size, 3);
  });

  it('carry the image config a compose stack relies on', () => {
    const pg = images.postgres.config;
    assert.deepEqual(pg.Entrypoint, ['docker-entrypoint.sh']);
    assert.deepEqual(pg.Cmd, ['postgres']);
    assert.deepEqual(pg.ExposedPorts, { '5432/tcp': {} });
    assert.deepEqual(pg.Volumes, { '/var/lib/postgresql/data': {} });
    assert.equal(pg.StopSignal, 'SIGINT');
    assert.ok(pg.Env?.includes('PGDATA=/var/lib/postgresql/data'));
    assert.match(pg.Env?.find((e) => e.startsWith('PATH=')) ?? '', /\/usr\/lib\/postgresql\/15\/bin/);
    assert.match(pg.Labels?.['org.opencontainers.image.version'] ?? '', /^15\./);

    const redis = images.redis.config;
    assert.deepEqual(redis.Cmd, ['redis-server', '--protected-mode', 'no']);
    assert.deepEqual(redis.ExposedPorts, { '6379/tcp': {} });
    assert.equal(redis.WorkingDir, '/data');

    assert.deepEqual(images.node.config.Cmd, ['node']);
    assert.deepEqual(images.busybox.config.Cmd, ['sh']);
    assert.deepEqual(images.debian.config.Cmd, ['bash']);
    for (const name of ['busybox', 'debian', 'postgres', 'redis', 'node'] as const) {
      const config = images[name].config;
      assert.ok(config.Env?.some((e) => e.startsWith('PATH=')), `${name} sets PATH`);
      assert.equal(config.Labels?.['org.opencontainers.image.title'], name);
      assert.equal(config.Labels?.['org.tsc-compose.test-image.recipe'], images[name].cacheKey);
    }
    assert.ok(images.postgres.packages['postgresql-15']);
    assert.ok(images.redis.packages['redis-server']);
    assert.match(images.node.packages['nodejs'] ?? '', /^18\./);
  });

  it('include a multi-platform index: this machine\'s busybox plus a fake other architecture', async () => {
    const multi = images['busybox-multiarch'];
    const verified = await verifyLayout(multi.layoutDir);
    const ref = verified.refs['latest'];
    assert.equal(ref?.mediaType, MEDIA_TYPE.index);
    assert.equal(ref?.digest, multi.indexDigest);
    assert.equal(ref?.annotations?.[REF_NAME_ANNOTATION], 'latest');
    const index = verified.indexes[0]?.index;
    assert.equal(index?.manifests.length, 2);
    const [native, other] = index?.manifests ?? [];
    assert.equal(native?.digest, images.busybox.manifestDigest, 'the native entry is the busybox image itself');
    assert.equal(native?.platform?.architecture, images.busybox.platform.architecture);
    assert.notEqual(other?.platform?.architecture, native?.platform?.architecture);
    assert.equal(verified.images.length, 2);
    const fake = verified.images.find((i) => i.manifestDigest === other?.digest);
    assert.equal(fake?.config.architecture, other?.platform?.architecture);
  });

  it('come from the cache on the next call, fast and unchanged', async () => {
    const t = performance.now();
    const again = await ensureTestImages({ log: quiet });
    const ms = performance.now() - t;
    assert.ok(ms < 1000, `cached lookup took ${ms.toFixed(0)} ms`);
    for (const name of ['busybox', 'debian', 'postgres', 'redis', 'node'] as const) {
      assert.equal(again[name].manifestDigest, images[name].manifestDigest, name);
    }
    assert.equal(again['busybox-multiarch'].indexDigest, images['busybox-multiarch'].indexDigest);
  });

  it('return only what was asked for, with the types for it', async () => {
    const some = await ensureTestImages({ images: ['redis'], log: quiet });
    assert.deepEqual(Object.keys(some).sort(), ['cacheDir', 'redis']);
    assert.equal(some.redis.manifestDigest, images.redis.manifestDigest);
  });
});

describe('test image cache location', () => {
  let dir: string;
  let saved: string | undefined;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsc-harness-cache-'));
    saved = process.env[CACHE_ENV];
  });
  after(() => {
    if (saved === undefined) delete process.env[CACHE_ENV];
    else process.env[CACHE_ENV] = saved;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('follows the environment variable, builds busybox reproducibly, and serialises concurrent builds', async () => {
    process.env[CACHE_ENV] = dir;
    assert.equal(testImageCacheDir(), dir);
    const lines: string[] = [];
    // Two callers at once: one builds, the other waits for the lock and then reads the cache.
    const [a, b] = await Promise.all([
      ensureTestImages({ images: ['busybox', 'busybox-multiarch'], log: (l) => lines.push(l) }),
      ensureTestImages({ images: ['busybox'], log: (l) => lines.push(l) }),
    ]);
    assert.equal(a.cacheDir, dir);
    assert.ok(a.busybox.layoutDir.startsWith(`${dir}/busybox-`));
    assert.equal(b.busybox.manifestDigest, a.busybox.manifestDigest);
    assert.equal(lines.filter((l) => l.startsWith('busybox: built')).length, 1, lines.join('\n'));
    // Synthetic entries, fixed dates: the same recipe gives the same digests in any cache.
    assert.equal(a.busybox.manifestDigest, images.busybox.manifestDigest);
    assert.equal(a['busybox-multiarch'].indexDigest, images['busybox-multiarch'].indexDigest);
    const left = fs.readdirSync(dir).sort();
    assert.deepEqual(left, [path.basename(path.dirname(a.busybox.layoutDir)), path.basename(path.dirname(a['busybox-multiarch'].layoutDir))].sort(), 'no lock or work directories left');
  });

  it('rebuilds an entry whose blobs went missing', async () => {
    const first = await ensureTestImages({ images: ['busybox'], cacheDir: dir, log: quiet });
    const layer = first.busybox.layers[0]?.digest.slice(7) as string;
    fs.rmSync(path.join(first.busybox.layoutDir, 'blobs/sha256', layer));
    const lines: string[] = [];
    const second = await ensureTestImages({ images: ['busybox'], cacheDir: dir, log: (l) => lines.push(l) });
    assert.ok(lines.some((l) => l.startsWith('busybox: built')), lines.join('\n'));
    assert.ok(fs.existsSync(path.join(second.busybox.layoutDir, 'blobs/sha256', layer)));
    await verifyLayout(second.busybox.layoutDir);
  });
});
