import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { request } from 'undici';
import { CommandFailedError } from '../../support/test-images/exec.js';
import { ensureTestImages, type TestImages } from '../../support/test-images/images.js';
import { MEDIA_TYPE } from '../../support/test-images/oci-layout.js';
import { pushImage, startLocalRegistry, type LocalRegistry } from '../../support/test-images/registry.js';
import { serveTestImages } from '../../support/test-images/serve.js';

const ACCEPT = [MEDIA_TYPE.manifest, MEDIA_TYPE.index].join(', ');

let images: TestImages<'busybox' | 'busybox-multiarch' | 'redis'>;

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

async function get(url: string, headers: Record<string, string> = {}, method: 'GET' | 'HEAD' | 'POST' = 'GET') {
  const res = await request(url, { method, headers });
  const body = method === 'HEAD' ? Buffer.alloc(0) : Buffer.from(await res.body.arrayBuffer());
  if (method === 'HEAD') await res.body.dump();
  const header = (name: string): string => {
    const v = res.headers[name];
    return Array.isArray(v) ? v.join(', ') : (v ?? '');
  };
  return { status: res.statusCode, header, body };
}

function sha256(buf: Buffer): string {
  return `sha256:${createHash('sha256').update(buf).digest('hex')}`;
}

function connects(host: string): Promise<boolean> {
  const [address, port] = host.split(':');
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), address as string);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Processes whose command line mentions the registry's directory. */
function processesUsing(dir: string): number[] {
  const found: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(dir)) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

async function assertStoppedCleanly(registry: LocalRegistry): Promise<void> {
  const dir = registry.storageDir.replace(/\/storage$/, '');
  await registry.stop();
  assert.throws(() => process.kill(registry.pid, 0), { code: 'ESRCH' }, 'registry process gone');
  assert.equal(fs.existsSync(dir), false, 'temp dir removed');
  assert.equal(await connects(registry.host), false, 'port closed');
  assert.deepEqual(processesUsing(dir), []);
  await registry.stop(); // twice is fine
}

