/**
 * The engine killed (kill -9) in the middle of `down`: the CLI says the engine
 * stopped, where its log is, and that the command can be run again (no
 * "internal error", no stack trace); the second `down` removes everything.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EngineHarness, until } from '../../support/engine-harness.js';

const STACK = `name: gone
services:
  quick:
    image: busybox:test
    command: [sleep, "3600"]
    stop_signal: SIGKILL
  stubborn:
    image: busybox:test
    # Sees SIGTERM (says so in its log) and keeps running: down waits out the grace period.
    command: [sh, -c, "trap 'echo got-term' TERM; echo ready; while true; do sleep 0.1; done"]
    stop_grace_period: 600s
`;

describe('engine killed during down', () => {
  let h: EngineHarness;
  before(async () => {
    h = await EngineHarness.create('gone');
  });
  after(async () => {
    h.cli(['-p', 'gone', 'down', '-t', '0']);
    await h.destroy();
  });

  it('says the engine stopped and where its log is; down again converges', { timeout: 120_000 }, async () => {
    h.writeCompose(STACK);
    h.ok(['up', '-d']);
    const networks = JSON.parse(`[${h.ok(['network', 'ls', '--format', 'json']).trim().split('\n').join(',')}]`) as Array<{ Name: string; Bridge: string }>;
    const bridge = networks.find((n) => n.Name === 'gone_default')?.Bridge;
    assert.ok(bridge, 'the project network exists');
    const runtime = h.runtime();
    const stubborn = runtime.list().find((c) => c.name === 'gone-stubborn-1');
    assert.ok(stubborn);
    const log = runtime.paths(stubborn.id).log;

    const down = h.cliAsync(['--progress', 'plain', 'down']);
    await until('stubborn got SIGTERM from down', () => fs.existsSync(log) && fs.readFileSync(log, 'utf8').includes('got-term'));
    const pid = h.enginePid();
    assert.ok(pid);
    process.kill(pid, 'SIGKILL');
    const first = await down.done;

    assert.equal(first.code, 1, first.stderr);
    assert.match(first.stderr, /the tsc-compose engine stopped while this command was running/);
    assert.ok(first.stderr.includes(path.join(h.state, 'engine', 'engine.log')), first.stderr);
    assert.match(first.stderr, /run the command again/);
    assert.doesNotMatch(first.stderr, /internal error|This is a bug|other side closed/);
    assert.doesNotMatch(first.stderr, /\n\s+at /, 'no stack trace');

    const second = h.cli(['down', '-t', '0']);
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(h.ps(), [], 'no container of the project');
    assert.deepEqual(runtime.list(), [], 'no container in the state root');
    assert.equal(h.ok(['network', 'ls', '-q']), '', 'no network');
    assert.equal(fs.existsSync(`/sys/class/net/${bridge}`), false, 'the bridge is gone');
  });
});
