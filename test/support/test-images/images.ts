/**
 * Test images built from Debian packages, as OCI image layouts, cached on the
 * machine outside the repository and keyed by their recipe, so that only the
 * first run pays for debootstrap and apt.
 *
 *   busybox            busybox-static, one layer
 *   busybox-multiarch  an image index: the busybox image for this machine plus a fake other-architecture one
 *   debian             bookworm `debootstrap --variant=minbase`, one layer
 *   postgres, redis, node   the debian layer (same blob) plus one layer each
 *
 * Cache: $TSC_COMPOSE_TEST_IMAGE_CACHE or /var/cache/tsc-compose-test-images,
 * one directory `<name>-<key>` per image holding `layout/` (the OCI layout,
 * tag "latest") and `image.json` (what ensureTestImages returns).
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { run, withParentDeathSignal } from './exec.js';
import { aptSources, candidateVersions, deb822Sources, debianArchitecture, debianMirrors, ociPlatform, type AptSource } from './host.js';
import { diffEntries, snapshotTree, treeEntries, writeLayer, type LayerEntry } from './layer.js';
import {
  MEDIA_TYPE,
  OciLayoutWriter,
  REF_NAME_ANNOTATION,
  sha256Hex,
  type Descriptor,
  type ImageConfig,
  type ImageConfigSection,
  type ImageIndex,
  type ImageManifest,
  type Platform,
} from './oci-layout.js';
import { ensureHarnessPrerequisites } from './prereqs.js';
import { APP_RECIPES, BUSYBOX, DEBIAN_CONFIG, DEBIAN_FILES, DEBIAN_UPGRADE_SCRIPT, DEBIAN_KEY_PACKAGES, DEBIAN_SUITE, LABEL_PREFIX, SYNTHETIC_MTIME, type AppRecipe } from './recipes.js';

/** Bump when the way layouts are written changes, to invalidate every cached image. */
const LAYOUT_FORMAT = 1;

export const DEFAULT_CACHE_DIR = '/var/cache/tsc-compose-test-images';
export const CACHE_ENV = 'TSC_COMPOSE_TEST_IMAGE_CACHE';
/** The name every layout gives its image in index.json (skopeo: `oci:DIR:latest`). */
export const LAYOUT_TAG = 'latest';

export type SingleImageName = 'busybox' | 'debian' | 'postgres' | 'redis' | 'node';
export type TestImageName = SingleImageName | 'busybox-multiarch';
export const ALL_TEST_IMAGES: readonly TestImageName[] = ['busybox', 'busybox-multiarch', 'debian', 'postgres', 'redis', 'node'];

export interface LayerInfo {
  mediaType: string;
  /** Compressed blob digest. */
  digest: string;
  size: number;
  /** Digest of the uncompressed tar. */
  diffId: string;
}

export interface TestImage {
  name: SingleImageName;
  /** OCI image layout directory (read-only: shared by every user of the cache). */
  layoutDir: string;
  /** Name of the image inside the layout (`oci:${layoutDir}:${tag}`). */
  tag: string;
  manifestDigest: string;
  manifestSize: number;
  configDigest: string;
  layers: LayerInfo[];
  platform: Platform;
  config: ImageConfigSection;
  /** Debian package → version installed in the image's own layer. */
  packages: Record<string, string>;
  cacheKey: string;
}

export interface MultiPlatformTestImage {
  name: 'busybox-multiarch';
  layoutDir: string;
  tag: string;
  /** The image index. */
  indexDigest: string;
  indexSize: number;
  /** One per platform; the first is this machine's (the busybox image, same manifest digest). */
  manifests: { platform: Platform; digest: string; size: number; configDigest: string; layers: LayerInfo[] }[];
  cacheKey: string;
}

type ImageOf<N extends TestImageName> = N extends 'busybox-multiarch' ? MultiPlatformTestImage : TestImage;
export type TestImages<N extends TestImageName> = { [K in N]: ImageOf<K> } & { cacheDir: string };

export interface EnsureTestImagesOptions<N extends TestImageName> {
  /** Which images (default: all). Images they build on are built too but only these are returned. */
  images?: readonly N[];
  cacheDir?: string;
  /** Progress lines; default stderr. */
  log?: (line: string) => void;
  /** Ignore cached images of the current recipes and build them again. */
  rebuild?: boolean;
  /** Skip installing missing Debian packages (they must be there). */
  skipPrerequisites?: boolean;
}

