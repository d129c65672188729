/** serviceConfigHash (compose's ServiceHash) and the network hash: stable across key order, blind to what must not recreate. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { serviceConfigHash, hashedServiceView } from '../../../src/plan/config-hash.js';
import { networkConfigHashOf } from '../../../src/plan/network-hash.js';
import { canonicalJson } from '../../../src/plan/canonical-json.js';
import type { ServiceConfig } from '../../../src/compose/model.js';
import { loadProject } from '../../../src/compose/loader.js';
import { memoryReader } from '../../support/memory-reader.js';

const base = (): ServiceConfig => ({
  image: 'nginx:1.27',
  command: ['nginx', '-g', 'daemon off;'],
  environment: { A: '1', B: '2' },
  labels: { x: 'y' },
  networks: { default: null, back: { aliases: ['w'] } },
  healthcheck: { test: ['CMD', 'true'], interval: '5s', retries: 3 },
});

it('is the sha256 hex of the sorted-key JSON', () => {
  const h = serviceConfigHash({ image: 'a', environment: { Z: '1', A: '2' } });
  assert.match(h, /^[0-9a-f]{64}$/);
  assert.equal(h, createHash('sha256').update('{"environment":{"A":"2","Z":"1"},"image":"a"}').digest('hex'));
});

it('does not depend on key order, at any depth', () => {
  const a = base();
  const b: ServiceConfig = {
    healthcheck: { retries: 3, interval: '5s', test: ['CMD', 'true'] },
    networks: { back: { aliases: ['w'] }, default: null },
    labels: { x: 'y' },
    environment: { B: '2', A: '1' },
    command: ['nginx', '-g', 'daemon off;'],
    image: 'nginx:1.27',
  };
  assert.equal(serviceConfigHash(a), serviceConfigHash(b));
  assert.equal(canonicalJson({ b: 1, a: [{ d: 1, c: 2 }] }), '{"a":[{"c":2,"d":1}],"b":1}');
});

it('treats an undefined key as absent', () => {
  assert.equal(serviceConfigHash({ ...base(), user: undefined }), serviceConfigHash(base()));
});

it('ignores build, pull_policy, scale, deploy.replicas, depends_on and profiles', () => {
  const h = serviceConfigHash(base());
  const ignored: Array<Partial<ServiceConfig>> = [
    { build: { context: '/p', dockerfile: 'Dockerfile' } },
    { pull_policy: 'always' },
    { scale: 3 },
    { deploy: { replicas: 5 } },
    { depends_on: { db: { condition: 'service_healthy', required: true, restart: true } } },
    { profiles: ['debug'] },
  ];
  for (const extra of ignored) assert.equal(serviceConfigHash({ ...base(), ...extra }), h, JSON.stringify(extra));
  // Only the replica count of deploy is ignored.
  assert.notEqual(serviceConfigHash({ ...base(), deploy: { replicas: 2, resources: { limits: { pids: 10 } } } }), h);
  assert.equal(
    serviceConfigHash({ ...base(), deploy: { replicas: 2, resources: { limits: { pids: 10 } } } }),
    serviceConfigHash({ ...base(), deploy: { resources: { limits: { pids: 10 } } } }),
  );
  assert.equal(hashedServiceView({ ...base(), deploy: { replicas: 2 } })['deploy'], undefined);
});

it('changes with anything that needs a new container', () => {
  const h = serviceConfigHash(base());
  const changed: Array<Partial<ServiceConfig>> = [
    { image: 'nginx:1.28' },
    { environment: { A: '1', B: '3' } },
    { command: ['nginx'] },
    { networks: { default: null } },
    { healthcheck: { test: ['CMD', 'true'], interval: '6s', retries: 3 } },
    { ports: [{ mode: 'ingress', target: 80, published: '8080', protocol: 'tcp' }] },
    { restart: 'always' },
  ];
  for (const extra of changed) assert.notEqual(serviceConfigHash({ ...base(), ...extra }), h, JSON.stringify(extra));
  // Order inside lists is meaningful.
  assert.notEqual(serviceConfigHash({ ...base(), command: ['-g', 'nginx', 'daemon off;'] }), h);
});

it('is the same for the same service written differently in the compose file', () => {
  const load = (text: string) =>
    loadProject(
      { configFiles: ['/p/compose.yaml'], workingDir: '/p', explicitName: 'p', environment: new Map(), envFiles: [], profiles: [], warnings: [] },
      { reader: memoryReader({ '/p/compose.yaml': text }), homeDir: '/h', shellEnv: new Map() },
    ).project;
  const one = load(`services:
  web:
    image: nginx
    environment: [A=1, B=2]
    ports: ["8080:80"]
    depends_on: [db]
    scale: 2
  db: {image: postgres}
`);
  const two = load(`services:
  db:
    image: postgres
  web:
    scale: 1
    ports:
      - target: 80
        published: "8080"
    environment:
      B: "2"
      A: "1"
    image: nginx
`);
  assert.equal(serviceConfigHash(one.services['web'] as ServiceConfig), serviceConfigHash(two.services['web'] as ServiceConfig));
  assert.equal(serviceConfigHash(one.services['db'] as ServiceConfig), serviceConfigHash(two.services['db'] as ServiceConfig));
});

it('network hash: stable across key order, changes with driver options, ipam or internal', () => {
  const n = { name: 'p_default', driver: 'bridge', driver_opts: { a: '1', b: '2' }, labels: { l: 'x' } };
  const h = networkConfigHashOf(n);
  assert.equal(networkConfigHashOf({ labels: { l: 'x' }, driver_opts: { b: '2', a: '1' }, driver: 'bridge', name: 'p_default' }), h);
  assert.equal(networkConfigHashOf({ ...n, driver: undefined }), h);
  assert.notEqual(networkConfigHashOf({ ...n, driver_opts: { a: '1' } }), h);
  assert.notEqual(networkConfigHashOf({ ...n, internal: true }), h);
  assert.notEqual(networkConfigHashOf({ ...n, ipam: { config: [{ subnet: '10.9.0.0/24' }] } }), h);
});
