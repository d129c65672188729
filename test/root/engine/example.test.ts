/**
 * The README's example stack end to end: postgres + redis + a Node app from
 * the local registry standing in for Docker Hub, the unchanged compose file.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
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
  let env: Record<string, string>;
  const compose = (args: string[]): string => h.ok(['-f', COMPOSE, ...args], { env });

  before(async () => {
    h = await EngineHarness.create('example');
    served = await serveTestImages({ images: ['postgres', 'redis', 'node'] });
    env = { TSC_COMPOSE_REGISTRY_MIRRORS: served.registry.url };
  });
  after(async () => {
    h.cli(['-f', COMPOSE, 'down', '-v'], { env });
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
    const r = h.cli(['-f', COMPOSE, 'exec', '-T', 'db', 'psql', '-U', 'app', '-d', 'app', '-tAc', 'SELECT v FROM kept'], { env });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr + r.stdout, /does not exist/);
  });
});