export function testImageCacheDir(override?: string): string {
  return override ?? process.env[CACHE_ENV] ?? DEFAULT_CACHE_DIR;
}

/** Where rootfs.sh lives: next to this module in the repository (dist/ holds only the compiled JS). */
function harnessScriptDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  if (fs.existsSync(path.join(here, 'rootfs.sh'))) return here;
  return path.resolve(here, '../../../../test/support/test-images');
}

const DEPENDS: Record<TestImageName, TestImageName[]> = {
  busybox: [],
  'busybox-multiarch': ['busybox'],
  debian: [],
  postgres: ['debian'],
  redis: ['debian'],
  node: ['debian'],
};

function withDependencies(names: readonly TestImageName[]): TestImageName[] {
  const out = new Set<TestImageName>();
  const add = (n: TestImageName): void => {
    for (const d of DEPENDS[n]) add(d);
    out.add(n);
  };
  names.forEach(add);
  return ALL_TEST_IMAGES.filter((n) => out.has(n));
}

function shortHash(value: unknown): string {
  return sha256Hex(JSON.stringify(value)).slice(0, 16);
}

function formatBytes(n: number): string {
  return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : `${(n / 1024).toFixed(0)} KiB`;
}

function elapsed(since: number): string {
  return `${((performance.now() - since) / 1000).toFixed(1)} s`;
}

interface BuildContext {
  cacheDir: string;
  workDir: string;
  scriptDir: string;
  log: (line: string) => void;
  debianArch: string;
  platform: Platform;
  mirrors: () => Promise<{ mirrors: ReturnType<typeof debianMirrors>; versions: Record<string, string> }>;
  /** See hostAptConfig. */
  hostAptConfig?: Promise<string>;
}

// ---------------------------------------------------------------------------
// Cache keys

async function cacheKeys(names: TestImageName[], ctx: BuildContext): Promise<Record<TestImageName, string>> {
  const keys = {} as Record<TestImageName, string>;
  const busyboxBinary = fs.readFileSync('/bin/busybox');
  for (const name of names) {
    switch (name) {
      case 'busybox':
        keys[name] = shortHash([LAYOUT_FORMAT, name, ctx.debianArch, BUSYBOX, sha256Hex(busyboxBinary)]);
        break;
      case 'busybox-multiarch':
        keys[name] = shortHash([LAYOUT_FORMAT, name, keys.busybox]);
        break;
      case 'debian': {
        const { mirrors, versions } = await ctx.mirrors();
        const debootstrap = (await run(['dpkg-query', '-W', '-f=${Version}', 'debootstrap'])).stdout;
        const script = fs.readFileSync(path.join(ctx.scriptDir, 'rootfs.sh'), 'utf8');
        const pinned = DEBIAN_KEY_PACKAGES.map((p) => `${p}=${versions[p]}`);
        keys[name] = shortHash([LAYOUT_FORMAT, name, ctx.debianArch, DEBIAN_SUITE, mirrors, debootstrap, script, DEBIAN_FILES, DEBIAN_UPGRADE_SCRIPT, DEBIAN_CONFIG, pinned]);
        break;
      }
      case 'postgres':
      case 'redis':
      case 'node': {
        const recipe = APP_RECIPES[name];
        const { versions } = await ctx.mirrors();
        const pinned = recipe.packages.map((p) => `${p}=${versions[p]}`);
        keys[name] = shortHash([LAYOUT_FORMAT, keys.debian, recipe, pinned]);
      }
    }
  }
  return keys;
}

/**
 * candidateVersions, remembered in the cache directory until apt's package
 * lists or the question change: apt-cache takes most of a second.
 */
