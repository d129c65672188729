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
import { ensureTestImages } from '../../support/test-images/images.js';
import type { TestImages } from '../../support/test-images/images.js';
import { pushImage, startLocalRegistry } from '../../support/test-images/registry.js';
import type { LocalRegistry } from '../../support/test-images/registry.js';
import { ImageStore } from '../../../src/image/store/image-store.js';
import { RegistryClient } from '../../../src/image/registry/client.js';
import { CredentialStore } from '../../../src/image/registry/credentials.js';
import { pullImage } from '../../../src/image/pull.js';
import type { PullEvent } from '../../../src/image/pull.js';
import { spawnSync } from 'node:child_process';
import { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { BIN } from '../../support/paths.js';
import { runtimeFixture, logText } from '../../support/runtime-fixture.js';
import { Runtime } from '../../../src/runtime/container.js';
import { stateLayout } from '../../../src/state/roots.js';

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
      const pulledAt = Date.parse('2025-01-02T03:04:05Z');
      const record = await pullImage(store, client, `${registry.host}/test/busybox:1`, { onEvent: (e) => events.push(e), now: () => pulledAt });
      assert.equal(record.manifestDigest, images.busybox.manifestDigest);
      assert.equal(store.get(`${registry.host}/test/busybox:1`).pulledAt, '2025-01-02T03:04:05.000Z', 'the pull time is recorded for refresh policies');
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

  it('a pull killed halfway resumes from the bytes it already has', async () => {
    const layer = images.busybox.layers[0]!;
    const blob = path.join(registry.storageDir, 'docker/registry/v2/blobs/sha256', layer.digest.slice(7, 9), layer.digest.slice(7), 'data');
    const store = freshStore();
    // What an interrupted download leaves: the first half of the layer in the ingest area.
    const half = fs.readFileSync(blob).subarray(0, Math.floor(layer.size / 2));
    fs.writeFileSync(path.join(store.content.ingestDir, `${layer.digest.slice(7)}.partial`), half);
    const client = new RegistryClient();
    try {
      const progress: number[] = [];
      await pullImage(store, client, `${registry.host}/test/busybox:1`, {
        onEvent: (e) => {
          if (e.layer === layer.digest.slice(7, 19) && e.status === 'downloading' && e.current !== undefined) progress.push(e.current);
        },
      });
      assert.ok(progress.length > 0 && (progress[0] as number) > half.length, `resumed after ${half.length} bytes (first progress ${progress[0]})`);
      assert.ok(store.content.has(layer.digest));
      assert.deepEqual(fs.readdirSync(store.content.ingestDir), []);
    } finally {
      await client.close();
    }
  });

  it('pull, login, logout and image prune from the CLI', async () => {
    const project = path.join(tmp, 'pull-proj');
    fs.mkdirSync(project, { recursive: true });
    fs.writeFileSync(path.join(project, 'compose.yaml'), `services:\n  a:\n    image: ${registry.host}/test/busybox:1\n  b:\n    build: .\n  c:\n    image: ${registry.host}/nope/missing:1\n`);
    const state = path.join(tmp, 'pull-state');
    const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: os.homedir(), TSC_COMPOSE_ROOT: state, DOCKER_CONFIG: path.join(tmp, 'dockercfg') };
    const cli = (args: string[], input?: string) => spawnSync(process.execPath, [BIN, ...args], { cwd: project, encoding: 'utf8', env, input, timeout: 120_000 });
    const pulled = cli(['pull', 'a']);
    assert.equal(pulled.status, 0, pulled.stderr);
    // Not a terminal: one plain line per layer event.
    assert.match(pulled.stderr, /test\/busybox:1: Pulled/);
    assert.match(pulled.stderr, /: [a-f0-9]{12}: Waiting \(/);
    assert.match(pulled.stderr, /: [a-f0-9]{12}: Verifying Checksum \(.* in .*B\/s\)/);
    assert.match(pulled.stderr, /: [a-f0-9]{12}: Pull complete/);
    assert.doesNotMatch(cli(['pull', '-q', 'a']).stderr, /Pull/);
    assert.match(cli(['images']).stdout, /test\/busybox\s+1/);
    const failing = cli(['pull']);
    assert.notEqual(failing.status, 0);
    assert.match(failing.stderr, /nope\/missing:1.*not found/);
    assert.equal(cli(['pull', '--ignore-pull-failures']).status, 0);
    const login = cli(['login', '-u', 'bob', '--password-stdin', registry.host], 'pw\n');
    assert.equal(login.stdout, 'Login Succeeded\n', login.stderr);
    assert.deepEqual(new CredentialStore(path.join(tmp, 'dockercfg', 'config.json')).get(registry.host), { username: 'bob', password: 'pw' });
    assert.match(cli(['logout', registry.host]).stdout, /Removing login credentials/);
    const pruned = cli(['image', 'prune', '-a', '-f']);
    assert.equal(pruned.status, 0, pruned.stderr);
    assert.match(pruned.stdout, /Deleted images: 1/);
    assert.equal(cli(['images', '-q']).stdout, '');
  });

  it('`run` pulls a service image that is only in the registry, then runs it', async () => {
    const project = path.join(tmp, 'proj');
    fs.mkdirSync(project, { recursive: true });
    fs.writeFileSync(path.join(project, 'compose.yaml'), `services:\n  app:\n    image: ${registry.host}/test/busybox:1\n`);
    const state = path.join(tmp, 'cli-state');
    const r = spawnSync(process.execPath, [BIN, 'run', '--rm', '-T', 'app', 'echo', 'pulled-and-ran'], {
      cwd: project,
      encoding: 'utf8',
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: os.homedir(), TSC_COMPOSE_ROOT: state },
      timeout: 120_000,
    });
    try {
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, 'pulled-and-ran\n');
      assert.match(r.stderr, /Pulling/);
    } finally {
      // `run` started an engine in this state root (and a network): take both down.
      const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: os.homedir(), TSC_COMPOSE_ROOT: state };
      spawnSync(process.execPath, [BIN, 'down'], { cwd: project, env, timeout: 60_000 });
      spawnSync(process.execPath, [BIN, 'engine', 'stop'], { cwd: project, env, timeout: 60_000 });
      const runtime = new Runtime(stateLayout({ dataRoot: state, runRoot: path.join(state, 'run') }));
      for (const c of runtime.list()) await runtime.remove(c.id);
    }
  });
});

