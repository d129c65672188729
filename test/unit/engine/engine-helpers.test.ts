/** The engine's pure helpers: ps wording, log times, ports to publish, network choice and names. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { statusText } from '../../../src/engine/summary.js';
import { parseLogTime } from '../../../src/engine/daemon/logs-stream.js';
import { portsToPublish } from '../../../src/engine/containers.js';
import { bridgeNameFor, networkConfigHash, serviceNetworks } from '../../../src/engine/networking.js';
import type { ContainerRecord } from '../../../src/engine/state/store.js';
import type { Project, ServiceConfig } from '../../../src/compose/model.js';

const record = (over: Partial<ContainerRecord>): ContainerRecord => ({
  id: 'a'.repeat(64),
  name: 'p-web-1',
  project: 'p',
  service: 'web',
  number: 1,
  oneOff: false,
  configHash: 'h',
  image: 'busybox',
  imageId: 'sha256:x',
  createdAt: '2026-11-22T12:00:00.000Z',
  restartPolicy: { name: 'no' },
  stoppedByUser: false,
  restartCount: 0,
  networks: [],
  ports: [],
  ...over,
});

describe('ps status wording (Docker)', () => {
  it('running, healthy, exited, restarting, created', () => {
    const now = Date.parse('2026-11-22T12:00:10.000Z');
    assert.equal(statusText(record({ startedAt: '2026-11-22T12:00:07.000Z' }), 'running', now), 'Up 3 seconds');
    const hc = { test: ['true'], intervalMs: 1, timeoutMs: 1, retries: 1, startPeriodMs: 0, startIntervalMs: 1 };
    assert.equal(statusText(record({ startedAt: '2026-11-22T12:00:07.000Z', healthcheck: hc }), 'running', now), 'Up 3 seconds (health: starting)');
    assert.equal(statusText(record({ startedAt: '2026-11-22T12:00:07.000Z', healthcheck: hc, health: { status: 'healthy', failingStreak: 0, log: [] } }), 'running', now), 'Up 3 seconds (healthy)');
    assert.equal(statusText(record({ startedAt: '2026-11-22T11:00:00.000Z', finishedAt: '2026-11-22T11:58:10.000Z', exitCode: 3 }), 'exited', now), 'Exited (3) 2 minutes ago');
    assert.equal(statusText(record({ finishedAt: '2026-11-22T12:00:09.000Z', exitCode: 137 }), 'restarting', now), 'Restarting (137) 1 second ago');
    assert.equal(statusText(record({}), 'created', now), 'Created');
  });
});

describe('logs --since/--until times', () => {
  const now = Date.parse('2026-11-22T12:00:00Z');
  it('relative durations, unix seconds and RFC 3339', () => {
    assert.equal(parseLogTime('10m', now), now - 600_000);
    assert.equal(parseLogTime('1.5h', now), now - 5_400_000);
    assert.equal(parseLogTime('1700000000', now), 1_700_000_000_000);
    assert.equal(parseLogTime('2026-11-22T11:00:00Z', now), Date.parse('2026-11-22T11:00:00Z'));
    assert.equal(parseLogTime(undefined, now), undefined);
    assert.equal(parseLogTime('yesterday-ish', now), undefined);
  });
});

describe('ports to publish', () => {
  it('host ip, fixed, random, ranges and udp', () => {
    const svc = {
      ports: [
        { mode: 'ingress', target: 80, published: '8080', protocol: 'tcp', host_ip: '127.0.0.1' },
        { mode: 'ingress', target: 81, protocol: 'tcp' },
        { mode: 'ingress', target: 53, published: '5353', protocol: 'udp' },
        { mode: 'ingress', target: 90, published: '9000-9010', protocol: 'tcp' },
      ],
    } as ServiceConfig;
    assert.deepEqual(portsToPublish(svc), [
      { protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 8080, containerPort: 80 },
      { protocol: 'tcp', hostIp: '', hostPort: 0, containerPort: 81 },
      { protocol: 'udp', hostIp: '', hostPort: 5353, containerPort: 53 },
      { protocol: 'tcp', hostIp: '', hostPort: 9000, hostPortEnd: 9010, containerPort: 90 },
    ]);
  });
});

describe('service networks', () => {
  const project = {
    name: 'p',
    services: {},
    networks: { default: { name: 'p_default' }, back: { name: 'p_back' }, front: { name: 'custom-front' } },
    volumes: {},
    secrets: {},
    configs: {},
  } as unknown as Project;
  it('priority first, then name; aliases, addresses and interface names kept', () => {
    const svc = { networks: { front: { priority: 10, aliases: ['www'] }, back: { ipv4_address: '10.1.0.5' }, default: null } } as unknown as ServiceConfig;
    const nets = serviceNetworks(project, svc);
    assert.deepEqual(nets.map((n) => n.network), ['custom-front', 'p_back', 'p_default']);
    assert.deepEqual(nets[0]?.aliases, ['www']);
    assert.equal(nets[1]?.ipv4Address, '10.1.0.5');
  });
  it('host, none and shared network modes join no network', () => {
    for (const mode of ['host', 'none', 'service:db', 'container:x']) {
      assert.deepEqual(serviceNetworks(project, { network_mode: mode, networks: { default: null } }), []);
    }
  });
  it('bridge names fit IFNAMSIZ and honour com.docker.network.bridge.name', () => {
    const name = bridgeNameFor('a-very-long-project-name_with-a-long-network', undefined);
    assert.match(name, /^tscbr-[0-9a-f]{8}$/);
    assert.equal(bridgeNameFor('x', { name: 'x', driver_opts: { 'com.docker.network.bridge.name': 'br-mine' } }), 'br-mine');
    assert.throws(() => bridgeNameFor('x', { name: 'x', driver_opts: { 'com.docker.network.bridge.name': 'a-name-that-is-too-long' } }), /longer than 15/);
  });
  it('network config hash changes with what matters only', () => {
    const a = networkConfigHash({ name: 'p_x', internal: true });
    assert.equal(a, networkConfigHash({ name: 'renamed', internal: true }));
    assert.notEqual(a, networkConfigHash({ name: 'p_x', internal: false }));
  });
});
