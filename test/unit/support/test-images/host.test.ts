/** The test images' Debian mirrors come from the machine's apt configuration only (fake /etc/apt trees here). */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { aptSources, debianMirrors } from '../../../support/test-images/host.js';

let base: string;
let count = 0;

/** A fake /etc/apt with these files (relative names: sources.list, sources.list.d/x.sources). */
function etcApt(files: Record<string, string>): string {
  const dir = path.join(base, `apt-${count++}`);
  fs.mkdirSync(path.join(dir, 'sources.list.d'), { recursive: true });
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

const mirrorsOf = (dir: string, suite = 'bookworm') => debianMirrors(suite, aptSources(dir), dir);

describe('Debian mirrors for the test images', () => {
  before(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'tsc-apt-'));
  });
  after(() => fs.rmSync(base, { recursive: true, force: true }));

  it('a local mirror in deb822 form is used for the suite, its updates and security, and nothing else', () => {
    const dir = etcApt({
      'sources.list.d/debian.sources': [
        'Types: deb',
        '# a comment inside the paragraph',
        'URIs: http://mirror.lan/debian/',
        'Suites: bookworm bookworm-updates',
        'Components: main contrib',
        'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg',
        '',
        'Types: deb',
        'URIs: http://mirror.lan/debian-security',
        'Suites: bookworm-security',
        'Components: main',
        '',
        'Types: deb',
        'URIs: http://elsewhere.example/debian',
        'Suites: bookworm',
        'Components: main',
        'Enabled: no',
        '',
      ].join('\n'),
      'sources.list.d/vendor.list.disabled': 'deb http://deb.debian.org/debian bookworm main\n',
    });
    assert.deepEqual(mirrorsOf(dir), {
      archive: 'http://mirror.lan/debian',
      sources: [
        { uri: 'http://mirror.lan/debian/', suite: 'bookworm', components: ['main'] },
        { uri: 'http://mirror.lan/debian/', suite: 'bookworm-updates', components: ['main'] },
        { uri: 'http://mirror.lan/debian-security', suite: 'bookworm-security', components: ['main'] },
      ],
    });
  });

  it('a one-line sources.list with options and comments; a mirror whose URL does not say "debian" is used for its suite', () => {
    const dir = etcApt({
      'sources.list': ['# deb http://deb.debian.org/debian bookworm main', 'deb [arch=amd64 signed-by=/k.gpg] http://10.0.0.5/deb bookworm main # local', 'deb-src http://10.0.0.5/deb bookworm main', ''].join('\n'),
    });
    assert.deepEqual(mirrorsOf(dir), { archive: 'http://10.0.0.5/deb', sources: [{ uri: 'http://10.0.0.5/deb', suite: 'bookworm', components: ['main'] }] });
  });

  it("a machine on another release: its own Debian archive serves the suite (no updates or security it does not list)", () => {
    const dir = etcApt({ 'sources.list.d/debian.sources': 'Types: deb\nURIs: http://mirror.lan/debian\nSuites: trixie trixie-updates\nComponents: main\n' });
    assert.deepEqual(mirrorsOf(dir), { archive: 'http://mirror.lan/debian', sources: [{ uri: 'http://mirror.lan/debian', suite: 'bookworm', components: ['main'] }] });
  });

  it('no Debian archive at all is an error naming where it looked and what it found, never a fallback', () => {
    const dir = etcApt({
      'sources.list.d/nodesource.sources': 'Types: deb\nURIs: https://deb.nodesource.com/node_20.x\nSuites: nodistro\nComponents: main\n',
      'sources.list.d/cloud.list': 'deb https://packages.cloud.google.com/apt cloud-sdk-bookworm main\n',
    });
    assert.throws(() => mirrorsOf(dir), (err: Error) => {
      assert.ok(err.message.startsWith(`no Debian archive for bookworm (component main) in this machine's apt sources (${dir}/sources.list, ${dir}/sources.list.d/*.list|*.sources; found: `), err.message);
      assert.ok(err.message.includes('https://packages.cloud.google.com/apt cloud-sdk-bookworm main; https://deb.nodesource.com/node_20.x nodistro main'), err.message);
      assert.ok(!err.message.includes('deb.debian.org'), err.message);
      return true;
    });
    assert.throws(() => mirrorsOf(etcApt({})), /found: none\)/);
  });
});
