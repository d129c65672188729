/**
 * Facts about the build machine the test images depend on: its architecture,
 * its Debian mirrors (from apt's sources, and nowhere else) and the package
 * versions apt offers.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { run } from './exec.js';
import type { Platform } from './oci-layout.js';

/** Debian architecture → OCI platform. */
const PLATFORMS: Record<string, Platform> = {
  amd64: { os: 'linux', architecture: 'amd64' },
  arm64: { os: 'linux', architecture: 'arm64', variant: 'v8' },
  armhf: { os: 'linux', architecture: 'arm', variant: 'v7' },
  armel: { os: 'linux', architecture: 'arm', variant: 'v5' },
  i386: { os: 'linux', architecture: '386' },
  ppc64el: { os: 'linux', architecture: 'ppc64le' },
  s390x: { os: 'linux', architecture: 's390x' },
  riscv64: { os: 'linux', architecture: 'riscv64' },
};

export async function debianArchitecture(): Promise<string> {
  return (await run(['dpkg', '--print-architecture'])).stdout.trim();
}

export function ociPlatform(debianArch: string): Platform {
  const p = PLATFORMS[debianArch];
  if (!p) throw new Error(`no OCI platform known for Debian architecture ${debianArch}`);
  return p;
}

export interface AptSource {
  uri: string;
  suite: string;
  components: string[];
}

function parseOneLine(text: string): AptSource[] {
  const out: AptSource[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line.startsWith('deb ')) continue;
    const words = line.slice(4).replace(/\[[^\]]*\]/, '').trim().split(/\s+/);
    const [uri, suite, ...components] = words;
    if (uri && suite) out.push({ uri, suite, components });
  }
  return out;
}

function parseDeb822(text: string): AptSource[] {
  const out: AptSource[] = [];
  for (const paragraph of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    let last = '';
    for (const raw of paragraph.split('\n')) {
      if (raw.startsWith('#')) continue;
      if (/^\s/.test(raw) && last) {
        fields.set(last, `${fields.get(last) ?? ''} ${raw.trim()}`);
        continue;
      }
      const m = /^([A-Za-z-]+):\s*(.*)$/.exec(raw);
      if (!m) continue;
      last = (m[1] as string).toLowerCase();
      fields.set(last, m[2] as string);
    }
    const words = (k: string): string[] => (fields.get(k) ?? '').split(/\s+/).filter(Boolean);
    if (!words('types').includes('deb') || (fields.get('enabled') ?? 'yes').trim() === 'no') continue;
    for (const uri of words('uris')) for (const suite of words('suites')) out.push({ uri, suite, components: words('components') });
  }
  return out;
}

/** apt's configured sources on this machine (sources.list and sources.list.d). */
export function aptSources(etcApt = '/etc/apt'): AptSource[] {
  const sources: AptSource[] = [];
  const list = path.join(etcApt, 'sources.list');
  if (fs.existsSync(list)) sources.push(...parseOneLine(fs.readFileSync(list, 'utf8')));
  const dir = path.join(etcApt, 'sources.list.d');
  const names = fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
  for (const name of names) {
    const text = fs.readFileSync(path.join(dir, name), 'utf8');
    if (name.endsWith('.list')) sources.push(...parseOneLine(text));
    else if (name.endsWith('.sources')) sources.push(...parseDeb822(text));
  }
  return sources;
}

export interface DebianMirrors {
  /** Where debootstrap fetches the suite from. */
  archive: string;
  /** The sources the images' apt uses: the suite, its updates and its security suite. */
  sources: AptSource[];
}

/**
 * The machine's Debian mirrors for a suite, taken only from its own apt
 * configuration (a machine set up for a local mirror must never reach out
 * elsewhere): the archive that carries the suite (or, failing that, the
 * machine's Debian archive for another suite), and the -updates/-security
 * suites where the machine has them. No Debian archive at all is an error
 * that says where it looked.
 */
export function debianMirrors(suite: string, configured: AptSource[] = aptSources(), etcApt = '/etc/apt'): DebianMirrors {
  const withMain = configured.filter((s) => s.components.includes('main'));
  const exact = withMain.find((s) => s.suite === suite);
  const anyDebian = withMain.find((s) => /debian/.test(s.uri) && !s.suite.endsWith('-security'));
  const archive = (exact ?? anyDebian)?.uri;
  if (archive === undefined) {
    const seen = configured.length > 0 ? configured.map((s) => `${s.uri} ${s.suite} ${s.components.join(' ')}`).join('; ') : 'none';
    throw new Error(
      `no Debian archive for ${suite} (component main) in this machine's apt sources (${path.join(etcApt, 'sources.list')}, ${path.join(etcApt, 'sources.list.d')}/*.list|*.sources; found: ${seen}). ` +
        `The test images are built only from the machine's own mirror: add one, e.g. "deb http://<your-mirror>/debian ${suite} main".`,
    );
  }
  const sources: AptSource[] = [{ uri: archive, suite, components: ['main'] }];
  for (const extra of [`${suite}-updates`, `${suite}-security`]) {
    const found = withMain.find((s) => s.suite === extra);
    if (found) sources.push({ uri: found.uri, suite: extra, components: ['main'] });
  }
  return { archive: archive.replace(/\/+$/, ''), sources };
}

/** deb822 text for an image's /etc/apt/sources.list.d/debian.sources. */
export function deb822Sources(sources: AptSource[]): string {
  return sources
    .map((s) => `Types: deb\nURIs: ${s.uri}\nSuites: ${s.suite}\nComponents: ${s.components.join(' ')}\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n`)
    .join('\n');
}

/**
 * The version of each package that apt would install from the given mirrors
 * (the newest in apt-cache policy's version table served by one of them), or
 * "none". Packages installed locally from elsewhere do not count.
 */
export async function candidateVersions(packages: string[], mirrors: AptSource[]): Promise<Record<string, string>> {
  const { stdout } = await run(['apt-cache', 'policy', ...packages], { env: { ...process.env, LC_ALL: 'C' } });
  const uris = mirrors.map((m) => m.uri.replace(/\/+$/, ''));
  const result: Record<string, string> = Object.fromEntries(packages.map((p) => [p, 'none']));
  let pkg: string | undefined;
  let version: string | undefined;
  for (const line of stdout.split('\n')) {
    const header = /^(\S+):$/.exec(line);
    if (header) {
      pkg = header[1]?.replace(/:[a-z0-9]+$/, '');
      version = undefined;
      continue;
    }
    if (!pkg || result[pkg] !== 'none') continue;
    const versionLine = /^ (?:\*\*\*| {3}) (\S+) -?\d+$/.exec(line);
    if (versionLine) {
      version = versionLine[1];
      continue;
    }
    const sourceLine = /^ {8}-?\d+ (\S+) /.exec(line);
    if (sourceLine && version && uris.includes((sourceLine[1] as string).replace(/\/+$/, ''))) result[pkg] = version;
  }
  return result;
}
