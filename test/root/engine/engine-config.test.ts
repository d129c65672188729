/**
 * The engine's settings from engine.json ($TSC_COMPOSE_ROOT/engine.json for
 * the harness's isolated root), end to end: a bad file stops the start and
 * says where, `engine reload` and SIGHUP read it again (a bad file changes
 * nothing), registry-mirrors reach a running engine (the defect of issue
 * #11), pull reads the same settings, default-address-pools and log-opts
 * apply to new networks and containers, and a CLI whose override variable the
 * running engine lacks says so.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as net from 'node:net';
import { EngineHarness, until } from '../../support/engine-harness.js';
import { serveTestImages } from '../../support/test-images/serve.js';

/** Docker Hub in the engine's environment: a port nothing listens on, so only a mirror can serve an image. */
async function closedPortUrl(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

interface StoredContainer {
  service: string;
  logMaxSize?: number;
  logMaxFiles?: number;
}

describe('engine configuration (engine.json)', { timeout: 15 * 60_000 }, () => {
  let h: EngineHarness;
  let served: Awaited<ReturnType<typeof serveTestImages<'busybox'>>>;
  let hubEnv: Record<string, string>;
  let configFile: string;
  const writeConfig = (value: unknown): void => fs.writeFileSync(configFile, typeof value === 'string' ? value : JSON.stringify(value, null, 2));
  const status = (): string => h.ok(['engine', 'status']);
  const storedContainers = (project: string): StoredContainer[] => {
    const dir = path.join(h.state, 'engine', 'state', 'containers');
    return fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as StoredContainer & { project: string })
      .filter((c) => c.project === project);
  };

  before(async () => {
    h = await EngineHarness.create('engine-config');
    served = await serveTestImages({ images: ['busybox'] });
    hubEnv = { TSC_COMPOSE_DOCKER_HUB_ENDPOINT: await closedPortUrl() };
    configFile = path.join(h.state, 'engine.json');
  });
  after(async () => {
    for (const p of ['cfgpull', 'cfgnet1', 'cfgnet2', 'cfglogs']) h.cli(['-p', p, 'down', '-v']);
    await h.destroy();
    await served.stop();
  });

  it('a bad file stops the start: the CLI that started it and engine status say where, one line per problem', () => {
    writeConfig('{\n  "registry-mirror": ["http://127.0.0.1:5000"],\n  "log-opts": {"max-size": 10},\n  "userns-remap": "default"\n}\n');
    const r = h.cli(['ls'], { env: hubEnv });
    assert.equal(r.code, 1, r.stderr);
    assert.equal(
      r.stderr,
      [
        'the engine did not start:',
        `${configFile}:2:3 registry-mirror: unknown key "registry-mirror" (did you mean "registry-mirrors"?)`,
        `${configFile}:3:16 log-opts.max-size: must be a string such as "10m"`,
        `${configFile}:4:3 userns-remap: is not supported yet (containers do not run in user namespaces): remove the key`,
        '',
      ].join('\n'),
    );
    assert.equal(h.enginePid(), undefined);
    const s = h.cli(['engine', 'status']);
    assert.equal(s.code, 3);
    assert.match(s.stdout, /^engine: not running\nlast start failed \(.*\):\n {2}.*engine\.json:2:3 registry-mirror: unknown key/);
    assert.match(fs.readFileSync(path.join(h.state, 'engine', 'engine.log'), 'utf8'), /engine: .*engine\.json:4:3 userns-remap: is not supported yet/);

    writeConfig('{"registry-mirrors": ["http://127.0.0.1:5000"],}');
    const again = h.cli(['engine', 'reload'], { env: hubEnv });
    assert.equal(again.code, 1);
    assert.equal(again.stderr, `the engine did not start:\n${configFile}:1:48 trailing comma before }\n`);
  });

  it('the README defect: a mirror added to the file reaches the running engine on reload, and pull reads it too', () => {
    writeConfig({});
    h.ok(['engine', 'reload'], { env: hubEnv }); // starts the engine, with Docker Hub unreachable in its environment
    const pid = h.enginePid();
    assert.ok(pid);
    h.writeCompose('name: cfgpull\nservices:\n  box:\n    image: busybox\n    command: [sleep, "3600"]\n    stop_signal: SIGKILL\n', 'pull.yaml');
    const before = h.cli(['-f', 'pull.yaml', 'up', '-d']);
    assert.notEqual(before.code, 0);
    assert.match(before.stderr, /image "busybox" is not available locally and could not be pulled/);

    writeConfig({ 'registry-mirrors': [served.registry.url] });
    assert.equal(h.ok(['engine', 'reload']), `engine: reloaded ${configFile}: changed registry-mirrors\n`);
    assert.equal(h.enginePid(), pid);
    assert.match(status(), new RegExp(`\\n {2}registry-mirrors +\\["${served.registry.url.replace(/[.]/g, '\\.')}"\\] +file\\n`));
    // The CLI's own pull reads the same file (its environment has no Docker Hub either).
    h.ok(['-f', 'pull.yaml', 'pull'], { env: hubEnv });
    h.ok(['image', 'rm', 'busybox']);
    h.ok(['-f', 'pull.yaml', 'up', '-d']);
    assert.deepEqual(h.ps(['-f', 'pull.yaml']).map((c) => c.State), ['running']);
    h.ok(['-f', 'pull.yaml', 'down']);
  });

  it('a bad file on reload changes nothing: the error says where, status keeps the settings and shows the refusal', () => {
    const settingsPart = (text: string): string => text.slice(text.indexOf('\nsettings:')).split('last reload failed')[0] ?? '';
    const before = settingsPart(status());
    writeConfig('{"registry-mirrors": ["http://127.0.0.1:9"], "dns": ["one.one.one.one"]}');
    const r = h.cli(['engine', 'reload']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `${configFile}:1:54 dns.0: "one.one.one.one" must be an IP address, optionally with :port\nengine: settings not reloaded; the engine keeps the ones it had\n`);
    const after = status();
    assert.equal(settingsPart(after), before);
    assert.match(after, /registry-mirrors +\["http:\/\/127\.0\.0\.1:\d+"\] +file/);
    assert.doesNotMatch(after, /127\.0\.0\.1:9"/);
    assert.match(after, /last reload failed \(.*\); the settings above stayed:\n {2}.*engine\.json:1:54 dns\.0: "one\.one\.one\.one" must be an IP address/);
  });

  it('SIGHUP reads the file again, as engine reload does', async () => {
    const pid = h.enginePid();
    assert.ok(pid);
    writeConfig({ 'registry-mirrors': [served.registry.url, 'http://127.0.0.1:7'] });
    process.kill(pid, 'SIGHUP');
    await until('the engine to read the file after SIGHUP', () => status().includes(`"${served.registry.url}","http://127.0.0.1:7"`));
    assert.equal(h.enginePid(), pid);
    assert.doesNotMatch(status(), /last reload failed/);
    assert.match(fs.readFileSync(path.join(h.state, 'engine', 'engine.log'), 'utf8'), /settings reloaded \(SIGHUP\) from .*engine\.json: changed registry-mirrors/);
    // A bad file on SIGHUP: the engine keeps running with what it had.
    writeConfig('{"registry-mirrors": "http://127.0.0.1:7"}');
    process.kill(pid, 'SIGHUP');
    await until('the refused SIGHUP reload to show', () => /last reload failed/.test(status()));
    assert.equal(h.enginePid(), pid);
    assert.match(status(), /last reload failed .*\n {2}.*engine\.json:1:2 registry-mirrors: must be a list of registry URLs/);
    assert.ok(status().includes(`"${served.registry.url}","http://127.0.0.1:7"`));
  });

  it('default-address-pools: the next networks come from the configured pool, after a reload', () => {
    writeConfig({ 'registry-mirrors': [served.registry.url], 'default-address-pools': [{ base: '10.213.0.0/16', size: 24 }] });
    assert.match(h.ok(['engine', 'reload']), /changed registry-mirrors, default-address-pools/);
    const compose = (name: string): string => `name: ${name}\nservices:\n  box:\n    image: busybox:test\n    command: [sleep, "3600"]\n    stop_signal: SIGKILL\n`;
    h.writeCompose(compose('cfgnet1'), 'net1.yaml');
    h.writeCompose(compose('cfgnet2'), 'net2.yaml');
    h.ok(['-f', 'net1.yaml', 'up', '-d']);
    h.ok(['-f', 'net2.yaml', 'up', '-d']);
    const subnet = (network: string): string => (JSON.parse(h.ok(['network', 'inspect', network])) as Array<{ IPAM: { Subnet: string } }>)[0]?.IPAM.Subnet ?? '';
    const first = subnet('cfgnet1_default');
    const second = subnet('cfgnet2_default');
    assert.match(first, /^10\.213\.\d+\.0\/24$/);
    assert.match(second, /^10\.213\.\d+\.0\/24$/);
    assert.notEqual(first, second);
    h.ok(['-f', 'net1.yaml', 'down']);
    h.ok(['-f', 'net2.yaml', 'down']);
  });

  it("log-opts: defaults for services that say nothing, a service's own options win", () => {
    writeConfig({ 'log-opts': { 'max-size': '2m', 'max-file': '4' } });
    h.ok(['engine', 'reload']);
    h.writeCompose(
      [
        'name: cfglogs',
        'services:',
        '  plain:',
        '    image: busybox:test',
        '    command: [sleep, "3600"]',
        '    stop_signal: SIGKILL',
        '  own:',
        '    image: busybox:test',
        '    command: [sleep, "3600"]',
        '    stop_signal: SIGKILL',
        '    logging:',
        '      options: {max-size: 1k}',
        '',
      ].join('\n'),
      'logs.yaml',
    );
    h.ok(['-f', 'logs.yaml', 'up', '-d']);
    const byService = Object.fromEntries(storedContainers('cfglogs').map((c) => [c.service, [c.logMaxSize, c.logMaxFiles]]));
    assert.deepEqual(byService, { plain: [2 * 1024 * 1024, 4], own: [1024, 4] });
    h.ok(['-f', 'logs.yaml', 'down']);
  });

  it('an override variable set in the CLI that the running engine lacks: one warning line', () => {
    writeConfig({ 'registry-mirrors': [served.registry.url] });
    h.ok(['engine', 'reload']);
    const r = h.cli(['ls'], { env: { TSC_COMPOSE_REGISTRY_MIRRORS: 'http://127.0.0.1:5999' } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stderr,
      `WARN[0000] TSC_COMPOSE_REGISTRY_MIRRORS is set here but the running engine uses registry-mirrors ["${served.registry.url}"] from ${configFile}: put it there and run 'tsc-compose engine reload'\n`,
    );
    // The same value as the engine's is no mismatch.
    assert.equal(h.cli(['ls'], { env: { TSC_COMPOSE_REGISTRY_MIRRORS: served.registry.url } }).stderr, '');
  });

  it('without a file the engine runs on defaults, and says where it looked', () => {
    fs.rmSync(configFile);
    assert.equal(h.ok(['engine', 'reload']), `engine: reloaded defaults (no ${configFile}): changed registry-mirrors\n`);
    const s = status();
    assert.ok(s.includes(`config: ${configFile} (absent: defaults)`), s);
    assert.match(s, /\n {2}registry-mirrors +\[\] +default\n/);
    assert.match(s, /\n {2}dns +\[\] +environment \(TSC_COMPOSE_DNS_UPSTREAMS\)\n/);
  });
});
