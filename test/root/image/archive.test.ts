/**
 * `image save` / `image load`: a save → load round trip keeps the manifest
 * digest and the archive reads back with skopeo (docker-archive: and
 * oci-archive:); archives made by `skopeo copy … docker-archive:` and OCI
 * layout directories load; malicious archives (a layer entry escaping its
 * directory, a blob that does not hash to its name, an archive entry with
 * `..`) are refused with nothing committed to the store.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import * as zlib from 'node:zlib';
import * as tar from 'tar-stream';
import { ensureTestImages } from '../../support/test-images/images.js';
import type { TestImages } from '../../support/test-images/images.js';
import { pushImage, startLocalRegistry } from '../../support/test-images/registry.js';
import type { LocalRegistry } from '../../support/test-images/registry.js';
import { ImageStore } from '../../../src/image/store/image-store.js';
import { RegistryClient } from '../../../src/image/registry/client.js';
import { pullImage } from '../../../src/image/pull.js';
import { loadImages } from '../../../src/image/archive/load.js';
import { saveImagesToFile } from '../../../src/image/archive/save.js';
import { BIN } from '../../support/paths.js';

let images: TestImages<'busybox'>;
let registry: LocalRegistry;
let tmp: string;
let n = 0;
const freshStore = (): ImageStore => new ImageStore(path.join(tmp, `store-${n++}`));
const sha = (data: Buffer | string): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;

async function tarOf(entries: Array<{ name: string; data?: Buffer | string; type?: tar.Header['type']; linkname?: string }>): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => {
    chunks.push(c as Buffer);
  });
  const ended = new Promise<void>((r) => pack.on('end', () => r()));
  for (const e of entries) {
    const header = { name: e.name, mode: 0o644, type: e.type ?? 'file', ...(e.linkname ? { linkname: e.linkname } : {}) } as tar.Header;
    if (e.data !== undefined) pack.entry(header, e.data);
    else pack.entry(header);
  }
  pack.finalize();
  await ended;
  return Buffer.concat(chunks);
}

/** A one-image docker save archive (classic layout) around these layer tars. */
async function dockerSaveArchive(layers: Buffer[], repoTag: string): Promise<Buffer> {
  const config = JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: layers.map((l) => sha(l)) } });
  const configName = `${sha(config).slice(7)}.json`;
  const manifest = JSON.stringify([{ Config: configName, RepoTags: [repoTag], Layers: layers.map((_, i) => `layer${i}/layer.tar`) }]);
  return tarOf([{ name: configName, data: config }, ...layers.map((l, i) => ({ name: `layer${i}/layer.tar`, data: l })), { name: 'manifest.json', data: manifest }]);
}

function assertStoreEmpty(store: ImageStore): void {
  assert.deepEqual(store.list(), []);
  assert.deepEqual(store.content.list(), [], 'no blob committed');
  assert.deepEqual(fs.readdirSync(store.snapshotsDir), [], 'no snapshot left');
  const staging = path.join(store.root, 'tmp');
  assert.deepEqual(fs.existsSync(staging) ? fs.readdirSync(staging) : [], [], 'no staging left');
}

