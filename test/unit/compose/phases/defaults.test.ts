/** Top-level resources and the defaults compose-go fills in, up to the typed Project. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults } from '../../../../src/compose/phases/model-check.js';
import { ProjectSchema } from '../../../../src/compose/model.js';
import { healthcheckDisabled, serviceScale } from '../../../../src/compose/model-queries.js';
import { isTscComposeError } from '../../../../src/errors/index.js';
import { canonicalError, project, runCanonical } from '../../../support/canonical.js';

describe('top-level resources', () => {
  it('null entries become mappings named <project>_<key>; external ones keep their key; name: wins', () => {
    const p = project('services: {}\nvolumes:\n  data:\n  ext: {external: true}\n  named: {name: fixed}\n  extnamed: {external: true, name: real}\n', {}, 'demo');
    assert.deepEqual(p.volumes, {
      data: { name: 'demo_data' },
      ext: { external: true, name: 'ext' },
      named: { name: 'fixed' },
      extnamed: { external: true, name: 'real' },
    });
  });

  it('deprecated external.name becomes name + external: true, with a warning; a conflicting name is refused', () => {
    const run = runCanonical('networks:\n  n: {external: {name: outside}}\n');
    assert.deepEqual((run.output as any).networks.n, { external: true, name: 'outside' });
    assert.match(run.ctx.warnings[0]?.message ?? '', /^networks\.n: external\.name is deprecated/);
    assert.equal(canonicalError('secrets:\n  s: {name: a, external: {name: b}}\n').message, 'secrets.s name and external.name conflict; only use name');
  });

  it('typed network settings: flags, driver options and IPAM as strings, external false dropped', () => {
    const yaml = `networks:
  back:
    internal: "true"
    attachable: false
    enable_ipv6: "false"
    external: "false"
    driver_opts: {mtu: 1400}
    labels: [team=a]
    ipam: {config: [{subnet: 10.0.0.0/24, aux_addresses: {h: 10.0.0.5}}], options: {o: 1}}
`;
    assert.deepEqual(project(yaml).networks['back'], {
      internal: true,
      enable_ipv6: false,
      driver_opts: { mtu: '1400' },
      labels: { team: 'a' },
      ipam: { config: [{ subnet: '10.0.0.0/24', aux_addresses: { h: '10.0.0.5' } }], options: { o: '1' } },
      name: 'p_back',
    });
  });

  it('secrets and configs are named too; include entries get their long form', () => {
    const run = runCanonical('include: [a.yaml, {path: b.yaml}]\nservices: {}\n');
    assert.deepEqual((run.output as any).include, [{ path: 'a.yaml' }, { path: 'b.yaml' }]);
    const p = project('secrets:\n  s: {file: /p/s.txt}\nconfigs:\n  c: {content: hi}\n  e: {external: true}\n');
    assert.deepEqual(p.secrets, { s: { file: '/p/s.txt', name: 'p_s' } });
    assert.deepEqual(p.configs, { c: { content: 'hi', name: 'p_c' }, e: { external: true, name: 'e' } });
  });
});

describe('defaults', () => {
  it('services without networks join the implicit default network, named <project>_default', () => {
    const p = project('services:\n  a: {image: x}\n  b: {image: x, networks: [back]}\n  c: {image: x, network_mode: host}\n  d: {image: x, networks: {}}\nnetworks:\n  back:\n', {}, 'demo');
    assert.deepEqual(p.services['a']?.networks, { default: null });
    assert.deepEqual(p.services['b']?.networks, { back: null });
    assert.equal(p.services['c']?.networks, undefined);
    assert.deepEqual(p.services['d']?.networks, { default: null });
    assert.deepEqual(p.networks, { back: { name: 'demo_back' }, default: { name: 'demo_default' } });
  });

  it('no default network when nobody uses it; a declared default keeps its settings', () => {
    assert.deepEqual(project('services:\n  a: {image: x, network_mode: none}\n').networks, {});
    assert.deepEqual(project('services:\n  a: {image: x}\nnetworks:\n  default: {name: shared, external: true}\n').networks, { default: { name: 'shared', external: true } });
    assert.deepEqual(project('services:\n  a: {image: x}\nnetworks:\n  default: {driver: bridge}\n').networks, { default: { driver: 'bridge', name: 'p_default' } });
  });

  it('links, volumes_from and service: namespaces imply dependencies', () => {
    const yaml = `services:
  web:
    image: x
    links: [db, "cache:c"]
    volumes_from: ["data:ro", "container:abc"]
    network_mode: "service:vpn"
    ipc: "service:db"
    depends_on: {db: {condition: service_healthy}}
  db: {image: x}
  cache: {image: x}
  data: {image: x}
  vpn: {image: x}
`;
    assert.deepEqual(project(yaml).services['web']?.depends_on, {
      db: { condition: 'service_healthy', required: true },
      cache: { condition: 'service_started', restart: true, required: true },
      data: { condition: 'service_started', required: true },
      vpn: { condition: 'service_started', restart: true, required: true },
    });
  });

  it('secret targets, pull policy, replicas from scale, pre_start images', () => {
    const yaml = `services:
  web:
    image: app:1
    secrets: [token, {source: key, target: /k}]
    pull_policy: if_not_present
    scale: 2
    deploy: {mode: replicated}
    pre_start: [{command: migrate}, {command: x, image: other}]
secrets:
  token: {file: /t}
  key: {file: /k}
`;
    const web = project(yaml).services['web'];
    assert.deepEqual(web?.secrets, [
      { source: 'token', target: '/run/secrets/token' },
      { source: 'key', target: '/k' },
    ]);
    assert.equal(web?.pull_policy, 'missing');
    assert.equal(web?.deploy?.replicas, 2);
    assert.deepEqual(web?.pre_start, [
      { command: ['migrate'], image: 'app:1' },
      { command: ['x'], image: 'other' },
    ]);
  });

  it('the project is named, every resource section present, extensions kept', () => {
    const p = project('name: from-file\nservices: {}\nx-meta: {a: 1}\n', {}, 'chosen');
    assert.equal(p.name, 'chosen');
    assert.deepEqual({ ...p }, { name: 'chosen', services: {}, networks: {}, volumes: {}, secrets: {}, configs: {}, 'x-meta': { a: 1 } });
    assert.ok(ProjectSchema.safeParse(p).success);
  });

  it('a tree the model cannot hold is refused with the key path', () => {
    let failure: unknown;
    try {
      applyDefaults({ services: { web: { ports: [{ target: 'x' }] } } }, { projectName: 'p', workingDir: '/p' });
    } catch (err) {
      failure = err;
    }
    assert.ok(isTscComposeError(failure));
    assert.equal(failure.keyPath, 'services.web.ports.0.target');
    assert.equal(failure.service, 'web');
    assert.match(failure.message, /^services\.web\.ports\.0\.target /);
  });

  it('keeps the tree it was given (source positions stay valid)', () => {
    const run = runCanonical('services:\n  web:\n    image: x\n');
    const p = applyDefaults(run.output, { projectName: 'p', workingDir: '/p' });
    assert.equal(p, run.output);
    assert.deepEqual(run.ctx.positions.locate(p, ['services', 'web', 'image']), { file: '/p/compose.yaml', line: 3, column: 5 });
  });
});

describe('model helpers', () => {
  it('scale, healthcheck state', () => {
    const p = project('services:\n  b: {image: x, scale: 3}\n  a: {image: x, deploy: {replicas: 2}}\n  c: {image: x, volumes: ["./d:/d", {type: bind, source: /e, target: /e, bind: {create_host_path: false}}], healthcheck: {test: [NONE]}}\n');
    assert.equal(serviceScale(p.services['b']!), 3);
    assert.equal(serviceScale(p.services['a']!), 2);
    assert.equal(serviceScale(p.services['c']!), 1);
    assert.equal(healthcheckDisabled(p.services['c']!.healthcheck), true);
    assert.equal(healthcheckDisabled(p.services['a']!.healthcheck), false);
  });
});