describe('local registry', () => {
  before(async () => {
    images = await ensureTestImages({ images: ['busybox', 'busybox-multiarch', 'redis'] });
  });

  describe('without auth', () => {
    let registry: LocalRegistry;
    before(async () => {
      registry = await startLocalRegistry();
    });
    after(() => registry?.stop());

    it('listens on 127.0.0.1 and answers /v2/', async () => {
      assert.match(registry.host, /^127\.0\.0\.1:\d+$/);
      assert.equal(registry.url, `http://${registry.host}`);
      const res = await get(`${registry.url}/v2/`);
      assert.equal(res.status, 200);
      assert.equal(res.header('docker-distribution-api-version'), 'registry/2.0');
    });

    it('serves a pushed image by tag and by digest, with its config and layers', async () => {
      const busybox = images.busybox;
      const pushed = await pushImage(busybox.layoutDir, registry.host, 'library/busybox:1.35');
      assert.equal(pushed, busybox.manifestDigest);
      const byTag = await get(`${registry.url}/v2/library/busybox/manifests/1.35`, { accept: ACCEPT });
      assert.equal(byTag.status, 200);
      assert.equal(byTag.header('content-type'), MEDIA_TYPE.manifest);
      assert.equal(byTag.header('docker-content-digest'), busybox.manifestDigest);
      assert.equal(sha256(byTag.body), busybox.manifestDigest, 'digests preserved: the very bytes of the layout');
      const byDigest = await get(`${registry.url}/v2/library/busybox/manifests/${busybox.manifestDigest}`, { accept: ACCEPT });
      assert.equal(byDigest.status, 200);
      assert.deepEqual(byDigest.body, byTag.body);

      const config = await get(`${registry.url}/v2/library/busybox/blobs/${busybox.configDigest}`);
      assert.equal(config.status, 200);
      assert.equal(sha256(config.body), busybox.configDigest);
      assert.deepEqual(JSON.parse(config.body.toString()).config.Cmd, ['sh']);
      const layer = busybox.layers[0];
      assert.ok(layer);
      const head = await get(`${registry.url}/v2/library/busybox/blobs/${layer.digest}`, {}, 'HEAD');
      assert.equal(head.status, 200);
      assert.equal(head.header('content-length'), String(layer.size));

      const missing = await get(`${registry.url}/v2/library/busybox/manifests/nope`, { accept: ACCEPT });
      assert.equal(missing.status, 404);
    });

    it('serves the multi-platform index with every platform\'s manifest', async () => {
      const multi = images['busybox-multiarch'];
      await pushImage(multi.layoutDir, registry.host, 'multi/busybox:latest');
      const index = await get(`${registry.url}/v2/multi/busybox/manifests/latest`, { accept: ACCEPT });
      assert.equal(index.status, 200);
      assert.equal(index.header('content-type'), MEDIA_TYPE.index);
      assert.equal(index.header('docker-content-digest'), multi.indexDigest);
      const parsed = JSON.parse(index.body.toString()) as { manifests: { digest: string; platform: { architecture: string } }[] };
      assert.deepEqual(
        parsed.manifests.map((m) => m.digest),
        multi.manifests.map((m) => m.digest),
      );
      for (const m of multi.manifests) {
        const res = await get(`${registry.url}/v2/multi/busybox/manifests/${m.digest}`, { accept: ACCEPT });
        assert.equal(res.status, 200, m.platform.architecture);
      }
    });

    it('takes an image with the shared base layer under another name', async () => {
      const pushed = await pushImage(images.redis.layoutDir, registry.host, 'library/redis:7');
      assert.equal(pushed, images.redis.manifestDigest);
      const catalog = await get(`${registry.url}/v2/_catalog`);
      assert.deepEqual((JSON.parse(catalog.body.toString()) as { repositories: string[] }).repositories.sort(), [
        'library/busybox',
        'library/redis',
        'multi/busybox',
      ]);
    });
  });

  it('stops completely: process, port and files', async () => {
    const registry = await startLocalRegistry();
    assert.ok(fs.existsSync(registry.storageDir));
    await assertStoppedCleanly(registry);
  });

  it('runs several at once on different ports', async () => {
    const [a, b] = await Promise.all([startLocalRegistry(), startLocalRegistry()]);
    try {
      assert.notEqual(a.host, b.host);
      assert.equal((await get(`${a.url}/v2/`)).status, 200);
      assert.equal((await get(`${b.url}/v2/`)).status, 200);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('listens on a given port, and says so when that port is taken', async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const registry = await startLocalRegistry({ port });
    try {
      assert.equal(registry.host, `127.0.0.1:${port}`);
      await assert.rejects(startLocalRegistry({ port }), /address already in use/);
    } finally {
      await assertStoppedCleanly(registry);
    }
  });

  describe('with basic auth', () => {
    let registry: LocalRegistry;
    const creds = { user: 'tester', password: 'pa55 word:with colon' };
    before(async () => {
      registry = await startLocalRegistry({ auth: creds });
    });
    after(() => registry?.stop());

    it('rejects anonymous and wrong credentials with a Basic challenge, accepts the right ones', async () => {
      const anonymous = await get(`${registry.url}/v2/`);
      assert.equal(anonymous.status, 401);
      assert.match(anonymous.header('www-authenticate'), /^Basic realm="[^"]+"/);
      assert.equal((await get(`${registry.url}/v2/`, { authorization: basic(creds.user, 'wrong') })).status, 401);
      assert.equal((await get(`${registry.url}/v2/`, { authorization: basic(creds.user, creds.password) })).status, 200);
    });

    it('takes a push only with the credentials, then serves it only with them', async () => {
      await assert.rejects(pushImage(images.busybox.layoutDir, registry.host, 'private/busybox:1'), CommandFailedError);
      await pushImage(images.busybox.layoutDir, registry.host, 'private/busybox:1', { credentials: creds });
      const url = `${registry.url}/v2/private/busybox/manifests/1`;
      assert.equal((await get(url, { accept: ACCEPT })).status, 401);
      const ok = await get(url, { accept: ACCEPT, authorization: basic(creds.user, creds.password) });
      assert.equal(ok.status, 200);
      assert.equal(ok.header('docker-content-digest'), images.busybox.manifestDigest);
    });

    it('stops completely', async () => {
      await assertStoppedCleanly(registry);
    });
  });

  describe('with token auth', () => {
    let registry: LocalRegistry;
    const creds = { user: 'tokenuser', password: 's3cret' };
    before(async () => {
      registry = await startLocalRegistry({ auth: { ...creds, mode: 'token' } });
      await pushImage(images.busybox.layoutDir, registry.host, 'library/busybox:1', { credentials: creds });
    });
    after(() => registry?.stop());

    async function token(scope: string, authorization?: string): Promise<{ status: number; token?: string; claims?: { access: { name: string; actions: string[] }[]; sub: string } }> {
      const realm = registry.token?.realm as string;
      const url = `${realm}?service=${encodeURIComponent(registry.token?.service as string)}&scope=${encodeURIComponent(scope)}`;
      const res = await get(url, authorization ? { authorization } : {});
      if (res.status !== 200) return { status: res.status };
      const { token: t } = JSON.parse(res.body.toString()) as { token: string };
      const claims = JSON.parse(Buffer.from(t.split('.')[1] as string, 'base64url').toString());
      return { status: 200, token: t, claims };
    }

    it('challenges with a Bearer realm, service and scope', async () => {
      const res = await get(`${registry.url}/v2/library/busybox/manifests/1`, { accept: ACCEPT });
      assert.equal(res.status, 401);
      const challenge = res.header('www-authenticate');
      assert.match(challenge, /^Bearer /);
      assert.ok(challenge.includes(`realm="${registry.token?.realm}"`), challenge);
      assert.ok(challenge.includes(`service="${registry.token?.service}"`), challenge);
      assert.ok(challenge.includes('scope="repository:library/busybox:pull"'), challenge);
    });

    it('issues tokens for the credentials that the registry honours; refuses anonymous and wrong ones', async () => {
      assert.equal((await token('repository:library/busybox:pull')).status, 401);
      assert.equal((await token('repository:library/busybox:pull', basic(creds.user, 'nope'))).status, 401);
      const granted = await token('repository:library/busybox:pull', basic(creds.user, creds.password));
      assert.equal(granted.status, 200);
      assert.deepEqual(granted.claims?.access, [{ type: 'repository', name: 'library/busybox', actions: ['pull'] }]);
      const res = await get(`${registry.url}/v2/library/busybox/manifests/1`, { accept: ACCEPT, authorization: `Bearer ${granted.token}` });
      assert.equal(res.status, 200);
      assert.equal(res.header('docker-content-digest'), images.busybox.manifestDigest);
      const forged = `${granted.token?.slice(0, -4)}AAAA`;
      assert.equal((await get(`${registry.url}/v2/library/busybox/manifests/1`, { accept: ACCEPT, authorization: `Bearer ${forged}` })).status, 401);
      const seen = registry.token?.requests ?? [];
      assert.ok(seen.some((r) => r.granted && r.user === creds.user && r.scope.includes('repository:library/busybox:pull')));
      assert.ok(seen.some((r) => !r.granted && r.user === undefined));
    });

    it('stops completely, token server included', async () => {
      const realm = registry.token?.realm as string;
      await assertStoppedCleanly(registry);
      assert.equal(await connects(new URL(realm).host), false);
    });
  });

  it('token auth with anonymous pull: anyone gets pull tokens, only the user may push', async () => {
    const creds = { user: 'owner', password: 'pw' };
    const registry = await startLocalRegistry({ auth: { ...creds, mode: 'token', anonymousPull: true } });
    try {
      await pushImage(images.busybox.layoutDir, registry.host, 'open/busybox:1', { credentials: creds });
      const realm = registry.token?.realm as string;
      const service = encodeURIComponent(registry.token?.service as string);
      const res = await get(`${realm}?service=${service}&scope=${encodeURIComponent('repository:open/busybox:pull,push')}`);
      assert.equal(res.status, 200);
      const anonToken = (JSON.parse(res.body.toString()) as { token: string }).token;
      const claims = JSON.parse(Buffer.from(anonToken.split('.')[1] as string, 'base64url').toString()) as { access: { actions: string[] }[] };
      assert.deepEqual(claims.access[0]?.actions, ['pull']);
      const auth = { authorization: `Bearer ${anonToken}` };
      assert.equal((await get(`${registry.url}/v2/open/busybox/manifests/1`, { accept: ACCEPT, ...auth })).status, 200);
      assert.equal((await get(`${registry.url}/v2/open/busybox/blobs/uploads/`, auth, 'POST')).status, 401);
    } finally {
      await assertStoppedCleanly(registry);
    }
  });
});

describe('serveTestImages', () => {
  it('pushes the images under Docker Hub names and stops its registry', async () => {
    const served = await serveTestImages({ images: ['busybox', 'redis'], log: () => undefined });
    try {
      assert.deepEqual(Object.keys(served.refs).sort(), ['busybox', 'redis']);
      assert.equal(served.refs.redis, `${served.registry.host}/library/redis:7`);
      assert.equal(served.digests.redis, served.images.redis.manifestDigest);
      const res = await get(`${served.registry.url}/v2/library/busybox/manifests/latest`, { accept: ACCEPT });
      assert.equal(res.header('docker-content-digest'), served.images.busybox.manifestDigest);
    } finally {
      await served.stop();
    }
    assert.throws(() => process.kill(served.registry.pid, 0), { code: 'ESRCH' });
  });
});