async function rememberedCandidateVersions(cacheDir: string, packages: string[], sources: AptSource[]): Promise<Record<string, string>> {
  const listsDir = '/var/lib/apt/lists';
  const lists = fs.existsSync(listsDir)
    ? fs
        .readdirSync(listsDir, { withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => {
          const st = fs.statSync(path.join(listsDir, e.name));
          return [e.name, st.size, st.mtimeMs];
        })
        .sort()
    : [];
  const stamp = sha256Hex(JSON.stringify([lists, packages, sources]));
  const memo = path.join(cacheDir, '.apt-versions.json');
  try {
    const saved = JSON.parse(fs.readFileSync(memo, 'utf8')) as { stamp: string; versions: Record<string, string> };
    if (saved.stamp === stamp) return saved.versions;
  } catch {
    // none yet
  }
  const versions = await candidateVersions(packages, sources);
  const tmp = `${memo}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify({ stamp, versions }));
  fs.renameSync(tmp, memo);
  return versions;
}

// ---------------------------------------------------------------------------
// Cache entries

function entryDir(cacheDir: string, name: TestImageName, key: string): string {
  return path.join(cacheDir, `${name}-${key}`);
}

/** A cached image if it is complete: its metadata is there and every blob has its size. */
function readCached<N extends TestImageName>(cacheDir: string, name: N, key: string): ImageOf<N> | undefined {
  const dir = entryDir(cacheDir, name, key);
  let image: TestImage | MultiPlatformTestImage;
  try {
    image = JSON.parse(fs.readFileSync(path.join(dir, 'image.json'), 'utf8')) as TestImage | MultiPlatformTestImage;
  } catch {
    return undefined;
  }
  const layoutDir = path.join(dir, 'layout');
  const blobs: { digest: string; size: number }[] = [];
  if (image.name === 'busybox-multiarch') {
    blobs.push({ digest: image.indexDigest, size: image.indexSize });
    for (const m of image.manifests) blobs.push(m, ...m.layers);
  } else {
    blobs.push({ digest: image.manifestDigest, size: image.manifestSize }, ...image.layers);
  }
  for (const b of blobs) {
    try {
      if (fs.statSync(path.join(layoutDir, 'blobs', 'sha256', b.digest.slice(7))).size !== b.size) return undefined;
    } catch {
      return undefined;
    }
  }
  // Last use, for pruning (commitEntry).
  try {
    const now = new Date();
    fs.utimesSync(path.join(dir, 'image.json'), now, now);
  } catch {
    // a read-only cache is fine
  }
  // The cache may have moved since image.json was written.
  return { ...image, layoutDir } as ImageOf<N>;
}

/**
 * Builds of other recipes are kept this long after their last use: another
 * checkout (a CI clone of an older commit) may share the cache and use them.
 */
const UNUSED_ENTRY_LIFETIME_MS = 2 * 24 * 3600_000;

/** Moves a finished build into the cache, atomically; builds of the same image unused for a while are removed. */
function commitEntry(cacheDir: string, name: TestImageName, key: string, staged: string, image: TestImage | MultiPlatformTestImage): void {
  const final = entryDir(cacheDir, name, key);
  image.layoutDir = path.join(final, 'layout');
  fs.writeFileSync(path.join(staged, 'image.json'), JSON.stringify(image, null, 2) + '\n');
  fs.rmSync(final, { recursive: true, force: true });
  fs.renameSync(staged, final);
  for (const other of fs.readdirSync(cacheDir)) {
    if (!other.startsWith(`${name}-`) || other === path.basename(final) || !/^[0-9a-f]{16}$/.test(other.slice(name.length + 1))) continue;
    let lastUse = 0;
    try {
      lastUse = fs.statSync(path.join(cacheDir, other, 'image.json')).mtimeMs;
    } catch {
      // incomplete: unused
    }
    if (Date.now() - lastUse > UNUSED_ENTRY_LIFETIME_MS) fs.rmSync(path.join(cacheDir, other), { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------
// Cross-process lock: parallel test files may all ask for images at once.

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function acquireLock(cacheDir: string, log: (line: string) => void, timeoutMs = 30 * 60_000): Promise<() => void> {
  const lockFile = path.join(cacheDir, '.build.lock');
  const deadline = Date.now() + timeoutMs;
  let told = false;
  for (;;) {
    try {
      const fd = fs.openSync(lockFile, 'wx');
      fs.writeSync(fd, `${process.pid}\n`);
      fs.closeSync(fd);
      return () => fs.rmSync(lockFile, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = Number.parseInt(fs.readFileSync(lockFile, 'utf8').trim() || '0', 10);
    if (holder > 0 && !pidAlive(holder)) {
      fs.rmSync(lockFile, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${lockFile} (held by pid ${holder})`);
    if (!told) log(`waiting for another test-image build (pid ${holder})`);
    told = true;
    await sleep(250);
  }
}

