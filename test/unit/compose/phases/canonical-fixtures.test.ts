/**
 * The canonical facts CASES.tsv names for the shared fixtures, through the
 * whole loader (files on disk): compose-go's full example, env_file order and
 * forms, ports, long volumes, ulimits, port and expose ranges.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FIXTURES_DIR, sharedAvailable } from '../../../support/paths.js';
import { loadForTest } from '../../../support/load.js';
import type { LoadResult } from '../../../../src/compose/loader.js';
import { runCanonical, serviceOf } from '../../../support/canonical.js';
import { toCanonical } from '../../../../src/compose/phases/canonical.js';
import { applyDefaults } from '../../../../src/compose/phases/model-check.js';
import { PositionTable } from '../../../../src/compose/positions.js';
import { createFsReader } from '../../../../src/cli/fs-reader.js';
import type { ComposeTree, LoadContext } from '../../../../src/compose/context.js';
import type { ServiceConfig } from '../../../../src/compose/model.js';

const available = sharedAvailable();
const dirOf = (rel: string): string => path.join(FIXTURES_DIR, rel);

function load(rel: string, file: string, env: Record<string, string> = {}, skipConsistency = false): LoadResult {
  const cwd = dirOf(rel);
  return loadForTest({ cwd, files: [path.join(cwd, file)], env }, { skipConsistency });
}

function svc(r: LoadResult, name: string): ServiceConfig {
  const found = r.project.services[name];
  assert.ok(found, `no service ${name}`);
  return found;
}

/** An entry of a map the test knows is there. */
function entry<T>(map: Record<string, T> | undefined, key: string): T {
  assert.ok(map && Object.hasOwn(map, key), `no ${key}`);
  return map[key] as T;
}

