/**
 * Devices (issue #12, wall 1): a plain container may make device nodes (it
 * holds CAP_MKNOD, as with Docker) but the device cgroup lets it open only
 * Docker's short list, so the host's disks and /dev/kvm stay out of reach.
 * `devices:` and `device_cgroup_rules:` add exactly what they name;
 * `privileged: true` is the host and shows the attempts would otherwise work.
 * The "disk" is a loop device of a file this test made.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { EngineHarness } from '../support/engine-harness.js';

describe('security: the device cgroup', () => {
  let h: EngineHarness;
  let loop = '';
  let major = 0;
  let minor = 0;
  let image = '';

  before(async () => {
    h = await EngineHarness.create('devs');
    image = path.join(h.root, 'disk.img');
    fs.writeFileSync(image, Buffer.concat([Buffer.from('HOST-DISK-CONTENT'), Buffer.alloc(1024 * 1024)]));
    const r = spawnSync('losetup', ['-f', '--show', image], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    loop = r.stdout.trim();
    const st = fs.statSync(loop);
    major = Math.floor(st.rdev / 256);
    minor = st.rdev % 256;
    h.writeCompose(`name: devs
services:
  plain:
    image: busybox:test
    command: [sleep, "3600"]
    stop_signal: SIGKILL
  host:
    image: busybox:test
    privileged: true
    command: [sleep, "3600"]
    stop_signal: SIGKILL
  given:
    image: busybox:test
    devices: ["${loop}:/dev/xvda:r"]
    command: [sleep, "3600"]
    stop_signal: SIGKILL
  ruled:
    image: busybox:test
    device_cgroup_rules: ["b ${major}:* r"]
    command: [sleep, "3600"]
    stop_signal: SIGKILL
`);
    h.ok(['up', '-d', '--wait']);
  });
  after(async () => {
    await h.destroy();
    if (loop) spawnSync('losetup', ['-d', loop]);
  });

  const sh = (service: string, script: string): { code: number | null; out: string } => {
    const r = h.cli(['exec', '-T', service, 'sh', '-c', script]);
    return { code: r.code, out: `${r.stdout}${r.stderr}` };
  };
  const readDisk = (node: string): string => `head -c 17 ${node}`;

  it('tried: mknod of the host disk and read it — works privileged, refused by the device cgroup otherwise', () => {
    const mk = `mknod /tmp/disk b ${major} ${minor} && ${readDisk('/tmp/disk')}`;
    assert.match(sh('host', mk).out, /HOST-DISK-CONTENT/, 'privileged (the host) reads it: the attempt is real');
    const plain = sh('plain', mk);
    assert.notEqual(plain.code, 0);
    assert.doesNotMatch(plain.out, /HOST-DISK-CONTENT/);
    assert.match(plain.out, /Operation not permitted/, 'mknod works (CAP_MKNOD), the open is refused by the device cgroup');
  });

  it('tried: /dev/kvm by mknod — refused by the device cgroup', { skip: !fs.existsSync('/dev/kvm') && 'no /dev/kvm here' }, () => {
    const r = sh('plain', 'mknod /tmp/kvm c 10 232 && cat /tmp/kvm');
    assert.match(r.out, /Operation not permitted/);
    assert.doesNotMatch(sh('host', 'ls -l /dev/kvm').out, /No such file/, 'privileged gets the host devices in its /dev');
  });

  it('Docker’s short list still works: /dev/null, /dev/zero, /dev/urandom, a pty', () => {
    assert.equal(sh('plain', 'echo x > /dev/null && head -c 4 /dev/zero | wc -c && head -c 4 /dev/urandom | wc -c').out, '4\n4\n');
  });

  it('devices: gives exactly the named device with exactly its permissions', () => {
    assert.match(sh('given', readDisk('/dev/xvda')).out, /HOST-DISK-CONTENT/);
    const write = sh('given', 'echo x > /dev/xvda');
    assert.notEqual(write.code, 0, 'r only: no write');
    assert.match(sh('given', `mknod /tmp/other b ${major} ${minor + 1} 2>&1; cat /tmp/other 2>&1 || true`).out, /Operation not permitted|No such device/);
  });

  it('device_cgroup_rules: adds what it names and nothing more', () => {
    assert.match(sh('ruled', `mknod /tmp/disk b ${major} ${minor} && ${readDisk('/tmp/disk')}`).out, /HOST-DISK-CONTENT/);
    assert.match(sh('ruled', `mknod /tmp/disk2 b ${major} ${minor} 2>/dev/null; echo x > /tmp/disk 2>&1`).out, /Operation not permitted/, 'r only');
    assert.match(sh('ruled', 'mknod /tmp/kvm c 10 232 && cat /tmp/kvm').out, /Operation not permitted/);
  });

  it('a device that does not exist, or a CDI name, is a clear error and nothing starts', () => {
    h.writeCompose(`name: devs2\nservices:\n  x:\n    image: busybox:test\n    devices: ["/dev/no-such-device"]\n    command: ["true"]\n  y:\n    image: busybox:test\n    devices: ["nvidia.com/gpu=all"]\n    command: ["true"]\n`, 'bad.yaml');
    const missing = h.cli(['-f', 'bad.yaml', 'up', '-d', 'x']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /devices: "\/dev\/no-such-device": no such device on the host/);
    const cdi = h.cli(['-f', 'bad.yaml', 'up', '-d', 'y']);
    assert.equal(cdi.code, 1);
    assert.match(cdi.stderr, /CDI device names are not supported yet/);
    assert.deepEqual(h.ps(['-f', 'bad.yaml']).filter((c) => c.State === 'running'), []);
  });
});
