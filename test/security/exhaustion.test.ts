/**
 * Exhaustion attempts (issue #12, wall 10): a container that writes as fast as
 * it can, followed by a client that does not read, must not grow the engine,
 * which supervises every project (its health checks, DNS and restarts would
 * go down with it). Measured before this wall: a `yes` service followed by a
 * stalled `logs -f` grew the engine from 71 MB to 2.3 GB in 20 s until V8 gave
 * up ("JavaScript heap out of memory").
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EngineHarness } from '../support/engine-harness.js';

const COMPOSE = `name: chatty
services:
  yes:
    image: busybox:test
    command: [yes, "a line that fills the log as fast as the monitor can write it"]
    stop_signal: SIGKILL
    logging:
      options: {max-size: 20m, max-file: "2"}
`;

function residentBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) * 1024;
}

describe('security: a chatty container and a stalled reader cannot grow the engine', () => {
  let h: EngineHarness;
  before(async () => {
    h = await EngineHarness.create('chatty');
    h.writeCompose(COMPOSE);
    h.ok(['up', '-d']);
  });
  after(async () => {
    await h.destroy();
  });

  it('tried: `logs -f` of a `yes` service by a client that stops reading — the engine stays within a few MB', async () => {
    const pid = h.enginePid();
    assert.ok(pid);
    await sleep(1000);
    const before = residentBytes(pid);
    // A client of the engine's API that asks to follow the logs and then never reads a byte.
    const socket = net.connect(path.join(h.state, 'run', 'engine.sock'));
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    socket.write('GET /v1/logs?project=chatty&follow=1 HTTP/1.1\r\nHost: engine\r\n\r\n');
    socket.pause();
    let peak = before;
    for (let i = 0; i < 20; i++) {
      await sleep(500);
      peak = Math.max(peak, residentBytes(pid));
    }
    socket.destroy();
    const logDir = path.dirname(h.runtime().paths(h.ps().find((c) => c.Service === 'yes')?.ID ?? '').log);
    const written = fs.readdirSync(logDir).filter((f) => f.startsWith('container.log')).reduce((n, f) => n + fs.statSync(path.join(logDir, f)).size, 0);
    assert.ok(written > 20 * 1024 * 1024, `the container did write a lot meanwhile (${(written / 1048576).toFixed(0)} MB in its log files)`);
    const growth = peak - before;
    assert.ok(growth < 30 * 1024 * 1024, `engine grew by ${(growth / 1048576).toFixed(1)} MB while the client did not read`);
  });
});
