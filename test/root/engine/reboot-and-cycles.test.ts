/** A simulated host reboot restores exactly the right containers; many up/down cycles leave nothing behind. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { EngineHarness, until } from '../../support/engine-harness.js';
import { EngineStore } from '../../../src/engine/state/store.js';
import { NetworkHost } from '../../../src/network/host/index.js';

describe('engine: simulated reboot', () => {
  let h: EngineHarness;
  before(async () => {
    h = await EngineHarness.create('reboot');
  });
  after(async () => {
    await h.destroy();
  });

  it('brings back always and unless-stopped containers, leaves the others stopped', async () => {
    h.writeCompose(`name: boot
services:
  always:
    image: busybox:test
    command: [sleep, "3600"]
    stop_signal: SIGKILL
    restart: always
  unless:
    image: busybox:test
    command: [sleep, "3600"]
    stop_signal: SIGKILL
    restart: unless-stopped
  stopped-by-user:
    image: busybox:test
    command: [sleep, "3600"]
    stop_signal: SIGKILL
    restart: unless-stopped
  never:
    image: busybox:test
    command: [sleep, "3600"]
    stop_signal: SIGKILL
`);
    h.ok(['up', '-d']);
    h.ok(['stop', 'stopped-by-user']);
    const before = h.ps();
    // The reboot: the engine and every container process die, /run is empty, bridges and namespaces are gone.
    h.ok(['engine', 'stop']);
    const runtime = h.runtime();
    for (const c of runtime.list()) {
      const s = runtime.state(c.id);
      if (!s) continue;
      for (const pid of [s.pid, s.monitorPid]) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await runtime.cgroup(c.id).destroy();
    }
    const store = new EngineStore(path.join(h.state, 'engine', 'state'));
    const net = new NetworkHost();
    for (const c of store.containers.list()) await net.removeSandbox(c.id);
    for (const n of store.networks.list()) await net.removeBridge({ bridge: n.bridge, subnet: n.ipam.subnet, gateway: n.ipam.gateway, internal: n.internal });
    await net.close();
    fs.rmSync(path.join(h.state, 'run'), { recursive: true, force: true });

    const states = await until('engine restored the containers', () => {
      const ps = h.ps();
      const byService = Object.fromEntries(ps.map((c) => [c.Service, c.State]));
      return byService['always'] === 'running' && byService['unless'] === 'running' ? byService : undefined;
    });
    assert.equal(states['stopped-by-user'], 'exited');
    assert.equal(states['never'], 'exited');
    const after = h.ps();
    assert.deepEqual(after.map((c) => c.ID).sort(), before.map((c) => c.ID).sort(), 'the same containers, none duplicated');
    // Networking came back too: the restored container can reach its gateway.
    const ping = h.cli(['exec', '-T', 'always', 'sh', '-c', 'ip route | grep -q default && echo routed']);
    assert.equal(ping.stdout, 'routed\n', ping.stderr);
    h.ok(['down']);
  });
});

describe('engine: up/down cycles', () => {
  let h: EngineHarness;
  before(async () => {
    h = await EngineHarness.create('cycles');
  });
  after(async () => {
    await h.destroy();
  });

  it('50 up/down cycles of a small stack leave no mounts, cgroups, processes, links or state entries', () => {
    h.writeCompose(`name: cycle
services:
  a:
    image: busybox:test
    command: [sleep, "3600"]
    stop_signal: SIGKILL
  b:
    image: busybox:test
    command: [sleep, "3600"]
    stop_signal: SIGKILL
    depends_on: [a]
`);
    const snapshot = (): { mounts: number; links: string[]; netns: string[] } => ({
      mounts: fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(h.state)).length,
      links: spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })
        .stdout.split('\n')
        .map((l) => l.split(': ')[1]?.split('@')[0] ?? '')
        .filter((n) => n.startsWith('tsc')),
      netns: fs.existsSync('/run/netns') ? fs.readdirSync('/run/netns').filter((n) => n.startsWith('tsc-')) : [],
    });
    const start = snapshot();
    const cycles = Number(process.env['TSC_COMPOSE_CYCLES'] ?? 50);
    for (let i = 0; i < cycles; i++) {
      h.ok(['up', '-d']);
      assert.equal(h.ps().filter((c) => c.State === 'running').length, 2);
      h.ok(['down']);
    }
    const end = snapshot();
    assert.equal(end.mounts, start.mounts);
    assert.deepEqual(end.links.sort(), start.links.sort());
    assert.deepEqual(end.netns.sort(), start.netns.sort());
    const store = path.join(h.state, 'engine', 'state');
    for (const dir of ['containers', 'networks', 'projects']) {
      const p = path.join(store, dir);
      assert.deepEqual(fs.existsSync(p) ? fs.readdirSync(p) : [], [], `${dir} records left`);
    }
    assert.deepEqual(fs.readdirSync(path.join(h.state, 'containers')), []);
    assert.deepEqual(fs.readdirSync(path.join(h.state, 'run', 'containers')), []);
  });
});
