/** Layout detection from mountinfo, /proc/mounts and directory trees. */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { detectCgroupLayout, layoutOfTree } from '../../../../src/runtime/cgroups/detect.js';
import { TscComposeError } from '../../../../src/errors/index.js';

/** This machine's mountinfo, trimmed: v1 controllers, name=systemd, and an empty cgroup2 at unified. */
const HYBRID = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;

/** A systemd v1 host: co-mounted cpu,cpuacct, optional fields before the separator. */
const V1 = `25 20 0:22 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
26 25 0:23 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:10 - cgroup cgroup rw,xattr,name=systemd
29 25 0:26 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:13 - cgroup cgroup rw,cpu,cpuacct
30 25 0:27 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,memory
31 25 0:28 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,pids
`;

const V2 = `30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
`;

describe('cgroup layout detection', () => {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tsc-cg-detect-'));
  after(() => fs.rmSync(scratch, { recursive: true, force: true }));

  it('hybrid: v1 controllers and the cgroup2 mount; named hierarchies left out', () => {
    const layout = detectCgroupLayout({ mountinfo: HYBRID });
    assert.equal(layout.mode, 'hybrid');
    assert.equal(layout.unified, '/sys/fs/cgroup/unified');
    assert.equal(layout.v1.get('memory'), '/sys/fs/cgroup/memory');
    assert.equal(layout.v1.get('cpuacct'), '/sys/fs/cgroup/cpuacct');
    assert.deepEqual([...layout.v1.keys()].sort(), ['blkio', 'cpu', 'cpuacct', 'cpuset', 'devices', 'freezer', 'memory', 'pids']);
  });

  it('v1: co-mounted controllers share one mount point', () => {
    const layout = detectCgroupLayout({ mountinfo: V1 });
    assert.equal(layout.mode, 'v1');
    assert.equal(layout.unified, undefined);
    assert.equal(layout.v1.get('cpu'), '/sys/fs/cgroup/cpu,cpuacct');
    assert.equal(layout.v1.get('cpuacct'), '/sys/fs/cgroup/cpu,cpuacct');
  });

  it('v2: a single cgroup2 mount', () => {
    assert.deepEqual(detectCgroupLayout({ mountinfo: V2 }), { mode: 'v2', v1: new Map(), unified: '/sys/fs/cgroup' });
    assert.equal(detectCgroupLayout({ mountinfo: V2 }).mode, 'v2');
  });

  it('reads /proc/mounts when that is what there is, and unescapes mount points', () => {
    const mounts = 'cgroup2 /sys/fs/my\\040cgroup cgroup2 rw,nosuid 0 0\nproc /proc proc rw 0 0\n';
    assert.deepEqual(detectCgroupLayout({ mounts }), { mode: 'v2', v1: new Map(), unified: '/sys/fs/my cgroup' });
    const hybrid = 'cgroup /sys/fs/cgroup/memory cgroup rw,memory 0 0\ncgroup2 /sys/fs/cgroup/unified cgroup2 rw 0 0\n';
    assert.equal(detectCgroupLayout({ mounts: hybrid }).mode, 'hybrid');
  });

  it('no cgroup file system at all is a typed error', () => {
    assert.throws(() => detectCgroupLayout({ mountinfo: '22 1 0:5 / /proc rw - proc proc rw\n' }), (e: unknown) => e instanceof TscComposeError && e.code === 'TSC_CGROUPS_UNAVAILABLE');
  });

  it('this host: detection agrees with what /proc/self/mountinfo lists', () => {
    const text = fs.readFileSync('/proc/self/mountinfo', 'utf8');
    const layout = detectCgroupLayout();
    assert.equal(layout.mode, detectCgroupLayout({ mountinfo: text }).mode);
    if (/ - cgroup2 /.test(text)) assert.ok(layout.unified);
  });

  it('scratch trees: a cgroup2 root, v1 hierarchies, and hybrid', () => {
    const v2 = path.join(scratch, 'v2');
    fs.mkdirSync(v2);
    fs.writeFileSync(path.join(v2, 'cgroup.controllers'), 'cpu memory\n');
    assert.deepEqual(layoutOfTree(v2), { mode: 'v2', v1: new Map(), unified: v2 });

    const v1 = path.join(scratch, 'v1');
    for (const d of ['memory', 'cpu,cpuacct', 'pids', 'systemd']) fs.mkdirSync(path.join(v1, d), { recursive: true });
    const l1 = layoutOfTree(v1);
    assert.equal(l1.mode, 'v1');
    assert.equal(l1.v1.get('cpuacct'), path.join(v1, 'cpu,cpuacct'));
    assert.equal(l1.v1.has('systemd'), false);

    fs.mkdirSync(path.join(v1, 'unified'));
    fs.writeFileSync(path.join(v1, 'unified', 'cgroup.controllers'), '');
    const l2 = layoutOfTree(v1);
    assert.equal(l2.mode, 'hybrid');
    assert.equal(l2.unified, path.join(v1, 'unified'));
  });
});