describe('image save and load', { timeout: 10 * 60_000 }, () => {
  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsc-archive-'));
    images = await ensureTestImages({ images: ['busybox'], log: () => undefined });
    registry = await startLocalRegistry();
    await pushImage(images.busybox.layoutDir, registry.host, 'test/busybox:1');
  });
  after(async () => {
    await registry?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('save → load round trip keeps the manifest; skopeo reads the archive both ways', async () => {
    const source = freshStore();
    const client = new RegistryClient();
    try {
      await pullImage(source, client, `${registry.host}/test/busybox:1`);
    } finally {
      await client.close();
    }
    const archive = path.join(tmp, 'busybox.tar');
    await saveImagesToFile(source, [`${registry.host}/test/busybox:1`], archive);
    const listing = spawnSync('tar', ['-tf', archive], { encoding: 'utf8' }).stdout.split('\n');
    for (const name of ['manifest.json', 'index.json', 'oci-layout', `blobs/sha256/${images.busybox.manifestDigest.slice(7)}`]) assert.ok(listing.includes(name), `${name} in the archive`);

    const target = freshStore();
    const loaded = await loadImages(target, { path: archive });
    assert.deepEqual(loaded.map((l) => l.reference), [`${registry.host}/test/busybox:1`]);
    assert.equal(loaded[0]?.record.manifestDigest, images.busybox.manifestDigest);
    assert.ok(fs.existsSync(path.join(target.lowerDirs(loaded[0].record)[0] as string, 'bin', 'busybox')));
    // Loading again changes nothing and needs no unpack.
    const again = await loadImages(target, { path: archive });
    assert.equal(again[0]?.record.manifestDigest, images.busybox.manifestDigest);

    for (const transport of ['docker-archive', 'oci-archive']) {
      const out = path.join(tmp, `skopeo-${transport}`);
      const r = spawnSync('skopeo', ['--insecure-policy', 'copy', '--quiet', `${transport}:${archive}`, `oci:${out}:x`], { encoding: 'utf8' });
      assert.equal(r.status, 0, `skopeo ${transport}: ${r.stderr}`);
      const index = JSON.parse(fs.readFileSync(path.join(out, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
      const blob = (digest: string): string => fs.readFileSync(path.join(out, 'blobs/sha256', digest.slice(7)), 'utf8');
      const manifest = JSON.parse(blob(index.manifests[0]!.digest)) as { config: { digest: string } };
      const config = JSON.parse(blob(manifest.config.digest)) as { rootfs: { diff_ids: string[] }; config: { Cmd: string[] } };
      assert.deepEqual(config.rootfs.diff_ids, images.busybox.layers.map((l) => l.diffId), `${transport}: same layers`);
      assert.deepEqual(config.config.Cmd, images.busybox.config.Cmd);
      // docker-archive: goes through Docker's manifest and config format, so only the OCI reader keeps the bytes.
      if (transport === 'oci-archive') assert.equal(index.manifests[0]!.digest, images.busybox.manifestDigest);
    }
  });

  it('loads an archive made by skopeo docker-archive:, an OCI layout directory and a gzipped stream', async () => {
    const archive = path.join(tmp, 'skopeo.tar');
    const r = spawnSync('skopeo', ['--insecure-policy', 'copy', '--quiet', `oci:${images.busybox.layoutDir}:latest`, `docker-archive:${archive}:example.com/team/busybox:7`], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const store = freshStore();
    const loaded = await loadImages(store, { path: archive });
    assert.deepEqual(loaded.map((l) => l.reference), ['example.com/team/busybox:7']);
    const record = loaded[0]!.record;
    assert.equal(record.configDigest, images.busybox.configDigest);
    assert.deepEqual(record.diffIds, images.busybox.layers.map((l) => l.diffId));
    assert.deepEqual(store.config(record).config?.Cmd, images.busybox.config.Cmd);

    // The harness layout names its image by tag only: the repository comes from --name.
    await assert.rejects(loadImages(freshStore(), { path: images.busybox.layoutDir }), /no name in the archive.*--name/);
    const fromDir = await loadImages(store, { path: images.busybox.layoutDir }, { name: 'local/busybox' });
    assert.deepEqual(fromDir.map((l) => l.reference), ['local/busybox:latest']);
    assert.equal(fromDir[0]?.record.manifestDigest, images.busybox.manifestDigest);

    const gz = path.join(tmp, 'skopeo.tar.gz');
    fs.writeFileSync(gz, zlib.gzipSync(fs.readFileSync(archive)));
    const viaStream = await loadImages(freshStore(), { stream: fs.createReadStream(gz) });
    assert.equal(viaStream[0]?.record.configDigest, images.busybox.configDigest);
  });

  it('image save / image load through the CLI, also through stdin', () => {
    const state = path.join(tmp, 'cli-state');
    const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: os.homedir(), TSC_COMPOSE_ROOT: state };
    const cli = (args: string[], input?: Buffer) => spawnSync(process.execPath, [BIN, ...args], { env, input, timeout: 120_000, maxBuffer: 256 << 20 });
    const archive = path.join(tmp, 'skopeo.tar');
    const load = cli(['image', 'load', '-i', archive]);
    assert.equal(load.status, 0, load.stderr.toString());
    assert.equal(load.stdout.toString(), 'Loaded image: example.com/team/busybox:7\n');
    const saved = cli(['image', 'save', 'example.com/team/busybox:7']);
    assert.equal(saved.status, 0, saved.stderr.toString());
    assert.equal(cli(['image', 'rm', 'example.com/team/busybox:7']).status, 0);
    const fromStdin = cli(['image', 'load', '-q'], saved.stdout);
    assert.equal(fromStdin.status, 0, fromStdin.stderr.toString());
    assert.equal(fromStdin.stdout.toString(), 'Loaded image: example.com/team/busybox:7\n');
    const out = path.join(tmp, 'cli-saved.tar');
    assert.equal(cli(['image', 'save', '-o', out, 'example.com/team/busybox:7']).status, 0);
    assert.ok(fs.statSync(out).size > 100_000);
    assert.match(cli(['image', 'ls']).stdout.toString(), /example\.com\/team\/busybox\s+7/);
  });

  it('a layer entry escaping its directory is refused; nothing is committed, not even the good layer before it', async () => {
    const good = await tarOf([{ name: 'ok.txt', data: 'fine' }]);
    const evil = await tarOf([{ name: '../../../../tmp/tsc-archive-escape', data: 'pwned' }]);
    const file = path.join(tmp, 'evil-traversal.tar');
    fs.writeFileSync(file, await dockerSaveArchive([good, evil], 'evil/traversal:1'));
    const store = freshStore();
    await assert.rejects(loadImages(store, { path: file }), (err: Error) => {
      assert.match(err.message, /image evil\/traversal:1 layer sha256:[a-f0-9]{64}: entry "\.\.\/\.\.\/\.\.\/\.\.\/tmp\/tsc-archive-escape": path traversal/);
      return true;
    });
    assert.equal(fs.existsSync('/tmp/tsc-archive-escape'), false);
    assertStoreEmpty(store);

    const link = await tarOf([{ name: 'etc', type: 'symlink', linkname: '/etc' }, { name: 'etc/tsc-archive-escape', data: 'x' }]);
    fs.writeFileSync(file, await dockerSaveArchive([link], 'evil/symlink:1'));
    await assert.rejects(loadImages(store, { path: file }), /parent "etc" is a symlink/);
    assert.equal(fs.existsSync('/etc/tsc-archive-escape'), false);
    assertStoreEmpty(store);
  });

  it('a blob that does not hash to its name is refused; nothing is committed', async () => {
    // An OCI layout whose layer blob was altered after the manifest named it.
    const layer = zlib.gzipSync(await tarOf([{ name: 'a.txt', data: 'original' }]));
    const diffId = sha(zlib.gunzipSync(layer));
    const config = JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [diffId] } });
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha(layer), size: layer.length }],
    });
    const index = JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha(manifest), size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': 'evil/blob:1' } }] });
    const tampered = Buffer.from(layer);
    tampered.writeUInt8(tampered.readUInt8(tampered.length - 5) ^ 0xff, tampered.length - 5);
    const blobs = (layerBytes: Buffer) => [
      { name: 'oci-layout', data: '{"imageLayoutVersion":"1.0.0"}' },
      { name: 'index.json', data: index },
      { name: `blobs/sha256/${sha(manifest).slice(7)}`, data: manifest },
      { name: `blobs/sha256/${sha(config).slice(7)}`, data: config },
      { name: `blobs/sha256/${sha(layer).slice(7)}`, data: layerBytes },
    ];
    const file = path.join(tmp, 'evil-digest.tar');
    fs.writeFileSync(file, await tarOf(blobs(tampered)));
    const store = freshStore();
    await assert.rejects(loadImages(store, { path: file }), /digest mismatch: expected sha256:[a-f0-9]{64}, got sha256:/);
    assertStoreEmpty(store);

    // The same archive untampered loads: the test archive itself is well formed.
    fs.writeFileSync(file, await tarOf(blobs(layer)));
    const loaded = await loadImages(store, { path: file });
    assert.deepEqual(loaded.map((l) => l.reference), ['evil/blob:1']);

    // An archive entry that climbs out of the archive is refused before anything is read.
    fs.writeFileSync(file, await tarOf([{ name: '../manifest.json', data: '[]' }]));
    const other = freshStore();
    await assert.rejects(loadImages(other, { path: file }), /"\.\.\/manifest\.json": path traversal outside the archive/);
    assertStoreEmpty(other);
  });
});