/** Work directories of builds whose process is gone (killed mid-build). */
function removeStaleWorkDirs(cacheDir: string): void {
  for (const name of fs.readdirSync(cacheDir)) {
    const m = /^\.work-(\d+)-/.exec(name);
    if (m && !pidAlive(Number(m[1]))) removeTree(path.join(cacheDir, name));
  }
}

/** rm -rf that refuses to descend into a tree with something mounted in it. */
function removeTree(dir: string): void {
  const resolved = path.resolve(dir);
  const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '');
  const inside = mounts.find((m) => m === resolved || m.startsWith(`${resolved}/`));
  if (inside) throw new Error(`not removing ${resolved}: ${inside} is mounted inside it`);
  fs.rmSync(resolved, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------
// Building

function history(createdBy: string, created: string): NonNullable<ImageConfig['history']>[number] {
  return { created, created_by: createdBy, comment: 'tsc-compose test harness' };
}

interface Written {
  manifest: Descriptor;
  config: Descriptor;
  layers: LayerInfo[];
}

function writeImage(
  layout: OciLayoutWriter,
  platform: Platform,
  created: string,
  section: ImageConfigSection,
  layers: { layer: LayerInfo; createdBy: string }[],
): Written {
  const config: ImageConfig = {
    created,
    ...platform,
    config: section,
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.layer.diffId) },
    history: layers.map((l) => history(l.createdBy, created)),
  };
  const configDesc = layout.putJson(MEDIA_TYPE.config, config);
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.manifest,
    config: configDesc,
    layers: layers.map(({ layer }) => ({ mediaType: layer.mediaType, digest: layer.digest, size: layer.size })),
  };
  const manifestDesc = layout.putJson(MEDIA_TYPE.manifest, manifest);
  return { manifest: manifestDesc, config: configDesc, layers: layers.map((l) => l.layer) };
}

