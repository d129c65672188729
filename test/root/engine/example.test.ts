/**
 * The README's example stack end to end: postgres + redis + a Node app from
 * the local registry standing in for Docker Hub (a mirror in the engine's
 * engine.json), the unchanged compose file; then the README's first command,
 * run-offline.sh, with an engine already running from an earlier command,
 * after `engine stop`, and failing, each time leaving engine.json as it was.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { EngineHarness } from '../../support/engine-harness.js';
import { REPO_ROOT } from '../../support/paths.js';
import { serveTestImages } from '../../support/test-images/serve.js';

const COMPOSE = path.join(REPO_ROOT, 'examples', 'node-postgres-redis', 'compose.yaml');

async function get(url: string): Promise<{ status: number; body: string } | undefined> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(3000) });
    return { status: r.status, body: await r.text() };
  } catch {
    return undefined;
  }
}

describe('example: node-postgres-redis', () => {
  let h: EngineHarness;
  let served: Awaited<ReturnType<typeof serveTestImages<'postgres' | 'redis' | 'node'>>>;
  const compose = (args: string[]): string => h.ok(['-f', COMPOSE, ...args]);

  before(async () => {
    h = await EngineHarness.create('example');
    served = await serveTestImages({ images: ['postgres', 'redis', 'node'] });
    fs.writeFileSync(path.join(h.state, 'engine.json'), JSON.stringify({ 'registry-mirrors': [served.registry.url] }));
  });
  after(async () => {
    h.cli(['-f', COMPOSE, 'down', '-v']);
    await h.destroy();
    await served.stop();
  });

  it('up -d --wait pulls through the mirror and the app answers with a growing counter', async () => {
    compose(['up', '-d', '--wait']);
    assert.deepEqual(h.ps(['-f', COMPOSE]).map((c) => [c.Service, c.State, c.Health]).sort(), [['app', 'running', 'healthy'], ['cache', 'running', 'healthy'], ['db', 'running', 'healthy']]);
    const a = await get('http://127.0.0.1:8080/');
    assert.ok(a, 'app answers');
    assert.equal(a.status, 200, a.body);
    const b = await get('http://127.0.0.1:8080/');
    const count = (t: string): number => Number(/visits[^0-9]*(\d+)/i.exec(t)?.[1]);
    assert.ok(b && count(b.body) === count(a.body) + 1, `${a.body} then ${b?.body}`);
  });

  it('kill -9 of the app PID 1 is followed by a restart, and it answers again', async () => {
    const app = JSON.parse(compose(['ps', '-a', '--format', 'json', 'app']).trim()) as { Pid: number };
    process.kill(app.Pid, 'SIGKILL');
    const started = Date.now();
    let answer: { status: number; body: string } | undefined;
    for (let i = 0; i < 300 && !(answer && answer.status === 200); i++) {
      await sleep(50);
      const now = JSON.parse(compose(['ps', '-a', '--format', 'json', 'app']).trim()) as { Pid: number };
      if (now.Pid !== app.Pid && now.Pid > 0) answer = await get('http://127.0.0.1:8080/');
    }
    assert.equal(answer?.status, 200, `answered again after ${Date.now() - started} ms`);
  });

  it('postgres data survives down + up and is gone after down -v', () => {
    compose(['exec', '-T', 'db', 'psql', '-U', 'app', '-d', 'app', '-c', 'CREATE TABLE kept (v int); INSERT INTO kept VALUES (42);']);
    compose(['down']);
    compose(['up', '-d', '--wait']);
    assert.match(compose(['exec', '-T', 'db', 'psql', '-U', 'app', '-d', 'app', '-tAc', 'SELECT v FROM kept']), /42/);
    compose(['down', '-v']);
    compose(['up', '-d', '--wait']);
    const r = h.cli(['-f', COMPOSE, 'exec', '-T', 'db', 'psql', '-U', 'app', '-d', 'app', '-tAc', 'SELECT v FROM kept']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr + r.stdout, /does not exist/);
  });
});

const SCRIPT = path.join(REPO_ROOT, 'examples', 'node-postgres-redis', 'run-offline.sh');

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("the README's first command: run-offline.sh", { timeout: 30 * 60_000 }, () => {
  let h: EngineHarness;
  let configFile: string;
  const runScript = async (): Promise<{ code: number | null; stdout: string; stderr: string }> => {
    const r = spawnSync('bash', [SCRIPT], { cwd: h.projectDir, env: h.env({ MIRROR_PORT: String(await freePort()) }), encoding: 'utf8', timeout: 25 * 60_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const down = (): void => {
    h.cli(['-f', COMPOSE, 'down', '-v']);
  };
  const logRotation = (): Record<string, [number | undefined, number | undefined]> => {
    const dir = path.join(h.state, 'engine', 'state', 'containers');
    const records = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as { service: string; logMaxSize?: number; logMaxFiles?: number });
    return Object.fromEntries(records.map((c) => [c.service, [c.logMaxSize, c.logMaxFiles]]));
  };

  before(async () => {
    h = await EngineHarness.create('run-offline');
    configFile = path.join(h.state, 'engine.json');
  });
  after(async () => {
    down();
    await h.destroy();
  });

  it('with an engine already running from an earlier command: the user\'s settings kept during the run, the file restored after', async () => {
    const original = '{\n  "log-opts": {"max-size": "5m", "max-file": "2"}\n}\n';
    fs.writeFileSync(configFile, original, { mode: 0o600 });
    const mtime = fs.statSync(configFile).mtimeMs;
    h.ok(['ls']); // any command starts the engine, without the mirror
    const pid = h.enginePid();
    assert.ok(pid);
    const r = await runScript();
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /Hello from tsc-compose! visits=\d+ postgres-time=/);
    assert.equal(h.enginePid(), pid, 'the running engine was reloaded, not replaced');
    assert.equal(fs.readFileSync(configFile, 'utf8'), original);
    assert.equal(fs.statSync(configFile).mode & 0o777, 0o600);
    assert.equal(fs.statSync(configFile).mtimeMs, mtime);
    // The merged file kept the user's log-opts for the containers made meanwhile; the engine is back on the user's file.
    assert.deepEqual(logRotation(), { db: [5 * 1024 * 1024, 2], cache: [5 * 1024 * 1024, 2], app: [5 * 1024 * 1024, 2] });
    const status = h.ok(['engine', 'status']);
    assert.match(status, /\n {2}registry-mirrors +\[\] +default\n/);
    assert.match(status, /\n {2}log-opts +\{"max-size":"5m","max-file":"2"\} +file\n/);
    down();
  });

  it('after engine stop, with no engine.json: the script starts the engine and removes the file it wrote', async () => {
    h.ok(['engine', 'stop']);
    assert.equal(h.enginePid(), undefined);
    fs.rmSync(configFile);
    const r = await runScript();
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /Hello from tsc-compose! visits=1 postgres-time=/);
    assert.equal(fs.existsSync(configFile), false);
    assert.ok(h.enginePid());
    assert.match(h.ok(['engine', 'status']), /\n {2}registry-mirrors +\[\] +default\n/);
    down();
  });

  it('a run that fails (the app\'s port is taken) restores the file too', async () => {
    const original = '{"insecure-registries": ["registry.lan:5000"]}';
    fs.writeFileSync(configFile, original);
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(8080, '127.0.0.1', resolve));
    try {
      const r = await runScript();
      assert.notEqual(r.code, 0, r.stdout);
      assert.match(r.stderr, /8080/);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
    assert.equal(fs.readFileSync(configFile, 'utf8'), original);
    const status = h.ok(['engine', 'status']);
    assert.match(status, /\n {2}registry-mirrors +\[\] +default\n/);
    assert.match(status, /\n {2}insecure-registries +\["registry\.lan:5000"\] +file\n/);
    down();
  });
});
