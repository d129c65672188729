/** Loader phases on small in-memory projects: merge rules, extends, include, canonical forms, graph. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { memoryReader } from '../../support/memory-reader.js';
import { loadProject } from '../../../src/compose/loader.js';
import type { LoadResult } from '../../../src/compose/loader.js';
import { DependencyGraph } from '../../../src/graph/dependency-graph.js';
import { parseDuration, formatDuration } from '../../../src/util/duration.js';
import { parseBytes } from '../../../src/util/bytes.js';

function load(files: Record<string, string>, configFiles = ['/p/compose.yaml'], env: Record<string, string> = {}, profiles: string[] = []): LoadResult {
  return loadProject(
    { configFiles, workingDir: '/p', explicitName: 'p', environment: new Map(Object.entries(env)), envFiles: [], profiles, warnings: [] },
    { reader: memoryReader(files), homeDir: '/home/u', shellEnv: new Map(Object.entries(env)) },
  );
}
const svc = (r: LoadResult, name: string): any => (r.project.services as any)[name];

it('merges override files by the spec rules', () => {
  const r = load(
    {
      '/p/compose.yaml': `services:
  web:
    image: a
    command: [a, b]
    environment: [A=1, B=1]
    labels: {x: "1"}
    ports: ["8080:80", "9090:90"]
    volumes: ["./d:/data", "logs:/logs"]
    depends_on: [db]
    dns: [1.1.1.1]
    healthcheck: {test: [CMD, a], interval: 5s}
  db: {image: postgres}
volumes: {logs: {}}
`,
      '/p/override.yaml': `services:
  web:
    command: [c]
    environment: {B: "2", C: "3"}
    labels: ["y=2"]
    ports: ["8080:80", {target: 443, published: "8443"}]
    volumes: ["./other:/data:ro"]
    depends_on: {cache: {condition: service_healthy}}
    dns: [1.1.1.1, 8.8.8.8]
    healthcheck: {test: [CMD, b]}
  cache: {image: redis}
`,
    },
    ['/p/compose.yaml', '/p/override.yaml'],
  );
  const web = svc(r, 'web');
  assert.deepEqual(web.command, ['c']);
  assert.deepEqual(web.environment, { A: '1', B: '2', C: '3' });
  assert.deepEqual(web.labels, { x: '1', y: '2' });
  assert.deepEqual(web.ports.map((p: any) => `${p.published}:${p.target}`), ['8080:80', '9090:90', '8443:443']);
  assert.deepEqual(web.volumes.map((v: any) => `${v.source}:${v.target}:${v.read_only ?? false}`), ['/p/other:/data:true', 'logs:/logs:false']);
  assert.deepEqual(Object.keys(web.depends_on), ['db', 'cache']);
  assert.equal(web.depends_on.cache.condition, 'service_healthy');
  assert.deepEqual(web.dns, ['1.1.1.1', '8.8.8.8']);
  assert.deepEqual(web.healthcheck, { test: ['CMD', 'b'], interval: '5s' });
});

it('!reset removes and !override replaces while merging', () => {
  const r = load(
    {
      '/p/compose.yaml': 'services:\n  web:\n    image: a\n    ports: ["80:80"]\n    environment: {A: "1", B: "1"}\n  gone: {image: x}\n',
      '/p/o.yaml': 'services:\n  web:\n    ports: !override ["81:81"]\n    environment:\n      B: !reset null\n  gone: !reset\n',
    },
    ['/p/compose.yaml', '/p/o.yaml'],
  );
  assert.deepEqual(svc(r, 'web').ports.map((p: any) => p.published), ['81']);
  assert.deepEqual(svc(r, 'web').environment, { A: '1' });
  assert.equal(svc(r, 'gone'), undefined);
});

it('extends from the same file and another file, nested, with paths against the base file', () => {
  const r = load({
    '/p/compose.yaml': 'services:\n  web:\n    extends: {file: lib/base.yaml, service: app}\n    environment: {MODE: web}\n  worker:\n    extends: web\n    command: work\n',
    '/p/lib/base.yaml': 'services:\n  app:\n    extends: root\n    build: ./ctx\n    environment: {MODE: base, KEEP: "1"}\n  root:\n    image: busybox\n    volumes: ["./data:/data"]\n',
  });
  const web = svc(r, 'web');
  assert.equal(web.image, 'busybox');
  assert.equal(web.build.context, '/p/lib/ctx');
  assert.equal(web.volumes[0].source, '/p/lib/data');
  assert.deepEqual(web.environment, { MODE: 'web', KEEP: '1' });
  assert.deepEqual(svc(r, 'worker').command, ['work']);
  assert.equal(svc(r, 'worker').extends, undefined);
  assert.throws(() => load({ '/p/compose.yaml': 'services:\n  a: {extends: b}\n  b: {extends: a}\n' }), /circular reference with extends/);
  assert.throws(() => load({ '/p/compose.yaml': 'services:\n  a: {extends: nope}\n' }), /cannot extend service "a"/);
});

it('include: sub-projects with their own directory and env, conflicts and cycles', () => {
  const r = load({
    '/p/compose.yaml': 'include:\n  - sub/compose.yaml\nservices:\n  web: {image: x, depends_on: [db]}\n',
    '/p/sub/compose.yaml': 'services:\n  db:\n    image: "postgres:${PGTAG}"\n    volumes: ["./init:/docker-entrypoint-initdb.d"]\n',
    '/p/sub/.env': 'PGTAG=16\n',
  });
  assert.equal(svc(r, 'db').image, 'postgres:16');
  assert.equal(svc(r, 'db').volumes[0].source, '/p/sub/init');
  assert.throws(
    () => load({ '/p/compose.yaml': 'include: [a.yaml]\nservices: {}\n', '/p/a.yaml': 'include: [compose.yaml]\nservices: {}\n' }),
    /include cycle detected: \/p\/compose\.yaml -> \/p\/a\.yaml -> \/p\/compose\.yaml/,
  );
  assert.throws(
    () => load({ '/p/compose.yaml': 'include: [a.yaml]\nservices: {db: {image: y}}\n', '/p/a.yaml': 'services: {db: {image: z}}\n' }),
    /services\.db conflicts with imported resource/,
  );
});

it('canonical forms: ports, volumes, env_file, command, durations, sizes', () => {
  const r = load(
    {
      '/p/compose.yaml': `services:
  web:
    image: x
    command: sh -c "echo 'hi there'"
    ports: ["127.0.0.1:8000-8001:80-81/udp", "[::1]:9000:90", 3000]
    volumes: ["~/cfg:/cfg:ro,z", "named:/n:nocopy", "/anon"]
    env_file: [a.env, {path: missing.env, required: false}]
    environment: [FROM_SHELL, UNSET_ONE, "LIT=x"]
    healthcheck: {test: "curl -f x", interval: 90s, timeout: 1500ms, retries: "3"}
    mem_limit: 512m
    cpus: "0.5"
    ulimits: {nofile: 1024}
    stop_grace_period: 1m
    extra_hosts: {host.docker.internal: host-gateway}
volumes: {named: {}}
`,
      '/p/a.env': 'FROM_FILE=1\nLIT=file\n',
    },
    ['/p/compose.yaml'],
    { FROM_SHELL: 'shell' },
  );
  const web = svc(r, 'web');
  assert.deepEqual(web.command, ['sh', '-c', "echo 'hi there'"]);
  assert.deepEqual(web.ports, [
    { mode: 'ingress', host_ip: '127.0.0.1', target: 80, published: '8000', protocol: 'udp' },
    { mode: 'ingress', host_ip: '127.0.0.1', target: 81, published: '8001', protocol: 'udp' },
    { mode: 'ingress', host_ip: '::1', target: 90, published: '9000', protocol: 'tcp' },
    { mode: 'ingress', target: 3000, protocol: 'tcp' },
  ]);
  assert.deepEqual(web.volumes, [
    { type: 'bind', source: '/home/u/cfg', target: '/cfg', read_only: true, bind: { create_host_path: true, selinux: 'z' } },
    { type: 'volume', source: 'named', target: '/n', volume: { nocopy: true } },
    { type: 'volume', target: '/anon', volume: {} },
  ]);
  assert.deepEqual(web.environment, { FROM_FILE: '1', LIT: 'x', FROM_SHELL: 'shell' });
  assert.deepEqual(web.healthcheck, { test: ['CMD-SHELL', 'curl -f x'], interval: '1m30s', timeout: '1.5s', retries: 3 });
  assert.equal(web.mem_limit, 512 * 1024 * 1024);
  assert.equal(web.cpus, 0.5);
  assert.equal(web.stop_grace_period, '1m0s');
  assert.deepEqual(web.extra_hosts, ['host.docker.internal=host-gateway']);
  assert.deepEqual(web.networks, { default: null });
  assert.equal((r.project.networks as any).default.name, 'p_default');
  assert.equal((r.project.volumes as any).named.name, 'p_named');
  assert.throws(
    () => load({ '/p/compose.yaml': 'services:\n  w: {image: x, ports: ["80:eighty"]}\n' }),
    (err: any) => /compose\.yaml:2:25 services\.w\.ports\.0 invalid containerPort: eighty/.test(err.format()),
  );
  assert.throws(() => load({ '/p/compose.yaml': 'services:\n  w: {image: x, env_file: [nope.env]}\n' }), /env file \/p\/nope\.env not found/);
  assert.throws(() => load({ '/p/compose.yaml': 'services:\n  w: {image: x, mem_limit: 1g, deploy: {resources: {limits: {memory: 2g}}}}\n' }), /conflicts with deploy\.resources\.limits\.memory/);
});

it('profiles: inactive services are left out, named services and their dependencies come in', () => {
  const files = { '/p/compose.yaml': 'services:\n  web: {image: x}\n  dbg: {image: y, profiles: [debug], depends_on: [helper]}\n  helper: {image: z, profiles: [tools]}\n' };
  assert.deepEqual(Object.keys(load(files).project.services), ['web']);
  assert.throws(() => load(files, undefined, {}, ['debug']), /service "helper" is required by "dbg" but is disabled/);
  assert.deepEqual(Object.keys(load(files, undefined, {}, ['*']).project.services).sort(), ['dbg', 'helper', 'web']);
});

it('the dependency graph: levels, stop order, cycles, closures', () => {
  const g = new DependencyGraph({
    web: { depends_on: { api: {}, cache: {} } },
    api: { depends_on: { db: {} }, links: ['cache:c'] },
    cache: {},
    db: {},
    side: { network_mode: 'service:web' },
  });
  assert.deepEqual(g.startLevels(), [['cache', 'db'], ['api'], ['web'], ['side']]);
  assert.deepEqual(g.stopOrder()[0], ['side']);
  assert.deepEqual(g.dependenciesOf('web', { transitive: true }), ['api', 'cache', 'db']);
  assert.deepEqual(g.dependentsOf('db', { transitive: true }), ['web', 'api', 'side']);
  assert.deepEqual(g.withDependencies(['api']), ['api', 'cache', 'db']);
  const cyclic = new DependencyGraph({ a: { depends_on: { b: {} } }, b: { depends_on: { c: {} } }, c: { depends_on: { a: {} } } });
  assert.match(cyclic.findCycle()?.message ?? '', /dependency cycle detected: a -> b -> c -> a/);
  assert.match(new DependencyGraph({ s: { depends_on: { s: {} } } }).findCycle()?.message ?? '', /s -> s/);
});

it('durations and sizes', () => {
  assert.equal(parseDuration('1m30s'), 90_000);
  assert.equal(parseDuration('1.5h'), 5_400_000);
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('10'), 10_000);
  assert.equal(parseDuration('1x'), undefined);
  assert.equal(formatDuration(90_000), '1m30s');
  assert.equal(formatDuration(3_600_000), '1h0m0s');
  assert.equal(formatDuration(200), '200ms');
  assert.equal(parseBytes('512m'), 536870912);
  assert.equal(parseBytes('1.5GB'), 1610612736);
  assert.equal(parseBytes('100'), 100);
  assert.equal(parseBytes('12x'), undefined);
});