async function writeLayerInto(layout: OciLayoutWriter, entries: Iterable<LayerEntry> | AsyncIterable<LayerEntry>): Promise<LayerInfo> {
  const tmp = layout.temporaryBlobPath();
  try {
    const written = await writeLayer(entries, tmp);
    layout.commitBlob(tmp, written.digest);
    return { mediaType: MEDIA_TYPE.layerGzip, digest: written.digest, size: written.size, diffId: written.diffId };
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

function labels(name: string, key: string, version: string | undefined, packages: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {
    'org.opencontainers.image.title': name,
    'org.opencontainers.image.description': `tsc-compose test image (${name}), built from Debian packages`,
    [`${LABEL_PREFIX}.recipe`]: key,
  };
  if (version) out['org.opencontainers.image.version'] = version;
  const pkgs = Object.entries(packages).map(([p, v]) => `${p}=${v}`);
  if (pkgs.length) out[`${LABEL_PREFIX}.packages`] = pkgs.join(' ');
  return out;
}

function* busyboxEntries(applets: string[]): Generator<LayerEntry> {
  const root = { uid: 0, gid: 0, mtime: SYNTHETIC_MTIME };
  const dir = (p: string, mode = 0o755): LayerEntry => ({ ...root, path: p, type: 'directory', mode });
  const file = (p: string, content: Buffer | string, mode = 0o644): LayerEntry => ({
    ...root,
    path: p,
    type: 'file',
    mode,
    content: typeof content === 'string' ? Buffer.from(content) : content,
  });
  yield dir('bin');
  yield file('bin/busybox', fs.readFileSync('/bin/busybox'), 0o755);
  for (const applet of applets) yield { ...root, path: `bin/${applet}`, type: 'symlink', mode: 0o777, linkname: 'busybox' };
  yield dir('dev');
  yield dir('etc');
  yield file('etc/group', BUSYBOX.group);
  yield file('etc/passwd', BUSYBOX.passwd);
  yield dir('home');
  yield dir('proc', 0o555);
  yield dir('root', 0o700);
  yield dir('sys', 0o555);
  yield dir('tmp', 0o1777);
  yield dir('usr');
  yield dir('usr/bin');
  yield dir('usr/sbin');
  yield dir('var');
  yield dir('var/tmp', 0o1777);
}

async function buildBusybox(ctx: BuildContext, key: string, staged: string): Promise<TestImage> {
  const layout = new OciLayoutWriter(path.join(staged, 'layout'));
  const applets = (await run(['/bin/busybox', '--list'])).stdout
    .split('\n')
    .map((a) => a.trim())
    .filter((a) => a && a !== 'busybox' && !a.includes('/'))
    .sort();
  const version = (await run(['dpkg-query', '-W', '-f=${Version}', 'busybox-static'])).stdout;
  const layer = await writeLayerInto(layout, busyboxEntries(applets));
  const config: ImageConfigSection = { ...BUSYBOX.config, Labels: labels('busybox', key, version, { 'busybox-static': version }) };
  const created = SYNTHETIC_MTIME.toISOString();
  const written = writeImage(layout, ctx.platform, created, config, [{ layer, createdBy: `busybox-static ${version}: /bin/busybox and ${applets.length} applet links` }]);
  layout.writeIndex([{ ...written.manifest, platform: ctx.platform, annotations: { [REF_NAME_ANNOTATION]: LAYOUT_TAG } }]);
  return image('busybox', layout.dir, written, ctx.platform, config, { 'busybox-static': version }, key);
}

function image(
  name: SingleImageName,
  layoutDir: string,
  written: Written,
  platform: Platform,
  config: ImageConfigSection,
  packages: Record<string, string>,
  key: string,
): TestImage {
  return {
    name,
    layoutDir,
    tag: LAYOUT_TAG,
    manifestDigest: written.manifest.digest,
    manifestSize: written.manifest.size,
    configDigest: written.config.digest,
    layers: written.layers,
    platform,
    config,
    packages,
    cacheKey: key,
  };
}

/** The platform the fake second manifest claims. */
function otherPlatform(platform: Platform): Platform {
  return platform.architecture === 'arm64' ? { os: 'linux', architecture: 'amd64' } : { os: 'linux', architecture: 'arm64', variant: 'v8' };
}

async function buildBusyboxMultiarch(ctx: BuildContext, key: string, staged: string, busybox: TestImage): Promise<MultiPlatformTestImage> {
  const layout = new OciLayoutWriter(path.join(staged, 'layout'));
  for (const digest of [busybox.manifestDigest, busybox.configDigest, ...busybox.layers.map((l) => l.digest)]) {
    layout.linkBlobFrom(busybox.layoutDir, digest);
  }
  // The other platform's image is a marker file only: enough to tell which one a client picked.
  const other = otherPlatform(ctx.platform);
  const platformName = [other.os, other.architecture, other.variant].filter(Boolean).join('/');
  const marker: LayerEntry = { path: 'PLATFORM', type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: SYNTHETIC_MTIME, content: Buffer.from(`${platformName}\n`) };
  const layer = await writeLayerInto(layout, [marker]);
  const config: ImageConfigSection = { Env: BUSYBOX.config.Env ?? [], Cmd: ['cat', '/PLATFORM'], Labels: { [`${LABEL_PREFIX}.fake-platform`]: platformName } };
  const fake = writeImage(layout, other, SYNTHETIC_MTIME.toISOString(), config, [{ layer, createdBy: `marker for ${platformName}` }]);
  const index: ImageIndex = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.index,
    manifests: [
      { mediaType: MEDIA_TYPE.manifest, digest: busybox.manifestDigest, size: busybox.manifestSize, platform: ctx.platform },
      { ...fake.manifest, platform: other },
    ],
  };
  const indexDesc = layout.putJson(MEDIA_TYPE.index, index);
  layout.writeIndex([{ ...indexDesc, annotations: { [REF_NAME_ANNOTATION]: LAYOUT_TAG } }]);
  return {
    name: 'busybox-multiarch',
    layoutDir: layout.dir,
    tag: LAYOUT_TAG,
    indexDigest: indexDesc.digest,
    indexSize: indexDesc.size,
    manifests: [
      { platform: ctx.platform, digest: busybox.manifestDigest, size: busybox.manifestSize, configDigest: busybox.configDigest, layers: busybox.layers },
      { platform: other, digest: fake.manifest.digest, size: fake.manifest.size, configDigest: fake.config.digest, layers: fake.layers },
    ],
    cacheKey: key,
  };
}

const PROXY_VARIABLES = ['http_proxy', 'https_proxy', 'no_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY'];

/** rootfs.sh in its own mount and PID namespaces: its mounts and processes end with it. */
async function rootfsStep(ctx: BuildContext, args: string[], timeoutMs: number): Promise<void> {
  const argv = ['unshare', '--mount', '--pid', '--fork', '--kill-child', '--propagation', 'private', 'bash', path.join(ctx.scriptDir, 'rootfs.sh'), ...args];
  const env: NodeJS.ProcessEnv = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' };
  for (const v of PROXY_VARIABLES) if (process.env[v]) env[v] = process.env[v];
  await run(withParentDeathSignal(argv, 'KILL'), { timeoutMs, env });
}

/**
 * The build host's apt transport settings (proxies, retries, Release date
 * checks against a snapshot mirror), so apt in the chroot reaches the mirror
 * as the host's apt does. Written to the work directory; never part of an image.
 */
function hostAptConfig(ctx: BuildContext): Promise<string> {
  return (ctx.hostAptConfig ??= writeHostAptConfig(path.join(ctx.workDir, 'host-apt.conf')));
}

async function writeHostAptConfig(file: string): Promise<string> {
  const { stdout } = await run(['apt-config', 'dump']);
  const wanted = /^Acquire::(Check-Valid-Until|Check-Date|Max-ValidTime|Retries|https?::Proxy|https?::Timeout|ForceIPv4|ForceIPv6)\b/;
  fs.writeFileSync(file, stdout.split('\n').filter((l) => wanted.test(l)).join('\n') + '\n');
  return file;
}

function dpkgVersions(rootfs: string, packages: string[]): Record<string, string> {
  const status = fs.readFileSync(path.join(rootfs, 'var/lib/dpkg/status'), 'utf8');
  const found: Record<string, string> = {};
  for (const para of status.split('\n\n')) {
    const pkg = /^Package: (\S+)$/m.exec(para)?.[1];
    const version = /^Version: (\S+)$/m.exec(para)?.[1];
    if (pkg && version && packages.includes(pkg) && /^Status: install ok installed$/m.test(para)) found[pkg] = version;
  }
  return found;
}

async function buildDebian(ctx: BuildContext, key: string, staged: string): Promise<TestImage> {
  const { mirrors } = await ctx.mirrors();
  const rootfs = path.join(ctx.workDir, 'debian-rootfs');
  fs.mkdirSync(rootfs, { mode: 0o755 });
  let t = performance.now();
  ctx.log(`debian: debootstrap --variant=minbase ${DEBIAN_SUITE} from ${mirrors.archive}`);
  await rootfsStep(ctx, ['debootstrap', rootfs, DEBIAN_SUITE, mirrors.archive, ctx.debianArch], 20 * 60_000);
  ctx.log(`debian: debootstrap done in ${elapsed(t)}`);
  fs.rmSync(path.join(rootfs, 'etc/apt/sources.list'), { force: true });
  fs.writeFileSync(path.join(rootfs, 'etc/apt/sources.list.d/debian.sources'), deb822Sources(mirrors.sources), { mode: 0o644 });
  for (const [rel, content] of Object.entries(DEBIAN_FILES)) {
    fs.mkdirSync(path.dirname(path.join(rootfs, rel)), { recursive: true, mode: 0o755 });
    fs.writeFileSync(path.join(rootfs, rel), content, { mode: 0o644 });
  }
  t = performance.now();
  const upgrade = path.join(ctx.workDir, 'debian-upgrade.sh');
  fs.writeFileSync(upgrade, `${DEBIAN_UPGRADE_SCRIPT}\n`);
  await rootfsStep(ctx, ['run', rootfs, upgrade, await hostAptConfig(ctx)], 20 * 60_000);
  ctx.log(`debian: apt-get upgrade (updates, security) done in ${elapsed(t)}`);
  await rootfsStep(ctx, ['clean', rootfs, 'base'], 60_000);
  const packages = dpkgVersions(rootfs, DEBIAN_KEY_PACKAGES);
  t = performance.now();
  const layout = new OciLayoutWriter(path.join(staged, 'layout'));
  const layer = await writeLayerInto(layout, treeEntries(rootfs));
  ctx.log(`debian: layer ${formatBytes(layer.size)} in ${elapsed(t)}`);
  const config: ImageConfigSection = { ...DEBIAN_CONFIG, Labels: labels('debian', key, packages['base-files'], packages) };
  const created = new Date().toISOString();
  const written = writeImage(layout, ctx.platform, created, config, [{ layer, createdBy: `debootstrap --variant=minbase ${DEBIAN_SUITE} ${mirrors.archive}` }]);
  layout.writeIndex([{ ...written.manifest, platform: ctx.platform, annotations: { [REF_NAME_ANNOTATION]: LAYOUT_TAG } }]);
  removeTree(rootfs);
  return image('debian', layout.dir, written, ctx.platform, config, packages, key);
}

async function buildApp(ctx: BuildContext, recipe: AppRecipe, key: string, staged: string, base: TestImage): Promise<TestImage> {
  const t = performance.now();
  const work = path.join(ctx.workDir, recipe.name);
  const rootfs = path.join(work, 'rootfs');
  fs.mkdirSync(rootfs, { recursive: true, mode: 0o755 });
  const baseLayer = base.layers[0];
  if (!baseLayer || base.layers.length !== 1) throw new Error('the debian base must have exactly one layer');
  await run(['tar', '--numeric-owner', '--same-owner', '--same-permissions', '-xzf', path.join(base.layoutDir, 'blobs', 'sha256', baseLayer.digest.slice(7)), '-C', rootfs]);
  const before = snapshotTree(rootfs);
  const script = path.join(work, 'install.sh');
  fs.writeFileSync(script, `${recipe.script}\n`);
  ctx.log(`${recipe.name}: installing ${recipe.packages[0]} into a chroot of the base`);
  await rootfsStep(ctx, ['run', rootfs, script, await hostAptConfig(ctx)], 20 * 60_000);
  for (const [rel, file] of Object.entries(recipe.files)) {
    const target = path.join(rootfs, rel);
    fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o755 });
    fs.writeFileSync(target, file.content);
    fs.chmodSync(target, file.mode);
  }
  await rootfsStep(ctx, ['clean', rootfs, 'layer'], 60_000);
  const packages = dpkgVersions(rootfs, recipe.packages);
  const missing = recipe.packages.filter((p) => !packages[p]);
  if (missing.length) throw new Error(`${recipe.name}: not installed in the image: ${missing.join(', ')}`);
  const layout = new OciLayoutWriter(path.join(staged, 'layout'));
  layout.linkBlobFrom(base.layoutDir, baseLayer.digest);
  const layer = await writeLayerInto(layout, diffEntries(rootfs, before));
  const config: ImageConfigSection = { ...recipe.config, Labels: labels(recipe.name, key, packages[recipe.versionOf], packages) };
  const created = new Date().toISOString();
  const written = writeImage(layout, ctx.platform, created, config, [
    { layer: baseLayer, createdBy: `debian base ${base.manifestDigest}` },
    { layer, createdBy: `apt-get install ${recipe.packages[0]}=${packages[recipe.versionOf]}` },
  ]);
  layout.writeIndex([{ ...written.manifest, platform: ctx.platform, annotations: { [REF_NAME_ANNOTATION]: LAYOUT_TAG } }]);
  removeTree(work);
  ctx.log(`${recipe.name}: built in ${elapsed(t)}, own layer ${formatBytes(layer.size)}`);
  return image(recipe.name, layout.dir, written, ctx.platform, config, packages, key);
}

