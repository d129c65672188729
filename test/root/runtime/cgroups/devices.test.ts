/**
 * The device wall for real: a shell placed in a cgroup the test made, with
 * the rules applied, tries to open device nodes the test made with mknod
 * (a loop device of a file the test made, /dev/kvm's 10:232, /dev/net/tun's
 * 10:200, /dev/null's 1:3) and to make new ones. Each mode this host allows
 * is tried on its own: 'v1' (devices.deny/devices.allow only), 'v2' (only the
 * eBPF program: on this hybrid host the cgroup2 mount has no controllers and
 * the shell stays in the root v1 devices cgroup, which allows everything, so
 * a refusal there is the program's doing) and 'hybrid' (both). Before any
 * cgroup, the same shell opens every node, so no test passes because a node
 * could not be opened anyway.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { createCgroupManager, detectCgroupLayout, type CgroupManager, type CgroupMode } from '../../../../src/runtime/cgroups/manager.js';
import { kernelDeviceFilter } from '../../../../src/runtime/cgroups/device-programs.js';
import { deviceRules } from '../../../../src/runtime/devices/defaults.js';
import { BPF_CGROUP_DEVICE, bpfProgQuery } from '../../../../src/sys/bpf.js';

const layout = detectCgroupLayout();
const modes: CgroupMode[] = [];
if (layout.v1.has('devices')) modes.push('v1');
if (layout.unified !== undefined) modes.push('v2');
if (layout.mode === 'hybrid' && layout.v1.has('devices')) modes.push('hybrid');

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tsc-devices-'));
const run = (cmd: string, args: string[]): string => {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
};

/** glibc's major()/minor() of a st_rdev. */
function deviceNumbers(node: string): { major: number; minor: number } {
  const rdev = fs.statSync(node, { bigint: true }).rdev;
  return { major: Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn)), minor: Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn)) };
}

const NODE_NAMES = ['null', 'loop', 'kvm', 'tun'] as const;
type NodeName = (typeof NODE_NAMES)[number];

interface Nodes {
  loop: string;
  loopNumbers: { major: number; minor: number };
  /** Nodes the control run opened, by name: only these count as "would open without the wall". */
  openable: Set<NodeName>;
}

/**
 * A shell script printing `name read:<result> write:<result>` for each node,
 * then whether it could mknod a block node of the loop device and open it.
 * A result is `ok` or the shell's error text (EPERM: "Operation not permitted").
 */
function probeScript(): string {
  const tryOpen = (redir: string, file: string): string => `$( (exec 3${redir}"${file}") 2>&1 && echo ok )`;
  const lines = NODE_NAMES.map((n) => `echo "${n} read:${tryOpen('<', path.join(scratch, n))} write:${tryOpen('>', path.join(scratch, n))}"`);
  // $$: the shell's pid, so two probes never share a name; $1 $2: the loop device's numbers.
  const made = path.join(scratch, 'made-$$');
  lines.push(`if mknod "${made}" b "$1" "$2" 2>/dev/null; then echo "mknod ok read:${tryOpen('<', made)}"; rm -f "${made}"; else echo "mknod refused"; fi`);
  return lines.join('\n');
}

interface Probe {
  open: Record<NodeName, { read: string; write: string }>;
  mknod: string;
}

function parseProbe(out: string): Probe {
  const open = {} as Probe['open'];
  let mknod = '';
  for (const line of out.split('\n')) {
    const m = /^(\w+) read:(.*) write:(.*)$/.exec(line);
    if (m && (NODE_NAMES as readonly string[]).includes(m[1] as string)) open[m[1] as NodeName] = { read: m[2] as string, write: m[3] as string };
    if (line.startsWith('mknod ')) mknod = line.slice('mknod '.length);
  }
  return { open, mknod };
}

/** Runs the probe in the cgroup: the shell waits on stdin until it has been placed, so it opens nothing before. */
async function probeIn(cg: CgroupManager | undefined, nodes: Nodes, spawned: ChildProcess[]): Promise<Probe> {
  const child = spawn('sh', ['-c', `read _\n${probeScript()}`, 'probe', String(nodes.loopNumbers.major), String(nodes.loopNumbers.minor)], { stdio: ['pipe', 'pipe', 'pipe'] });
  spawned.push(child);
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  if (cg) await cg.addProcess(child.pid as number);
  child.stdin.end('go\n');
  await exited;
  return parseProbe(out);
}

const EPERM = /Operation not permitted/;

