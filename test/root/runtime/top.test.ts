/** docker top for a real container: the pids of its cgroup, read from /proc on the host. */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { runtimeFixture } from '../../support/runtime-fixture.js';
import type { RuntimeFixture } from '../../support/runtime-fixture.js';
import { TOP_HEADERS, listContainerProcesses } from '../../../src/runtime/top.js';

let fx: RuntimeFixture;

describe('top', () => {
  before(async () => {
    fx = await runtimeFixture();
  });
  after(async () => {
    await fx.cleanup();
  });

  it("lists a running container's processes with host pids, parents, user, terminal and command", async () => {
    const config = fx.config(['sh', '-c', 'sleep 301 & sleep 302 & echo ready; wait']);
    const state = await fx.runtime.start(config);
    try {
      // Both sleeps are forked once `ready` is printed... or shortly after: wait until the cgroup has three processes.
      let table = listContainerProcesses(await fx.runtime.cgroup(config.id).pids());
      for (let i = 0; i < 200 && table.rows.length < 3; i++) {
        await sleep(10);
        table = listContainerProcesses(await fx.runtime.cgroup(config.id).pids());
      }
      assert.deepEqual(table.headers, TOP_HEADERS);
      assert.equal(table.rows.length, 3, JSON.stringify(table.rows));
      const byCmd = new Map(table.rows.map((r) => [r[7], r]));
      const sh = byCmd.get('sh -c sleep 301 & sleep 302 & echo ready; wait');
      assert.ok(sh, JSON.stringify(table.rows));
      assert.equal(sh[1], String(state.pid), 'host pid of PID 1');
      for (const cmd of ['sleep 301', 'sleep 302']) {
        const row = byCmd.get(cmd);
        assert.ok(row, `${cmd} listed`);
        assert.equal(row[0], 'root');
        assert.equal(row[2], String(state.pid), 'parent is the container PID 1 (host pid)');
        assert.equal(row[5], '?');
        assert.match(row[4] as string, /^\d\d:\d\d$/);
        assert.match(row[6] as string, /^\d\d:\d\d:\d\d$/);
        assert.match(row[3] as string, /^\d+$/);
      }
      // Sorted by pid.
      const pids = table.rows.map((r) => Number(r[1]));
      assert.deepEqual(pids, [...pids].sort((a, b) => a - b));
    } finally {
      await fx.runtime.stop(config.id, 'SIGKILL', 0);
    }
    // Gone processes are left out, not errors.
    assert.deepEqual(listContainerProcesses([state.pid]).rows, []);
    assert.deepEqual((listContainerProcesses(await fx.runtime.cgroup(config.id).pids())).rows, []);
  });
});
