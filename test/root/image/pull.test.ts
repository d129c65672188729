/**
 * Pulling from a real registry (Debian's docker-registry on 127.0.0.1, started
 * by the test harness) into the content store: by tag, by digest, from an
 * index, with token auth, from a Docker Hub mirror, a shared layer fetched
 * once, and a corrupted blob rejected with nothing committed.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureTestImages } from '../../harness/images.js';
import type { TestImages } from '../../harness/images.js';
import { pushImage, startLocalRegistry } from '../../harness/registry.js';
import type { LocalRegistry } from '../../harness/registry.js';
import { ImageStore } from '../../../src/image/store/image-store.js';
import { RegistryClient } from '../../../src/image/registry/client.js';
import { CredentialStore } from '../../../src/image/registry/credentials.js';
import { pullImage } from '../../../src/image/pull.js';
import type { PullEvent } from '../../../src/image/pull.js';

let images: TestImages<'busybox' | 'busybox-multiarch'>;
let registry: LocalRegistry;
let tmp: string;
let n = 0;
const freshStore = (): ImageStore => new ImageStore(path.join(tmp, `store-${n++}`));

describe('pull from a local registry', { timeout: 15 * 60_000 }, () => {
  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsc-pull-'));
    images = await ensureTestImages({ images: ['busybox', 'busybox-multiarch'], log: () => undefined });
    registry = await startLocalRegistry();
    await pushImage(images.busybox.layoutDir, registry.host, 'test/busybox:1');
    await pushImage(images.busybox.layoutDir, registry.host, 'other/busybox:1');
    await pushImage(images['busybox-multiarch'].layoutDir, registry.host, 'test/multi:1');
    await pushImage(images.busybox.layoutDir, registry.host, 'library/busybox:latest');
  });
  after(async () => {
    await registry?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('pulls by tag and by digest; layers unpacked once and shared', async () => {
    const store = freshStore();
    const client = new RegistryClient();
    try {
      const events: PullEvent[] = [];
      const record = await pullImage(store, client, `${registry.host}/test/busybox:1`, { onEvent: (e) => events.push(e) });
      assert.equal(record.manifestDigest, images.busybox.manifestDigest);
      assert.ok(fs.existsSync(path.join(store.lowerDirs(record)[0] as string, 'bin', 'busybox')));
      assert.ok(events.some((e) => e.status === 'downloading'));
      const byDigest = await pullImage(store, client, `${registry.host}/test/busybox@${images.busybox.manifestDigest}`);
      assert.equal(byDigest.configDigest, record.configDigest);
      const second: PullEvent[] = [];
      await pullImage(store, client, `${registry.host}/other/busybox:1`, { onEvent: (e) => second.push(e) });
      assert.ok(second.filter((e) => e.layer).every((e) => e.status !== 'downloading'), 'the shared layer is not downloaded again');
    } finally {
      await client.close();
    }
  });

  it('picks this machine from an image index; a missing platform is a clear error', async () => {
    const store = freshStore();
    const client = new RegistryClient();
    try {
      const record = await pullImage(store, client, `${registry.host}/test/multi:1`);
      assert.equal(record.manifestDigest, images.busybox.manifestDigest);
      await assert.rejects(pullImage(store, client, `${registry.host}/test/multi:1`, { platform: 'linux/s390x' }), /no manifest for platform linux\/s390x/);
    } finally {
      await client.close();
    }
  });

  it('serves Docker Hub names from a mirror', async () => {
    const store = freshStore();
    const client = new RegistryClient({ mirrors: [registry.url] });
    try {
      const record = await pullImage(store, client, 'busybox');
      assert.equal(record.reference, 'docker.io/library/busybox:latest');
      assert.equal(record.manifestDigest, images.busybox.manifestDigest);
    } finally {
      await client.close();
    }
  });

  it('a corrupted blob is rejected and nothing is committed', async () => {
    const layer = images.busybox.layers[0]!;
    const blob = path.join(registry.storageDir, 'docker/registry/v2/blobs/sha256', layer.digest.slice(7, 9), layer.digest.slice(7), 'data');
    assert.ok(fs.existsSync(blob), `registry blob at ${blob}`);
    const original = fs.readFileSync(blob);
    const corrupted = Buffer.from(original);
    corrupted[corrupted.length - 10] = (corrupted[corrupted.length - 10]! + 1) % 256;
    fs.writeFileSync(blob, corrupted);
    const store = freshStore();
    const client = new RegistryClient({ retries: 0 });
    try {
      await assert.rejects(pullImage(store, client, `${registry.host}/test/busybox:1`), /digest mismatch/);
      assert.deepEqual(store.list(), []);
      assert.equal(store.content.has(layer.digest), false);
      assert.deepEqual(fs.readdirSync(store.snapshotsDir), []);
    } finally {
      fs.writeFileSync(blob, original);
      await client.close();
    }
  });

  it('token auth: anonymous pulls are refused, credentials from docker config work', async () => {
    const secured = await startLocalRegistry({ auth: { user: 'alice', password: 's3cret', mode: 'token' } });
    try {
      await pushImage(images.busybox.layoutDir, secured.host, 'private/busybox:1', { credentials: { user: 'alice', password: 's3cret' } });
      const anonymous = new RegistryClient();
      await assert.rejects(pullImage(freshStore(), anonymous, `${secured.host}/private/busybox:1`), /unauthorized|denied|401/i);
      await anonymous.close();
      const configFile = path.join(tmp, 'docker-config.json');
      new CredentialStore(configFile).set(secured.host, { username: 'alice', password: 's3cret' });
      const client = new RegistryClient({ credentials: new CredentialStore(configFile) });
      const record = await pullImage(freshStore(), client, `${secured.host}/private/busybox:1`);
      assert.equal(record.manifestDigest, images.busybox.manifestDigest);
      await client.close();
    } finally {
      await secured.stop();
    }
  });
});