/** Open-file descriptors of eBPF programs this test process holds. */
function heldPrograms(): string[] {
  const out: string[] = [];
  for (const fd of fs.readdirSync('/proc/self/fdinfo')) {
    try {
      if (/^prog_type:/m.test(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))) out.push(fd);
    } catch {
      // the directory's own descriptor, closed by now
    }
  }
  return out;
}

function attachedPrograms(dir: string): number[] {
  const fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  try {
    return bpfProgQuery(fd, BPF_CGROUP_DEVICE, dir);
  } finally {
    fs.closeSync(fd);
  }
}

let nodes: Nodes | undefined;
let loopDevice: string | undefined;

before(() => {
  const backing = path.join(scratch, 'backing.img');
  fs.writeFileSync(backing, Buffer.alloc(1024 * 1024));
  loopDevice = run('losetup', ['--find', '--show', backing]);
  const loopNumbers = deviceNumbers(loopDevice);
  const mk = (name: string, type: 'b' | 'c', major: number, minor: number): void => void run('mknod', [path.join(scratch, name), type, String(major), String(minor)]);
  mk('null', 'c', 1, 3);
  mk('loop', 'b', loopNumbers.major, loopNumbers.minor);
  mk('kvm', 'c', 10, 232);
  mk('tun', 'c', 10, 200);
  nodes = { loop: path.join(scratch, 'loop'), loopNumbers, openable: new Set() };
});

after(() => {
  if (loopDevice) spawnSync('losetup', ['-d', loopDevice]);
  fs.rmSync(scratch, { recursive: true, force: true });
});

describe('device nodes without any device cgroup (the control)', () => {
  it('open: null and the loop device always; kvm and tun where the host has the driver', async () => {
    const n = nodes as Nodes;
    const probe = await probeIn(undefined, n, []);
    assert.equal(probe.open.null.read, 'ok');
    assert.equal(probe.open.loop.read, 'ok', 'the loop device opens outside any device cgroup');
    assert.equal(probe.open.loop.write, 'ok');
    assert.equal(probe.mknod, 'ok read:ok');
    for (const name of NODE_NAMES) if (probe.open[name].read === 'ok') n.openable.add(name);
    if (fs.existsSync('/dev/kvm')) assert.ok(n.openable.has('kvm'), `kvm: ${probe.open.kvm.read}`);
  });
});

