/**
 * `cp` out of a container into a directory the container shares with the
 * host (issue #12, wall 9): while root copies, the container swaps the
 * destination between a directory and a symlink to a host directory. Every
 * component below the destination is resolved beneath it without following
 * symlinks, so no copy may land in the host directory, whatever the timing.
 * The same race run against a copier that follows paths the ordinary way
 * shows that it is real.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EngineHarness } from '../support/engine-harness.js';
import { copyFromContainer } from '../../src/runtime/copy.js';

describe('security: cp into a shared directory that the container races', () => {
  let h: EngineHarness;
  let shared: string;
  let victim: string;
  let pid = 0;

  before(async () => {
    h = await EngineHarness.create('cprace');
    shared = path.join(h.projectDir, 'shared');
    victim = path.join(h.root, 'victim');
    fs.mkdirSync(shared);
    fs.mkdirSync(victim);
    h.writeCompose(`name: cprace
services:
  racer:
    image: busybox:test
    stop_signal: SIGKILL
    volumes: ["./shared:/shared"]
    command:
      - sh
      - -c
      - |
        mkdir -p /payload/deeper && echo planted > /payload/file && echo planted > /payload/deeper/file
        while true; do
          rm -rf /shared/payload; mkdir /shared/payload
          rm -rf /shared/payload; ln -s ${victim} /shared/payload
        done
`);
    h.ok(['up', '-d', '--wait']);
    pid = h.ps().find((c) => c.Service === 'racer')?.Pid ?? 0;
    assert.ok(pid > 0);
  });
  after(async () => {
    await h.destroy();
  });

  it('tried: 300 copies while the destination flips between a directory and a symlink to a host directory — none lands outside', () => {
    let failed = 0;
    let copied = 0;
    for (let i = 0; i < 300; i++) {
      try {
        copyFromContainer(pid, '/payload', shared);
        copied++;
      } catch {
        failed++; // the swap was seen: refused, as it should be
      }
      assert.deepEqual(fs.readdirSync(victim), [], `copy ${i} wrote into the host directory behind the symlink`);
    }
    assert.ok(copied + failed === 300);
  });

  it('the race is real: a copy that names its entries by path (as cp did before) does land in the host directory', () => {
    /** Makes the directory if missing, then writes its file by joined path: O_NOFOLLOW guards the last component only. */
    const byPath = (dir: string): void => {
      if (!fs.existsSync(dir)) fs.mkdirSync(dir);
      const fd = fs.openSync(path.join(dir, 'file'), fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
      fs.writeSync(fd, 'copied\n');
      fs.closeSync(fd);
    };
    let landed = false;
    for (let i = 0; i < 3000 && !landed; i++) {
      try {
        byPath(path.join(shared, 'payload'));
      } catch {
        // the swap made this one fail
      }
      landed = fs.readdirSync(victim).length > 0;
    }
    assert.ok(landed, 'within 3000 tries the by-path copy wrote through the symlink');
    fs.rmSync(victim, { recursive: true, force: true });
    fs.mkdirSync(victim);
  });
});