describe('shared fixtures, canonical facts', { skip: !available && 'shared fixtures not present' }, () => {
  it('cg-full-example loads and canonicalizes like compose-go', () => {
    const dir = dirOf('compose-go/cg-full-example');
    const r = load('compose-go/cg-full-example', 'full-example.yml', { QUX: 'qux_from_environment' }, true);
    assert.equal(r.project.name, 'full_example_project_name');
    const foo = svc(r, 'foo');
    assert.deepEqual(foo.command, ['bundle', 'exec', 'thin', '-p', '3000']);
    assert.deepEqual(foo.environment, {
      FOO: 'foo_from_env_file',
      'ENV.WITH.DOT': 'ok',
      ENV_WITH_UNDERSCORE: 'ok',
      BAR: 'bar_from_env_file_2',
      BAZ: 'baz_from_service_def',
      QUX: 'qux_from_environment',
    });
    assert.deepEqual(foo.env_file, [
      { path: `${dir}/example1.env`, required: true },
      { path: `${dir}/example2.env`, required: false },
    ]);
    assert.deepEqual(foo.labels, {
      FOO: 'foo_from_label_file',
      'LABEL.WITH.DOT': 'ok',
      LABEL_WITH_UNDERSCORE: 'ok',
      BAR: 'bar_from_label_file_2',
      BAZ: 'baz_from_label_file',
      QUX: 'quz_from_label_file_2',
      'com.example.description': 'Accounting webapp',
      'com.example.number': '42',
      'com.example.empty-label': '',
    });
    assert.equal(foo.ports?.length, 22);
    assert.deepEqual(foo.ports?.slice(0, 2), [
      { mode: 'ingress', target: 3000, protocol: 'tcp' },
      { mode: 'ingress', target: 3001, protocol: 'tcp' },
    ]);
    assert.deepEqual(foo.ports?.[7], { mode: 'ingress', target: 8080, published: '9090', protocol: 'tcp' });
    assert.deepEqual(foo.ports?.[21], { mode: 'ingress', host_ip: '127.0.0.1', target: 5010, published: '5010', protocol: 'tcp' });
    assert.deepEqual(foo.expose, ['3000', '8000']);
    assert.deepEqual(foo.extra_hosts, ['otherhost=50.31.209.229', 'somehost=162.242.195.82']);
    assert.deepEqual(foo.healthcheck, {
      test: ['CMD-SHELL', 'echo "hello world"'],
      interval: '10s',
      timeout: '1s',
      retries: 5,
      start_period: '15s',
      start_interval: '5s',
    });
    assert.deepEqual(foo.deploy?.resources, {
      limits: { cpus: 0.001, memory: 52_428_800 },
      reservations: {
        cpus: 0.0001,
        memory: 20_971_520,
        generic_resources: [{ discrete_resource_spec: { kind: 'gpu', value: 2 } }, { discrete_resource_spec: { kind: 'ssd', value: 1 } }],
      },
    });
    assert.deepEqual(foo.deploy?.restart_policy, { condition: 'on-failure', delay: '5s', max_attempts: 3, window: '2m0s' });
    assert.equal(foo.deploy?.update_config?.monitor, '1m0s');
    assert.deepEqual(foo.ulimits, { nproc: { soft: 65535, hard: 65535 }, nofile: { soft: 20000, hard: 40000 } });
    assert.deepEqual(foo.volumes?.[0], { type: 'volume', target: '/var/lib/anonymous', volume: {} });
    assert.deepEqual(foo.volumes?.[2], { type: 'bind', source: dir, target: '/code', bind: { create_host_path: true } });
    assert.deepEqual(foo.volumes?.[6], { type: 'bind', source: `${dir}/opt`, target: '/opt/cached', consistency: 'cached' });
    assert.deepEqual(foo.volumes?.[7], { type: 'tmpfs', target: '/opt/tmpfs', tmpfs: { size: 10000 } });
    assert.deepEqual(foo.secrets?.[0], { source: 'secret1', target: '/run/secrets/secret1' });
    assert.deepEqual(foo.depends_on, { db: { condition: 'service_started', required: true }, redis: { condition: 'service_started', required: true } });
    assert.equal(foo.networks?.['other-other-network'], null);
    assert.equal(foo.stop_grace_period, '20s');
    assert.deepEqual(foo.sysctls, { 'net.core.somaxconn': '1024', 'net.ipv4.tcp_syncookies': '0' });
    assert.equal(foo['x-foo'], 'bar');
    assert.deepEqual(svc(r, 'bar').build, { context: dir, dockerfile_inline: 'FROM alpine\nRUN echo "hello" > /world.txt\n' });
    // foo has network_mode, bar joins the default network.
    assert.deepEqual(svc(r, 'bar').networks, { default: null });
    assert.equal(foo.networks?.default, undefined);
    const networks = r.project.networks;
    assert.deepEqual(networks['other-external-network'], { external: true, name: 'my-cool-network', 'x-bar': 'baz', 'x-foo': 'bar' });
    assert.deepEqual(networks['external-network'], { external: true, name: 'external-network' });
    assert.equal(entry(networks, 'some-network').name, 'full_example_project_name_some-network');
    assert.equal(entry(networks, 'default').name, 'full_example_project_name_default');
    assert.deepEqual(entry(networks, 'other-network').driver_opts, { foo: 'bar', baz: '1' });
    const volumes = r.project.volumes;
    assert.deepEqual(volumes['other-external-volume'], { external: true, name: 'my-cool-volume' });
    assert.equal(entry(volumes, 'another-volume').name, 'user_specified_name');
    assert.deepEqual(entry(r.project.secrets, 'secret2'), { external: true, name: 'my_secret' });
    assert.equal(entry(r.project.configs, 'config4').file, path.join(os.homedir(), 'config_data'));
  });

  it('canonical output is a fixed point: canonicalizing it again changes nothing', () => {
    const r = load('compose-go/cg-full-example', 'full-example.yml', { QUX: 'q' }, true);
    const ctx: LoadContext = { reader: createFsReader(), positions: new PositionTable(), warnings: [], homeDir: os.homedir() };
    const once = JSON.parse(JSON.stringify(r.project)) as ComposeTree;
    const twice = applyDefaults(toCanonical(structuredClone(once), ctx, { lookup: (n) => (n === 'QUX' ? 'q' : undefined) }), {
      projectName: r.project.name,
      workingDir: dirOf('compose-go/cg-full-example'),
    });
    assert.deepEqual(JSON.parse(JSON.stringify(twice)), once);
  });

  it('cg-full-example: QUX unset hides the env_file value, as compose-go overrides it with null', () => {
    const r = load('compose-go/cg-full-example', 'full-example.yml', {}, true);
    const environment = svc(r, 'foo').environment;
    assert.ok(environment);
    assert.equal(environment['QUX'], undefined);
  });

  it('cg-cli-env-file: later env_file entries override earlier ones; .env feeds ${PORT}', () => {
    const one = load('compose-go/cg-cli-env-file', 'compose-with-env-file.yaml');
    assert.deepEqual(svc(one, 'simple').environment, { DEFAULT_PORT: '8080' });
    const two = load('compose-go/cg-cli-env-file', 'compose-with-env-files.yaml');
    assert.deepEqual(svc(two, 'simple').environment, { DEFAULT_PORT: '9090' });
    assert.deepEqual(svc(two, 'simple').ports, [{ mode: 'ingress', target: 80, published: '8000', protocol: 'tcp' }]);
  });

  it('pc-env-file-variants: string, list and object forms, optional files, .env precedence', () => {
    const rel = 'podman-compose/pc-env-file-variants/project';
    const env = (file: string): unknown => svc(load(rel, file), 'app').environment;
    const project1 = { ZZVAR1: 'podman-rocks-123', ZZVAR2: 'podman-rocks-124', ZZVAR3: 'podman-rocks-125' };
    assert.deepEqual(env('container-compose.env-file-flat.yaml'), project1);
    assert.deepEqual(env('container-compose.env-file-obj.yaml'), project1);
    assert.deepEqual(env('container-compose.env-file-obj-optional-missing.yaml'), project1);
    assert.deepEqual(env('container-compose.env-file-obj-optional-exists.yaml'), { ZZVAR1: 'podman-rocks-223', ZZVAR2: 'podman-rocks-224', ZZVAR3: 'podman-rocks-125' });
    assert.deepEqual(env('container-compose.short_syntax.yaml'), { ZZVAR3: 'TEST' });
    assert.deepEqual(env('container-compose.load-.env-in-project.yaml'), {
      ZZVAR1: 'This value is loaded but should be overwritten',
      ZZVAR2: 'This value is loaded from .env in project/ directory',
      ZZVAR3: 'TEST',
    });
    assert.deepEqual(svc(load(rel, 'container-compose.env-file-obj-optional-missing.yaml'), 'app').env_file?.[1], {
      path: path.join(dirOf('podman-compose/pc-env-file-variants'), 'env-files/project-3.env'),
      required: false,
    });
  });

  it('pc-ports: short and long syntax, host_ip, protocols', () => {
    const r = load('podman-compose/pc-ports', 'docker-compose.yml');
    assert.deepEqual(svc(r, 'web1').ports, [
      { mode: 'ingress', target: 8000, published: '8000', protocol: 'tcp' },
      { mode: 'ingress', target: 8001, protocol: 'tcp' },
    ]);
    assert.deepEqual(svc(r, 'web2').ports, [
      { mode: 'ingress', target: 8002, published: '8002', protocol: 'tcp' },
      { mode: 'ingress', host_ip: '127.0.0.1', target: 8003, published: '8003', protocol: 'udp' },
      { mode: 'ingress', host_ip: '127.0.0.1', target: 8004, published: '8004', protocol: 'tcp' },
      { mode: 'ingress', target: 8005, published: '8005', protocol: 'tcp' },
      { mode: 'ingress', target: 8006, protocol: 'udp' },
      { mode: 'ingress', host_ip: '127.0.0.1', target: 8007, protocol: 'tcp' },
    ]);
  });

  it('pc-vol-long: long binds keep create_host_path as written (absent means create)', () => {
    const r = load('podman-compose/pc-vol-long', 'docker-compose.yml');
    const source = path.join(dirOf('podman-compose/pc-vol-long'), 'test_dir');
    assert.deepEqual(svc(r, 'create_host_path_default_true').volumes, [{ type: 'bind', source, target: '/cont/test_dir' }]);
    assert.deepEqual(svc(r, 'create_host_path_true').volumes, [{ type: 'bind', source, target: '/cont/test_dir', bind: { create_host_path: true } }]);
    assert.deepEqual(svc(r, 'create_host_path_false').volumes, [{ type: 'bind', source, target: '/cont/test_dir', bind: { create_host_path: false } }]);
  });

  it('pc-ulimit: single values and soft/hard (the spec-valid service)', () => {
    // The file as a whole is refused by the schema (ulimits as strings); ulimit3 is the spec form.
    const text = fs.readFileSync(path.join(dirOf('podman-compose/pc-ulimit'), 'docker-compose.yaml'), 'utf8');
    const ulimit3 = `services:\n${text.slice(text.indexOf('    ulimit3:'))}`;
    assert.deepEqual(serviceOf(runCanonical(ulimit3).output, 'ulimit3').ulimits, { nofile: { soft: 1003, hard: 1003 }, nproc: { soft: 1003, hard: 2003 } });
  });

  it('dc-port-range: a host range for one container port stays one entry; bare ports publish nothing', () => {
    const r = load('docker-compose/dc-port-range', 'compose.yaml');
    assert.deepEqual(svc(r, 'a').ports, [{ mode: 'ingress', target: 80, published: '6005-6015', protocol: 'tcp' }]);
    assert.equal(svc(r, 'a').scale, 5);
    assert.deepEqual(svc(r, 'b').ports, [{ mode: 'ingress', target: 80, protocol: 'tcp' }]);
    assert.deepEqual(svc(r, 'c').command, ['sleep', 'infinity']);
  });

  it('dc-expose-range: expose ranges are kept as text', () => {
    assert.deepEqual(svc(load('docker-compose/dc-expose-range', 'compose.yaml'), 'test').expose, ['9091-9092']);
  });
});