// ---------------------------------------------------------------------------

/**
 * The test images asked for, from the cache or built now (a cold build of
 * everything takes about a minute; cached, well under a second).
 */
export async function ensureTestImages<N extends TestImageName = TestImageName>(opts: EnsureTestImagesOptions<N> = {}): Promise<TestImages<N>> {
  const requested = (opts.images ?? ALL_TEST_IMAGES);
  const names = withDependencies(requested);
  const log = opts.log ?? ((line: string) => process.stderr.write(`[test-images] ${line}\n`));
  const cacheDir = testImageCacheDir(opts.cacheDir);
  if (!opts.skipPrerequisites) await ensureHarnessPrerequisites();
  fs.mkdirSync(cacheDir, { recursive: true, mode: 0o755 });

  const debianArch = await debianArchitecture();
  let mirrorsPromise: ReturnType<BuildContext['mirrors']> | undefined;
  const ctx: BuildContext = {
    cacheDir,
    workDir: '',
    scriptDir: harnessScriptDir(),
    log,
    debianArch,
    platform: ociPlatform(debianArch),
    mirrors: () =>
      (mirrorsPromise ??= (async () => {
        const configured: AptSource[] = aptSources();
        const mirrors = debianMirrors(DEBIAN_SUITE, configured);
        const all = [...DEBIAN_KEY_PACKAGES, ...Object.values(APP_RECIPES).flatMap((r) => r.packages)];
        return { mirrors, versions: await rememberedCandidateVersions(cacheDir, all, mirrors.sources) };
      })()),
  };
  const keys = await cacheKeys(names, ctx);

  const found = new Map<TestImageName, TestImage | MultiPlatformTestImage>();
  const lookup = (): TestImageName[] => {
    for (const n of names) {
      if (found.has(n)) continue;
      const cached = opts.rebuild ? undefined : readCached(cacheDir, n, keys[n]);
      if (cached) found.set(n, cached);
    }
    return names.filter((n) => !found.has(n));
  };

  let missing = lookup();
  if (missing.length > 0) {
    const release = await acquireLock(cacheDir, log);
    try {
      // Another process may have built them while this one waited.
      missing = opts.rebuild ? missing : lookup();
      if (missing.length > 0) {
        removeStaleWorkDirs(cacheDir);
        ctx.workDir = path.join(cacheDir, `.work-${process.pid}-${randomBytes(4).toString('hex')}`);
        fs.mkdirSync(ctx.workDir);
        try {
          await buildMissing(ctx, missing, keys, found);
        } finally {
          removeTree(ctx.workDir);
        }
      }
    } finally {
      release();
    }
  }
  const cachedNames = names.filter((n) => !missing.includes(n));
  if (cachedNames.length) log(`cached: ${cachedNames.join(', ')} (${cacheDir})`);

  const result: Record<string, unknown> = { cacheDir };
  for (const n of requested) result[n] = found.get(n);
  return result as TestImages<N>;
}

