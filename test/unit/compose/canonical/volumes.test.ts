/** volumes: short syntax as compose-go's format.ParseVolume, long syntax typed, targets cleaned. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseVolumeSpec, VolumeSpecError } from '../../../../src/compose/canonical/volumes.js';
import { canonicalError, service } from '../../../support/canonical.js';

const volumes = (...specs: string[]): unknown => service(`services:\n  web:\n    volumes: [${specs.map((s) => JSON.stringify(s)).join(', ')}]\n`).volumes;

describe('short syntax', () => {
  it('binds start with . / or ~ and create their host path', () => {
    assert.deepEqual(volumes('./data:/data', '/opt/data:/var/lib/data', '~/cfg:/cfg'), [
      { type: 'bind', source: './data', target: '/data', bind: { create_host_path: true } },
      { type: 'bind', source: '/opt/data', target: '/var/lib/data', bind: { create_host_path: true } },
      { type: 'bind', source: '~/cfg', target: '/cfg', bind: { create_host_path: true } },
    ]);
  });

  it('anything else is a named volume; a lone path an anonymous one', () => {
    assert.deepEqual(volumes('db-data:/var/lib/postgresql/data', '/var/lib/anonymous'), [
      { type: 'volume', source: 'db-data', target: '/var/lib/postgresql/data', volume: {} },
      { type: 'volume', target: '/var/lib/anonymous', volume: {} },
    ]);
  });

  it('modes: ro, rw, nocopy, SELinux labels, propagation; unknown ones ignored as compose-go does', () => {
    assert.deepEqual(volumes('./a:/a:ro', './b:/b:rw', 'vol:/c:nocopy', './d:/d:ro,Z', './e:/e:z,rshared', './f:/f:cached', 'vol:/g:ro,nocopy'), [
      { type: 'bind', source: './a', target: '/a', read_only: true, bind: { create_host_path: true } },
      { type: 'bind', source: './b', target: '/b', bind: { create_host_path: true } },
      { type: 'volume', source: 'vol', target: '/c', volume: { nocopy: true } },
      { type: 'bind', source: './d', target: '/d', read_only: true, bind: { selinux: 'Z', create_host_path: true } },
      { type: 'bind', source: './e', target: '/e', bind: { selinux: 'z', propagation: 'rshared', create_host_path: true } },
      { type: 'bind', source: './f', target: '/f', bind: { create_host_path: true } },
      { type: 'volume', source: 'vol', target: '/g', read_only: true, volume: { nocopy: true } },
    ]);
  });

  it('targets are cleaned like Go path.Clean; later mounts on the same target replace earlier ones', () => {
    assert.deepEqual(volumes('./a:/data/', './b:/x/../y', 'vol:/data'), [
      { type: 'volume', source: 'vol', target: '/data', volume: {} },
      { type: 'bind', source: './b', target: '/y', bind: { create_host_path: true } },
    ]);
  });

  it('parseVolumeSpec keeps ${...} and Windows drives whole and reports compose-go errors', () => {
    assert.deepEqual(parseVolumeSpec('${HOME:-/h}:/home'), { type: 'volume', source: '${HOME:-/h}', target: '/home', volume: {} });
    assert.deepEqual(parseVolumeSpec('C:\\data:/data'), { type: 'bind', source: 'C:\\data', target: '/data', bind: { create_host_path: true } });
    assert.deepEqual(parseVolumeSpec('/a'), { type: 'volume', target: '/a' });
    assert.deepEqual(parseVolumeSpec(''), new VolumeSpecError('invalid empty volume spec'));
    assert.deepEqual(parseVolumeSpec('ab::/b'), new VolumeSpecError('invalid spec: ab::/b: empty section between colons'));
    assert.deepEqual(parseVolumeSpec('ab:/b:ro:x'), new VolumeSpecError('invalid spec: ab:/b:ro:x: too many colons'));
    // compose-go reads a one-letter source as a Windows drive, even on Linux.
    assert.deepEqual(parseVolumeSpec('v:/data'), { type: 'volume', target: 'v:/data', volume: {} });
  });

  it('a bad spec is an error at the entry', () => {
    const err = canonicalError('services:\n  web:\n    volumes: ["ab::/b"]\n');
    assert.equal(err.message, 'services.web.volumes.0 invalid spec: ab::/b: empty section between colons');
    assert.deepEqual(err.location, { file: '/p/compose.yaml', line: 3, column: 15 });
  });
});

describe('long syntax', () => {
  it('is kept; bind.create_host_path defaults to true only where `bind` is written', () => {
    const yaml = `services:
  web:
    volumes:
      - {type: bind, source: ./a, target: /a}
      - {type: bind, source: ./b, target: /b, bind: {propagation: rslave}}
      - {type: bind, source: ./c, target: /c, bind: {create_host_path: false}}
      - {type: volume, source: v, target: /v, volume: {nocopy: "true", subpath: sub}, consistency: cached}
`;
    assert.deepEqual(service(yaml).volumes, [
      { type: 'bind', source: './a', target: '/a' },
      { type: 'bind', source: './b', target: '/b', bind: { propagation: 'rslave', create_host_path: true } },
      { type: 'bind', source: './c', target: '/c', bind: { create_host_path: false } },
      { type: 'volume', source: 'v', target: '/v', volume: { nocopy: true, subpath: sub() }, consistency: 'cached' },
    ]);
  });

  it('casts interpolated booleans, sizes and modes; false read_only disappears', () => {
    const yaml = `services:
  web:
    volumes:
      - {type: tmpfs, target: /t/, tmpfs: {size: 64m, mode: "1777"}, read_only: "false"}
      - {type: volume, source: v, target: /v, read_only: "true", volume: {nocopy: "false"}}
      - {type: image, source: "alpine:3", target: /img, image: {subpath: etc}}
`;
    assert.deepEqual(service(yaml).volumes, [
      { type: 'tmpfs', target: '/t', tmpfs: { size: 64 * 1024 * 1024, mode: 1777 } },
      { type: 'volume', source: 'v', target: '/v', read_only: true, volume: {} },
      { type: 'image', source: 'alpine:3', target: '/img', image: { subpath: 'etc' } },
    ]);
  });

  it('a mount without target is refused', () => {
    assert.equal(canonicalError('services:\n  web:\n    volumes: [{type: volume, source: v}]\n').message, 'services.web.volumes.0 service volume services.web.volumes.0 is missing a mount target');
  });
});

function sub(): string {
  return 'sub';
}
