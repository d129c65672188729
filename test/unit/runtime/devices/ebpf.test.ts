/**
 * The device program's bytes, run by the interpreter in test/support/ebpf.ts
 * on every (type, major, minor, access) of a grid, against the v1 kernel's
 * decision for the same policy (security/device_cgroup.c: match_exception
 * when denying by default, match_exception_partial when allowing by default).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEVICE_PROGRAM_LICENSE, deviceProgram } from '../../../../src/runtime/devices/ebpf.js';
import { deviceRules } from '../../../../src/runtime/devices/defaults.js';
import { devicePolicy, type DevicePolicy, type DeviceRule } from '../../../../src/runtime/devices/rules.js';
import { decode, runDeviceProgram, type DeviceAccess } from '../../../support/ebpf.js';

const BITS = { m: 1, r: 2, w: 4 } as const;
const bitsOf = (access: string): number => [...access].reduce((b, ch) => b | BITS[ch as keyof typeof BITS], 0);

/** What the v1 device controller answers for this policy. */
function kernelAllows(p: DevicePolicy, q: DeviceAccess): boolean {
  const asked = bitsOf(q.access);
  const matching = p.exceptions.filter((e) => e.type === q.type && (e.major === undefined || e.major === q.major) && (e.minor === undefined || e.minor === q.minor));
  if (p.defaultAllow) return !matching.some((e) => (asked & e.access) !== 0);
  return matching.some((e) => (asked & ~e.access) === 0);
}

const ACCESSES = ['r', 'w', 'm', 'rw', 'rm', 'wm', 'rwm'];
const MAJORS = [0, 1, 5, 7, 8, 10, 136, 189, 4095];
const MINORS = [0, 1, 2, 3, 5, 7, 8, 9, 200, 229, 232, 0xfffff];

function* grid(): Generator<DeviceAccess> {
  for (const type of ['b', 'c'] as const) for (const major of MAJORS) for (const minor of MINORS) for (const access of ACCESSES) yield { type, major, minor, access };
}

const r = (allow: boolean, type: 'a' | 'b' | 'c', major?: number | '*', minor?: number | '*', access = 'rwm'): DeviceRule => ({ allow, type, major, minor, access });

const POLICIES: Record<string, DeviceRule[]> = {
  'Docker defaults': deviceRules(),
  'defaults with tun, mapped devices and cgroup rules': deviceRules({ tun: true, devices: [{ type: 'b', major: 7, minor: 3, permissions: 'rw' }], deviceCgroupRules: ['c 189:* r', 'a 8:* w'] }),
  privileged: deviceRules({ privileged: true }),
  'deny everything': [r(false, 'a')],
  'allow by default with partial denials': [r(true, 'a'), r(false, 'c', 10, '*', 'w'), r(false, 'b', '*', 0, 'rm'), r(false, 'c', 1, 3)],
  'deny by default with partial grants': [r(false, 'a'), r(true, 'c', '*', 3, 'r'), r(true, 'c', 136, '*', 'wm'), r(true, 'b', 8, 0, 'm'), r(true, 'c', 4095, 0xfffff, 'rw')],
};

describe('device program', () => {
  for (const [name, rules] of Object.entries(POLICIES)) {
    it(`${name}: decides as the v1 kernel on every input`, () => {
      const policy = devicePolicy(rules);
      const program = deviceProgram(policy);
      let checked = 0;
      for (const q of grid()) {
        const { result } = runDeviceProgram(program, q);
        assert.equal(result, kernelAllows(policy, q) ? 1 : 0, `${q.type} ${q.major}:${q.minor} ${q.access}`);
        checked++;
      }
      assert.equal(checked, 2 * MAJORS.length * MINORS.length * ACCESSES.length);
    });
  }

  it('the default list, by hand: the usual nodes open, the rest only mknod', () => {
    const program = deviceProgram(devicePolicy(deviceRules()));
    const allows = (type: 'b' | 'c', major: number, minor: number, access: string): boolean => runDeviceProgram(program, { type, major, minor, access }).result === 1;
    for (const [major, minor] of [[1, 3], [1, 5], [1, 7], [1, 8], [1, 9], [5, 0], [5, 1], [5, 2], [136, 0], [136, 42]] as const) assert.ok(allows('c', major, minor, 'rw'), `c ${major}:${minor}`);
    assert.ok(!allows('c', 10, 232, 'r'), '/dev/kvm');
    assert.ok(!allows('c', 10, 232, 'w'), '/dev/kvm');
    assert.ok(allows('c', 10, 232, 'm'), 'mknod of any node, as Docker');
    assert.ok(!allows('b', 7, 0, 'r'), 'a loop device');
    assert.ok(!allows('b', 8, 0, 'rw'), 'a disk');
    assert.ok(allows('b', 8, 0, 'm'));
    assert.ok(!allows('c', 10, 200, 'rw'), '/dev/net/tun only when asked');
    assert.ok(!allows('c', 1, 1, 'r'), '/dev/mem');
    assert.ok(allows('c', 1, 3, 'rwm'), 'null with mknod as well');
  });

  it('runc\'s shape: a six-instruction prologue reading the context, a block per exception, the default last', () => {
    const policy = devicePolicy([r(false, 'a'), r(true, 'c', 1, 3), r(true, 'c', 136, '*', 'rw')]);
    const insns = decode(deviceProgram(policy));
    assert.deepEqual(insns.slice(0, 6).map((i) => i.code), [0x61, 0x54, 0x61, 0x74, 0x61, 0x61]);
    assert.deepEqual(insns.slice(0, 6).filter((i) => i.code === 0x61).map((i) => i.off), [0, 0, 4, 8]);
    // c 1:3 rwm: type, major, minor, verdict (no access check for rwm)
    assert.deepEqual(insns.slice(6, 11).map((i) => i.code), [0x55, 0x55, 0x55, 0xb4, 0x95]);
    // c 136:* rw: type, access (mov, and, jne), major, verdict
    assert.deepEqual(insns.slice(11, 18).map((i) => i.code), [0x55, 0xbc, 0x54, 0x5d, 0x55, 0xb4, 0x95]);
    assert.deepEqual(insns.slice(18).map((i) => [i.code, i.imm]), [[0xb4, 0], [0x95, 0]]);
    assert.equal(insns.length, 20);
    insns.forEach((i, pc) => {
      if ((i.code & 0x07) === 0x05 && i.code !== 0x95) assert.ok(i.off > 0 && pc + 1 + i.off < insns.length, `jump at ${pc} stays forward and inside`);
    });
    assert.equal(DEVICE_PROGRAM_LICENSE, 'Apache');
  });

  it('a program for many devices still stops quickly: at most one block of work per exception', () => {
    const rules = [r(false, 'a'), ...Array.from({ length: 500 }, (_, i) => r(true, 'c', 200, i, 'rw'))];
    const program = deviceProgram(devicePolicy(rules));
    const last = runDeviceProgram(program, { type: 'c', major: 200, minor: 499, access: 'r' });
    assert.equal(last.result, 1);
    assert.ok(last.steps < 6 + 500 * 7 + 2);
    assert.equal(runDeviceProgram(program, { type: 'c', major: 200, minor: 500, access: 'r' }).result, 0);
  });
});