async function buildMissing(
  ctx: BuildContext,
  missing: TestImageName[],
  keys: Record<TestImageName, string>,
  found: Map<TestImageName, TestImage | MultiPlatformTestImage>,
): Promise<void> {
  const build = async <I extends TestImage | MultiPlatformTestImage>(name: TestImageName, make: (staged: string) => Promise<I>): Promise<I> => {
    const staged = path.join(ctx.workDir, `stage-${name}`);
    fs.mkdirSync(staged);
    const t = performance.now();
    const built = await make(staged);
    commitEntry(ctx.cacheDir, name, keys[name], staged, built);
    found.set(name, built);
    if (name === 'busybox' || name === 'busybox-multiarch' || name === 'debian') ctx.log(`${name}: built in ${elapsed(t)}`);
    return built;
  };
  const need = (n: TestImageName): boolean => missing.includes(n);
  const get = <T>(n: TestImageName): T => found.get(n) as T;

  if (need('busybox')) await build('busybox', (s) => buildBusybox(ctx, keys.busybox, s));
  if (need('busybox-multiarch')) await build('busybox-multiarch', (s) => buildBusyboxMultiarch(ctx, keys['busybox-multiarch'], s, get<TestImage>('busybox')));
  if (need('debian')) await build('debian', (s) => buildDebian(ctx, keys.debian, s));
  const apps = (['postgres', 'redis', 'node'] as const).filter(need);
  // The app builds are mostly apt downloads and unpacking: run them side by side.
  const results = await Promise.allSettled(
    apps.map((n) => build(n, (s) => buildApp(ctx, APP_RECIPES[n], keys[n], s, get<TestImage>('debian')))),
  );
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}