for (const mode of modes) {
  describe(`the device wall, ${mode} mode`, () => {
    const parent = `tsc-compose-test-${process.pid}-devices-${mode}`;
    const spawned: ChildProcess[] = [];
    const managers: CgroupManager[] = [];
    let count = 0;
    const dirs = (name: string): { v1?: string | undefined; unified?: string | undefined } => ({
      v1: mode !== 'v2' ? path.join(layout.v1.get('devices') as string, parent, name) : undefined,
      unified: mode !== 'v1' && layout.unified !== undefined ? path.join(layout.unified, parent, name) : undefined,
    });
    async function make(): Promise<{ cg: CgroupManager; name: string }> {
      const name = `c${++count}`;
      const cg = createCgroupManager({ parent, name, mode });
      managers.push(cg);
      await cg.create();
      return { cg, name };
    }

    after(async () => {
      for (const cg of managers) await cg.destroy().catch(() => undefined);
      for (const c of spawned) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      // Last resort, ours only.
      for (const root of [layout.v1.get('devices'), layout.unified]) {
        const top = root && path.join(root, parent);
        if (!top || !fs.existsSync(top)) continue;
        for (const d of [...fs.readdirSync(top).map((e) => path.join(top, e)).filter((d) => fs.statSync(d).isDirectory()), top]) {
          for (let i = 0; i < 100 && fs.existsSync(d); i++) {
            try {
              fs.rmdirSync(d);
            } catch {
              await sleep(20);
            }
          }
        }
      }
    });

    it('defaults: /dev/null opens; the loop device, kvm and tun do not (EPERM); mknod works, its node does not open', async () => {
      const n = nodes as Nodes;
      const { cg, name } = await make();
      assert.deepEqual((await cg.apply({})).warnings, []);
      const probe = await probeIn(cg, n, spawned);
      assert.deepEqual(probe.open.null, { read: 'ok', write: 'ok' });
      assert.match(probe.open.loop.read, EPERM);
      assert.match(probe.open.loop.write, EPERM);
      for (const other of ['kvm', 'tun'] as const) if (n.openable.has(other)) assert.match(probe.open[other].read, EPERM, other);
      assert.match(probe.mknod, /^ok read:.*Operation not permitted/, 'mknod is allowed (c/b *:* m, as Docker); opening is not');
      const { v1, unified } = dirs(name);
      if (v1) assert.equal(fs.readFileSync(path.join(v1, 'devices.list'), 'utf8'), 'c *:* m\nb *:* m\nc 1:3 rwm\nc 1:5 rwm\nc 1:7 rwm\nc 1:8 rwm\nc 1:9 rwm\nc 5:0 rwm\nc 5:1 rwm\nc 5:2 rwm\nc 136:* rwm\n');
      if (unified) assert.equal(attachedPrograms(unified).length, 1);
      await cg.destroy();
    });

    it('devices: and device_cgroup_rules: open exactly what they name, with the access they name', async () => {
      const n = nodes as Nodes;
      const { cg } = await make();
      await cg.apply({ devices: deviceRules({ devices: [{ type: 'b', ...n.loopNumbers, permissions: 'r' }], deviceCgroupRules: ['c 10:200 rw'] }) });
      const probe = await probeIn(cg, n, spawned);
      assert.equal(probe.open.loop.read, 'ok');
      assert.match(probe.open.loop.write, EPERM, 'r names reading only');
      if (n.openable.has('tun')) assert.equal(probe.open.tun.read, 'ok');
      if (n.openable.has('kvm')) assert.match(probe.open.kvm.read, EPERM);
      assert.deepEqual(probe.open.null, { read: 'ok', write: 'ok' });
      await cg.destroy();
    });

    it('a new apply replaces the policy on a cgroup already in use: one program, not two', async () => {
      const n = nodes as Nodes;
      const { cg, name } = await make();
      await cg.apply({});
      assert.match((await probeIn(cg, n, spawned)).open.loop.read, EPERM);
      await cg.apply({ devices: deviceRules({ devices: [{ type: 'b', ...n.loopNumbers, permissions: 'rw' }] }) });
      const widened = await probeIn(cg, n, spawned);
      assert.equal(widened.open.loop.read, 'ok');
      assert.equal(widened.open.loop.write, 'ok');
      const { v1, unified } = dirs(name);
      if (unified) assert.equal(attachedPrograms(unified).length, 1, 'the old program was detached');
      if (v1) assert.match(fs.readFileSync(path.join(v1, 'devices.list'), 'utf8'), new RegExp(`^b ${n.loopNumbers.major}:${n.loopNumbers.minor} rw$`, 'm'));
      await cg.apply({});
      assert.match((await probeIn(cg, n, spawned)).open.loop.read, EPERM, 'and narrowed again');
      await cg.destroy();
    });

    it('privileged: every node opens', async () => {
      const n = nodes as Nodes;
      const { cg } = await make();
      await cg.apply({ devices: deviceRules({ privileged: true }) });
      const probe = await probeIn(cg, n, spawned);
      for (const name of n.openable) assert.equal(probe.open[name].read, 'ok', name);
      assert.equal(probe.open.loop.write, 'ok');
      await cg.destroy();
    });

    it('allow by default with a denial: the denied access is refused, everything else opens', async () => {
      const n = nodes as Nodes;
      const { cg } = await make();
      await cg.apply({ devices: [{ allow: true, type: 'a', access: 'rwm' }, { allow: false, type: 'b', ...n.loopNumbers, access: 'w' }] });
      const probe = await probeIn(cg, n, spawned);
      assert.equal(probe.open.loop.read, 'ok');
      assert.match(probe.open.loop.write, EPERM);
      for (const name of n.openable) if (name !== 'loop') assert.equal(probe.open[name].read, 'ok', name);
      await cg.destroy();
    });

    it('destroy: every directory gone, every program detached, no program descriptor left open here', async () => {
      const { cg, name } = await make();
      await cg.apply({});
      const { v1, unified } = dirs(name);
      if (unified) {
        assert.equal(attachedPrograms(unified).length, 1);
        kernelDeviceFilter.detachAll(unified);
        assert.deepEqual(attachedPrograms(unified), [], 'detachAll leaves nothing attached');
        await cg.apply({});
      }
      await cg.destroy();
      for (const d of [v1, unified]) if (d) assert.equal(fs.existsSync(d), false, d);
      for (const root of [layout.v1.get('devices'), layout.unified]) if (root) assert.equal(fs.existsSync(path.join(root, parent)), false, `${root}: the shared parent went with the last container`);
      assert.deepEqual(heldPrograms(), []);
    });
  });
}