describe('whiteouts in a running container', () => {
  it('an upper layer that deletes a file hides it, and an opaque directory hides the lower content', async () => {
    const fx = await runtimeFixture();
    try {
      const pack = tar.pack();
      const chunks: Buffer[] = [];
      pack.on('data', (c: unknown) => {
        chunks.push(c as Buffer);
      });
      const ended = new Promise<void>((r) => pack.on('end', () => r()));
      pack.entry({ name: 'etc/.wh.group', mode: 0o644 }, '');
      pack.entry({ name: 'usr/', type: 'directory', mode: 0o755 });
      pack.entry({ name: 'usr/.wh..wh..opq', mode: 0o644 }, '');
      pack.entry({ name: 'usr/only-upper', mode: 0o644 }, 'u');
      pack.finalize();
      await ended;
      const upperTar = Buffer.concat(chunks);
      const { createHash } = await import('node:crypto');
      const diffId = `sha256:${createHash('sha256').update(upperTar).digest('hex')}`;
      const upperDir = await fx.images.unpackSnapshot(Readable.from([upperTar]), diffId, 'whiteout test layer');
      const config = fx.config(['sh', '-c', 'ls /etc; ls /usr'], { image: { reference: 'test', lowerDirs: [path.join(upperDir, 'fs'), ...fx.images.lowerDirs(fx.busybox)] } });
      await fx.runtime.start(config);
      await fx.runtime.wait(config.id);
      const out = logText(fx, config.id);
      assert.doesNotMatch(out, /^group$/m, 'etc/group is hidden');
      assert.match(out, /^passwd$/m, 'etc/passwd is still there');
      assert.match(out, /^only-upper$/m);
      assert.doesNotMatch(out, /^bin$/m, 'the lower usr/bin is hidden by the opaque directory');
    } finally {
      await fx.cleanup();
    }
  });
});
