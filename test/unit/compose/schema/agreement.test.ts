/**
 * Our schema (the zod one, and the JSON Schema generated from it) accepts and
 * rejects exactly what the official Compose Specification schema does, except
 * where compose-go's copy is newer (pre_start, build.no_cache_filter, null
 * entries under a service's models): there we agree with compose-go.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseYamlDocuments } from '../../../../src/compose/phases/parse.js';
import { PositionTable } from '../../../../src/compose/positions.js';
import { stripTags } from '../../../../src/compose/tags.js';
import { validateComposeFile } from '../../../../src/compose/schema/validate-file.js';
import { renderJsonSchema } from '../../../../src/compose/schema/json-schema.js';
import { FIXTURES_DIR, OFFICIAL_SCHEMA, sharedAvailable } from '../../../support/paths.js';
import { buildOracles, COMPOSE_GO_SCHEMA, readJson } from '../../../support/schema-oracles.js';
import type { Json, Oracles } from '../../../support/schema-oracles.js';

const skip = !sharedAvailable() && 'shared compose-spec material missing';

function parseOne(text: string, file = 'case.yaml'): { doc: unknown; positions: PositionTable } {
  const positions = new PositionTable();
  const [doc] = parseYamlDocuments(text, file, positions);
  return { doc: stripTags(doc), positions };
}

/** Every judge must give the same answer; `newer` marks what only compose-go's copy accepts. */
function assertAgreement(o: Oracles, doc: unknown, expected: boolean, newer = false): void {
  const show = JSON.stringify(doc);
  assert.equal(o.composeGo(doc), expected, `compose-go's schema (the reference) on ${show}`);
  assert.equal(o.official(doc), newer ? false : expected, `official schema on ${show}`);
  assert.equal(o.zod(doc), expected, `zod schema on ${show}`);
  assert.equal(o.generated(doc), expected, `generated JSON schema on ${show}`);
  const errors = validateComposeFile(doc, { positions: new PositionTable() });
  assert.equal(errors.length === 0, expected, `validateComposeFile on ${show}: ${errors.map((e) => e.message).join(' | ')}`);
}

/** The entry files CASES.tsv lists, relative to the fixtures directory. */
function listedComposeFiles(): string[] {
  const rows = fs.readFileSync(path.join(FIXTURES_DIR, 'CASES.tsv'), 'utf8').split('\n').slice(1);
  const out: string[] = [];
  for (const row of rows) {
    const [dir, , files] = row.split('\t');
    if (!dir || !files) continue;
    for (const f of files.split(' ')) if (/\.ya?ml$/.test(f)) out.push(path.join(dir, f));
  }
  return out;
}

describe('fixtures: our schema judges every compose file as the official schema does', { skip }, () => {
  const oracles = buildOracles();
  const files = listedComposeFiles();
  it('CASES.tsv lists compose files', () => assert.ok(files.length > 100, `only ${files.length} files`));
  for (const rel of files) {
    it(rel, () => {
      let docs: unknown[];
      try {
        docs = parseYamlDocuments(fs.readFileSync(path.join(FIXTURES_DIR, rel), 'utf8'), rel, new PositionTable());
      } catch {
        return; // YAML that does not parse is the parser's business, not the schema's.
      }
      for (const raw of docs) {
        const doc = stripTags(raw);
        const reference = oracles.composeGo(doc);
        const official = oracles.official(doc);
        if (official !== reference) assert.equal(reference, true, 'only keys newer than the official schema may separate the two');
        assertAgreement(oracles, doc, reference, official !== reference);
      }
    });
  }
});

interface HandCase {
  yaml: string;
  valid: boolean;
  /** Only compose-go's newer copy accepts it. */
  newer?: boolean;
  /** A part of the message validateComposeFile must give. */
  message?: string;
}

const svc = (body: string): string => `services:\n  web:\n${body.replace(/^/gm, '    ')}\n`;

const HAND_CASES: Record<string, HandCase[]> = {
  'top level': [
    { yaml: 'services: {}', valid: true },
    { yaml: 'name: demo\nservices: {}', valid: true },
    { yaml: 'version: "3.8"\nservices: {}', valid: true },
    { yaml: 'version: 3.8\nservices: {}', valid: false, message: 'version must be a string' },
    { yaml: 'name: [a]', valid: false, message: 'name must be a string' },
    { yaml: 'x-anchors: {a: [1]}\nservices: {}', valid: true },
    { yaml: 'servics: {}', valid: false, message: "additional properties 'servics' not allowed" },
    { yaml: 'services:', valid: false, message: 'services must be a mapping' },
    { yaml: 'services: [web]', valid: false, message: 'services must be a mapping' },
    { yaml: '- web', valid: false, message: 'top-level object must be a mapping' },
    { yaml: 'services: {"bad name!": {image: x}}', valid: false, message: "services additional properties 'bad name!' not allowed" },
    { yaml: 'services: {web: null}', valid: false, message: 'services.web must be a mapping' },
    { yaml: 'services: {web: nginx}', valid: false, message: 'services.web must be a mapping' },
  ],
  networks: [
    { yaml: 'networks: {default: null}\nservices: {}', valid: true },
    { yaml: 'networks: {front: {driver: bridge, driver_opts: {mtu: 1400, "com.docker.network.bridge.name": br0}, attachable: true, enable_ipv6: "${V6}", internal: false, labels: [a=b], name: front_net}}', valid: true },
    { yaml: 'networks: {back: {ipam: {driver: default, config: [{subnet: 10.0.0.0/24, gateway: 10.0.0.1, ip_range: 10.0.0.0/28, aux_addresses: {host1: 10.0.0.5}}], options: {a: b}}}}', valid: true },
    { yaml: 'networks: {back: {ipam: {config: [{subnet: 10.0.0.0/24, mask: 24}]}}}', valid: false, message: "networks.back.ipam.config.0 additional properties 'mask' not allowed" },
    { yaml: 'networks: {back: {ipam: {options: {a: 1}}}}', valid: false, message: 'networks.back.ipam.options.a must be a string' },
    { yaml: 'networks: {ext: {external: true}}', valid: true },
    { yaml: 'networks: {ext: {external: {name: real}}}', valid: true },
    { yaml: 'networks: {ext: {external: {name: real, foo: 1}}}', valid: false, message: "additional properties 'foo' not allowed" },
    { yaml: 'networks: {front: {drivr: bridge}}', valid: false, message: "networks.front additional properties 'drivr' not allowed" },
    // Top-level networks constrain only the names that match the name pattern.
    { yaml: 'networks: {"odd name": 5}\nservices: {}', valid: true },
    { yaml: 'networks: {front: 5}', valid: false, message: 'networks.front must be a mapping or null' },
  ],
  volumes: [
    { yaml: 'volumes: {data: null, other: {}}', valid: true },
    { yaml: 'volumes: {data: {driver: local, driver_opts: {type: none, o: bind, device: /srv}, labels: {a: b}, name: my_data}}', valid: true },
    { yaml: 'volumes: {data: {external: true}}', valid: true },
    { yaml: 'volumes: {data: {external: {name: x, extra: 1}}}', valid: false },
    { yaml: 'volumes: {"bad name": {}}', valid: false, message: "volumes additional properties 'bad name' not allowed" },
    { yaml: 'volumes: {data: {driver_opts: {a: [1]}}}', valid: false, message: 'volumes.data.driver_opts.a must be a string or number' },
  ],
  'secrets and configs': [
    { yaml: 'secrets: {s: {file: ./s.txt}, e: {environment: TOKEN}, x: {external: true}, n: {name: real, external: {name: real, anything: 1}}}', valid: true },
    { yaml: 'secrets: {s: null}', valid: false, message: 'secrets.s must be a mapping' },
    { yaml: 'secrets: {s: {fil: ./s.txt}}', valid: false, message: "secrets.s additional properties 'fil' not allowed" },
    { yaml: 'configs: {c: {content: "hello ${USER}"}, f: {file: ./c.conf}, t: {file: ./t, template_driver: golang}}', valid: true },
    { yaml: 'configs: {c: {contents: hi}}', valid: false, message: "configs.c additional properties 'contents' not allowed" },
    { yaml: svc('image: x\nsecrets: [a, {source: b, target: /run/b, uid: "1000", gid: "1000", mode: 0440}]\nconfigs: [c, {source: d, target: /d, mode: "0444"}]'), valid: true },
    { yaml: svc('image: x\nsecrets: [{source: b, uid: 1000}]'), valid: false, message: 'services.web.secrets.0.uid must be a string' },
    { yaml: svc('image: x\nsecrets: a'), valid: false, message: 'services.web.secrets must be a list' },
  ],
  models: [
    { yaml: 'models: {llm: {model: ai/smollm2, context_size: 4096, runtime_flags: ["--verbose"], name: small}}\nservices: {}', valid: true },
    { yaml: 'models: {llm: {name: x}}', valid: false, message: "models.llm missing property 'model'" },
    { yaml: 'models: {llm: {model: x, context_size: "4k"}}', valid: false, message: 'models.llm.context_size must be an integer' },
    { yaml: svc('image: x\nmodels: [llm]'), valid: true },
    { yaml: svc('image: x\nmodels: {llm: {endpoint_var: URL, model_var: NAME}}'), valid: true },
    { yaml: svc('image: x\nmodels: {llm: null}'), valid: true, newer: true },
    { yaml: svc('image: x\nmodels: {llm: {endpoint: URL}}'), valid: false },
  ],
  include: [
    { yaml: 'include: [a.yaml, {path: [b.yaml, c.yaml], env_file: .env, project_directory: ..}]', valid: true },
    { yaml: 'include: [{path: a.yaml, env_file: [a.env, b.env]}]', valid: true },
    { yaml: 'include: a.yaml', valid: false, message: 'include must be a list' },
    { yaml: 'include: [{path: a.yaml, x-note: 1}]', valid: false, message: "include.0 additional properties 'x-note' not allowed" },
    { yaml: 'include: [{paths: a.yaml}]', valid: false },
    { yaml: 'include: [5]', valid: false, message: 'include.0 must be a string or mapping' },
  ],
  ports: [
    { yaml: svc('image: x\nports: ["80", "8080:80", "127.0.0.1:8080:80/udp", 9000, "3000-3005:3000-3005", "[::1]:53:53/udp"]'), valid: true },
    { yaml: svc('image: x\nports: [{target: 80, published: "8080", protocol: tcp, mode: host, host_ip: 127.0.0.1, app_protocol: http, name: web, x-note: 1}]'), valid: true },
    { yaml: svc('image: x\nports: [{target: "${PORT}", published: 8080}]'), valid: true },
    { yaml: svc('image: x\nports: [{target: 80, expose: true}]'), valid: false, message: "services.web.ports.0 additional properties 'expose' not allowed" },
    { yaml: svc('image: x\nports: [[80]]'), valid: false, message: 'services.web.ports.0 must be a string or number or mapping' },
    { yaml: svc('image: x\nports: ["80", "80"]'), valid: false, message: 'services.web.ports items at 0 and 1 are equal' },
    { yaml: svc('image: x\nports: [{target: 80, published: 8080}, {published: 8080, target: 80}]'), valid: false },
    { yaml: svc('image: x\nports: [{target: 1.5}]'), valid: false, message: 'services.web.ports.0.target must be a string or integer' },
    { yaml: svc('image: x\nports: "80:80"'), valid: false, message: 'services.web.ports must be a list' },
    { yaml: svc('image: x\nexpose: [80, "8080", "80"]'), valid: true },
    { yaml: svc('image: x\nexpose: [80, 80]'), valid: false },
  ],
  volumes_of_services: [
    { yaml: svc('image: x\nvolumes: ["./a:/a:ro", "data:/data", "/tmp", "~/x:/x:z"]'), valid: true },
    { yaml: svc('image: x\nvolumes: [{type: bind, source: ., target: /b, read_only: true, bind: {create_host_path: true, propagation: rshared, selinux: z, recursive: readonly}}]'), valid: true },
    { yaml: svc('image: x\nvolumes: [{type: volume, source: data, target: /d, volume: {nocopy: true, subpath: sub, labels: [a=b]}}]'), valid: true },
    { yaml: svc('image: x\nvolumes: [{type: tmpfs, target: /t, tmpfs: {size: 1000, mode: 1777}}, {type: tmpfs, target: /u, tmpfs: {size: 1g}}]'), valid: true },
    { yaml: svc('image: x\nvolumes: [{type: image, source: alpine, target: /i, image: {subpath: etc}}]'), valid: true },
    { yaml: svc('image: x\nvolumes: [{type: tmpfs, target: /t, tmpfs: {size: -1}}]'), valid: false, message: 'services.web.volumes.0.tmpfs.size must be >= 0' },
    { yaml: svc('image: x\nvolumes: [{type: nfs, target: /x}]'), valid: false, message: 'services.web.volumes.0.type must be one of' },
    { yaml: svc('image: x\nvolumes: [{source: data, target: /x}]'), valid: false, message: "services.web.volumes.0 missing property 'type'" },
    { yaml: svc('image: x\nvolumes: [{type: bind, source: ., target: /b, bind: {selinux: Q}}]'), valid: false },
    { yaml: svc('image: x\nvolumes: ["/a", "/a"]'), valid: false },
  ],
  depends_on: [
    { yaml: 'services:\n  web: {image: x, depends_on: [db]}\n  db: {image: y}', valid: true },
    { yaml: svc('image: x\ndepends_on: {db: {condition: service_healthy, restart: true, required: false, x-note: 1}, cache: {condition: service_started}, init: {condition: service_completed_successfully}}'), valid: true },
    { yaml: svc('image: x\ndepends_on: {db: {restart: true}}'), valid: false, message: "services.web.depends_on.db missing property 'condition'" },
    { yaml: svc('image: x\ndepends_on: {db: {condition: started}}'), valid: false, message: 'services.web.depends_on.db.condition must be one of' },
    { yaml: svc('image: x\ndepends_on: {db: {condition: service_started, required: "false"}}'), valid: false, message: 'services.web.depends_on.db.required must be a boolean' },
    { yaml: svc('image: x\ndepends_on: {db: null}'), valid: false },
    { yaml: svc('image: x\ndepends_on: [db, db]'), valid: false },
    { yaml: svc('image: x\ndepends_on: db'), valid: false, message: 'services.web.depends_on must be a mapping or list' },
  ],
  environment: [
    { yaml: svc('image: x\nenvironment: [A=1, B, "C="]'), valid: true },
    { yaml: svc('image: x\nenvironment: {A: 1, B: null, C: true, D: text, E: 1.5}'), valid: true },
    { yaml: svc('image: x\nenvironment: {A: [1]}'), valid: false, message: 'services.web.environment.A must be a string or number or boolean or null' },
    { yaml: svc('image: x\nenvironment: {A: {b: 1}}'), valid: false },
    { yaml: svc('image: x\nenvironment: [A=1, A=1]'), valid: false },
    { yaml: svc('image: x\nenvironment: A=1'), valid: false, message: 'services.web.environment must be a mapping or list' },
    { yaml: svc('image: x\nenvironment: {"": 1}'), valid: false },
    { yaml: svc('image: x\nenv_file: .env'), valid: true },
    { yaml: svc('image: x\nenv_file: [a.env, {path: b.env, required: false, format: raw}, {path: c.env, required: "${REQ}"}]'), valid: true },
    { yaml: svc('image: x\nenv_file: [{required: false}]'), valid: false, message: "services.web.env_file.0 missing property 'path'" },
    { yaml: svc('image: x\nenv_file: [{path: a.env, x-note: 1}]'), valid: false },
    { yaml: svc('image: x\nlabel_file: [a.label, a.label]\nlabels: {a: b}\nannotations: [x=y]'), valid: true },
  ],
  healthcheck: [
    { yaml: svc('image: x\nhealthcheck: {test: ["CMD", "curl", "-f", "http://localhost"], interval: 1m30s, timeout: 10s, retries: 3, start_period: 40s, start_interval: 5s}'), valid: true },
    { yaml: svc('image: x\nhealthcheck: {test: "curl -f http://localhost || exit 1", retries: "${RETRIES}"}'), valid: true },
    { yaml: svc('image: x\nhealthcheck: {disable: true}'), valid: true },
    { yaml: svc('image: x\nhealthcheck: {test: 5}'), valid: false, message: 'services.web.healthcheck.test must be a string or list' },
    { yaml: svc('image: x\nhealthcheck: {interval: 30}'), valid: false, message: 'services.web.healthcheck.interval must be a string' },
    { yaml: svc('image: x\nhealthcheck: {tests: x}'), valid: false, message: "services.web.healthcheck additional properties 'tests' not allowed" },
    { yaml: svc('image: x\nhealthcheck: null'), valid: false },
  ],
  deploy: [
    { yaml: svc('image: x\ndeploy: {resources: {limits: {cpus: "0.5", memory: 512m, pids: 100}, reservations: {cpus: 0.25, memory: 128m, devices: [{capabilities: [gpu], count: all, driver: nvidia}], generic_resources: [{discrete_resource_spec: {kind: gpu, value: 2}}]}}}'), valid: true },
    { yaml: svc('image: x\ndeploy: {replicas: 2, mode: replicated, endpoint_mode: vip, labels: {a: b}, restart_policy: {condition: on-failure, delay: 5s, max_attempts: 3, window: 120s}, update_config: {parallelism: 2, delay: 10s, order: start-first, failure_action: rollback, monitor: 1m, max_failure_ratio: 0.3}, rollback_config: {parallelism: 1, order: stop-first}, placement: {constraints: [node.role==manager], preferences: [{spread: node.labels.zone}], max_replicas_per_node: 1}}'), valid: true },
    { yaml: svc('image: x\ndeploy: null'), valid: true },
    { yaml: svc('image: x\ndeploy: {replicas: "${N}"}'), valid: true },
    { yaml: svc('image: x\ndeploy: {replicas: 1.5}'), valid: false, message: 'services.web.deploy.replicas must be a string or integer' },
    { yaml: svc('image: x\ndeploy: {resources: {limits: {memory: 512}}}'), valid: false, message: 'services.web.deploy.resources.limits.memory must be a string' },
    { yaml: svc('image: x\ndeploy: {update_config: {order: random}}'), valid: false },
    { yaml: svc('image: x\ndeploy: {resources: {reservations: {devices: [{count: 1}]}}}'), valid: false, message: "missing property 'capabilities'" },
    { yaml: svc('image: x\ndeploy: {resources: {limit: {}}}'), valid: false, message: "services.web.deploy.resources additional properties 'limit' not allowed" },
  ],
  develop: [
    { yaml: svc('image: x\ndevelop: {watch: [{path: ./src, action: sync, target: /app, ignore: [node_modules/], include: "*.js", initial_sync: true}, {path: package.json, action: rebuild}]}'), valid: true },
    { yaml: svc('image: x\ndevelop: {watch: [{path: ./src, action: sync+exec, target: /app, exec: {command: [kill, -HUP, "1"], user: root, privileged: true, working_dir: /, environment: {A: b}}}]}'), valid: true },
    { yaml: svc('image: x\ndevelop: null'), valid: true },
    { yaml: svc('image: x\ndevelop: {watch: [{path: ./src, target: /app}]}'), valid: false, message: "services.web.develop.watch.0 missing property 'action'" },
    { yaml: svc('image: x\ndevelop: {watch: [{path: ./src, action: fly}]}'), valid: false },
    { yaml: svc('image: x\ndevelop: {watch: [{path: ./src, action: sync+exec, exec: {user: root}}]}'), valid: false, message: "services.web.develop.watch.0.exec missing property 'command'" },
    { yaml: svc('image: x\ndevelop: {watch: [{path: ./src, action: sync, initial_sync: "true"}]}'), valid: false },
  ],
  extends: [
    { yaml: 'services:\n  web: {extends: base}\n  base: {image: x}', valid: true },
    { yaml: svc('extends: {service: base, file: other.yaml}'), valid: true },
    { yaml: svc('extends: {file: other.yaml}'), valid: false, message: "services.web.extends missing property 'service'" },
    { yaml: svc('extends: {service: base, x-note: 1}'), valid: false },
    { yaml: svc('extends: [base]'), valid: false, message: 'services.web.extends must be a string or mapping' },
  ],
  service_networks: [
    { yaml: svc('image: x\nnetworks: [front, back]'), valid: true },
    { yaml: svc('image: x\nnetworks: {front: null, back: {aliases: [b], ipv4_address: 10.0.0.2, ipv6_address: "::2", interface_name: eth1, mac_address: "02:42:ac:11:00:02", link_local_ips: [169.254.0.2], priority: 100, gw_priority: 1, driver_opts: {a: 1}}}'), valid: true },
    { yaml: svc('image: x\nnetworks: {front: {priority: "100"}}'), valid: false, message: 'services.web.networks.front.priority must be a number' },
    { yaml: svc('image: x\nnetworks: {"odd name": null}'), valid: false, message: "services.web.networks additional properties 'odd name' not allowed" },
    { yaml: svc('image: x\nnetworks: [front, front]'), valid: false },
    { yaml: svc('image: x\nnetwork_mode: "service:db"'), valid: true },
  ],
  build: [
    { yaml: svc('build: .'), valid: true },
    { yaml: svc('build: {context: ., dockerfile: Dockerfile.dev, dockerfile_inline: "FROM alpine", args: {A: 1}, secrets: [s], ssh: [default], cache_from: [a], cache_to: [b], platforms: [linux/amd64], tags: [x], ulimits: {nofile: 1}, extra_hosts: ["a:1.2.3.4"], shm_size: 64000000, network: host, target: dev, labels: [a=b], additional_contexts: {a: ../a}, provenance: true, sbom: "true", pull: true, privileged: "${P}", entitlements: [network.host], isolation: default, no_cache: true, x-note: 1}'), valid: true },
    { yaml: svc('build: {context: ., no_cache_filter: [base, deps]}'), valid: true, newer: true },
    { yaml: svc('build: {contxt: .}'), valid: false, message: "services.web.build additional properties 'contxt' not allowed" },
    { yaml: svc('build: 5'), valid: false, message: 'services.web.build must be a string or mapping' },
    { yaml: svc('build: {shm_size: 1.5}'), valid: false },
    { yaml: svc('build: {args: [A=1, A=1]}'), valid: false },
  ],
  ulimits: [
    { yaml: svc('image: x\nulimits: {nofile: {soft: 20000, hard: 40000}, nproc: 65535, memlock: "-1", core: "${CORE}"}'), valid: true },
    { yaml: svc('image: x\nulimits: {nofile: {soft: 1}}'), valid: false, message: "services.web.ulimits.nofile missing property 'hard'" },
    { yaml: svc('image: x\nulimits: {nofile: [1]}'), valid: false, message: 'services.web.ulimits.nofile must be a string or integer or mapping' },
    // Only lower-case names are checked by the specification.
    { yaml: svc('image: x\nulimits: {NOFILE: [1]}'), valid: true },
    { yaml: svc('image: x\nulimits: {nofile: 1.5}'), valid: false },
  ],
  extra_hosts: [
    { yaml: svc('image: x\nextra_hosts: ["somehost:162.242.195.82", "otherhost=50.31.209.229", "myhostv6=[::1]"]'), valid: true },
    { yaml: svc('image: x\nextra_hosts: {somehost: 162.242.195.82, multi: [10.0.0.1, 10.0.0.1]}'), valid: true },
    { yaml: svc('image: x\nextra_hosts: {somehost: 5}'), valid: false, message: 'services.web.extra_hosts.somehost must be a string or list' },
    { yaml: svc('image: x\nextra_hosts: ["a:1.1.1.1", "a:1.1.1.1"]'), valid: false },
    { yaml: svc('image: x\nextra_hosts: "a:1.1.1.1"'), valid: false },
  ],
  'other service keys': [
    { yaml: svc('image: x\ncommand: null\nentrypoint: ["/bin/sh", "-c"]'), valid: true },
    { yaml: svc('image: x\ncommand: [echo, 1]'), valid: false, message: 'services.web.command.1 must be a string' },
    { yaml: svc('image: x\ncommand: {a: 1}'), valid: false, message: 'services.web.command must be a string or list or null' },
    { yaml: svc('image: x\nblkio_config: {weight: 300, weight_device: [{path: /dev/sda, weight: 400}], device_read_bps: [{path: /dev/sda, rate: "12mb"}], device_write_iops: [{path: /dev/sda, rate: 30}]}'), valid: true },
    { yaml: svc('image: x\nblkio_config: {x-note: 1}'), valid: false, message: "services.web.blkio_config additional properties 'x-note' not allowed" },
    { yaml: svc('image: x\nuse_api_socket: true'), valid: true },
    { yaml: svc('image: x\nuse_api_socket: "true"'), valid: false, message: 'services.web.use_api_socket must be a boolean' },
    { yaml: svc('pre_start: [{command: [echo, hi], image: alpine, user: root, privileged: false, working_dir: /, environment: [A=1], per_replica: true}, {image: migrate}]\nimage: x'), valid: true, newer: true },
    { yaml: svc('image: x\npre_start: [{comand: x}]'), valid: false },
    { yaml: svc('image: x\npost_start: [{command: echo hi, user: root}]\npre_stop: [{command: [sh, -c, "sleep 1"]}]'), valid: true },
    { yaml: svc('image: x\npost_start: [{user: root}]'), valid: false, message: "services.web.post_start.0 missing property 'command'" },
    { yaml: svc('provider: {type: model, options: {model: ai/x, flags: [a, 1, true], ctx: 4096}}'), valid: true },
    { yaml: svc('provider: {options: {}}'), valid: false, message: "services.web.provider missing property 'type'" },
    { yaml: svc('provider: {type: x, options: {a: {b: 1}}}'), valid: false },
    { yaml: svc('image: x\nlogging: {driver: json-file, options: {max-size: 10m, max-file: 3, tag: null}}'), valid: true },
    { yaml: svc('image: x\nlogging: {options: {max-size: [10m]}}'), valid: false },
    { yaml: svc('image: x\ncpu_count: 2\ncpu_percent: 50\ncpus: 1.5\ncpu_shares: 512\ncpuset: "0-1"\ncpu_quota: "${Q}"\noom_score_adj: -500\nmem_limit: 1g\nmem_reservation: 512m\nmemswap_limit: -1\nmem_swappiness: 60\npids_limit: 100\nshm_size: 64m'), valid: true },
    { yaml: svc('image: x\ncpu_count: -1'), valid: false, message: 'services.web.cpu_count must be >= 0' },
    { yaml: svc('image: x\ncpu_percent: 101'), valid: false, message: 'services.web.cpu_percent must be <= 100' },
    { yaml: svc('image: x\noom_score_adj: -1001'), valid: false, message: 'services.web.oom_score_adj must be >= -1000' },
    { yaml: svc('image: x\noom_score_adj: "${ADJ}"'), valid: true },
    { yaml: svc('image: x\nmem_reservation: 1.5'), valid: false },
    { yaml: svc('image: x\npull_policy: every_12h'), valid: true },
    { yaml: svc('image: x\npull_policy: sometimes'), valid: false, message: 'services.web.pull_policy does not match pattern' },
    { yaml: svc('image: x\ncontainer_name: my-web.1'), valid: true },
    { yaml: svc('image: x\ncontainer_name: a'), valid: false },
    { yaml: svc('image: x\ngpus: all'), valid: true },
    { yaml: svc('image: x\ngpus: [{driver: nvidia, count: 1, capabilities: [gpu], device_ids: ["0"], options: {a: b}}]'), valid: true },
    { yaml: svc('image: x\ngpus: some'), valid: false, message: 'services.web.gpus must be one of "all"' },
    { yaml: svc('image: x\ndevices: ["/dev/ttyUSB0:/dev/ttyUSB0", {source: /dev/sda, target: /dev/xvda, permissions: rwm}]'), valid: true },
    { yaml: svc('image: x\ndevices: [{target: /dev/x}]'), valid: false, message: "services.web.devices.0 missing property 'source'" },
    { yaml: svc('image: x\nstorage_opt: {size: 1G}\npid: null\nipc: host\nuts: host\nuserns_mode: host\ncgroup: private\ncgroup_parent: x'), valid: true },
    { yaml: svc('image: x\ncgroup: shared'), valid: false },
    { yaml: svc('image: x\nsysctls: {net.core.somaxconn: 1024}\ntmpfs: /run\ndns: 8.8.8.8\ndns_search: [example.com]\ndns_opt: [use-vc]\ncap_add: [NET_ADMIN]\ncap_drop: [ALL]\nsecurity_opt: ["label:disable"]\ngroup_add: [mail, 1000]'), valid: true },
    { yaml: svc('image: x\ncap_add: [NET_ADMIN, NET_ADMIN]'), valid: false, message: 'services.web.cap_add items at 0 and 1 are equal' },
    { yaml: svc('image: x\ncredential_spec: {file: spec.json}\nruntime: runc\nplatform: linux/amd64\nscale: 2\nstop_grace_period: 1m30s\nstop_signal: SIGUSR1\ninit: true\nread_only: "${RO}"\nrestart: unless-stopped\nhostname: web\ndomainname: example.com\nmac_address: "02:42:ac:11:00:02"\nprivileged: false\nstdin_open: true\ntty: true\nuser: "1000:1000"\nworking_dir: /app\nattach: false\nprofiles: [debug]\nlinks: [db]\nexternal_links: [redis_1]\nvolumes_from: [other]\ndevice_cgroup_rules: ["c 1:3 mr"]\nisolation: default'), valid: true },
    { yaml: svc('image: x\nx-note: {any: [thing]}'), valid: true },
    { yaml: svc('image: x\nimagee: typo'), valid: false, message: "services.web additional properties 'imagee' not allowed" },
  ],
};

describe('hand-written cases', { skip }, () => {
  const oracles = buildOracles();
  for (const [group, cases] of Object.entries(HAND_CASES)) {
    describe(group, () => {
      cases.forEach((c, i) => {
        it(`${i}${c.valid ? '' : ' (invalid)'}: ${c.yaml.replace(/\s+/g, ' ').slice(0, 90)}`, () => {
          const { doc } = parseOne(c.yaml);
          assertAgreement(oracles, doc, c.valid, c.newer);
          if (c.message !== undefined) {
            const messages = validateComposeFile(doc, { positions: new PositionTable() }).map((e) => e.message);
            assert.ok(
              messages.some((m) => m.toLowerCase().includes(c.message!.toLowerCase())),
              `expected a message containing ${JSON.stringify(c.message)}, got ${JSON.stringify(messages)}`,
            );
          }
        });
      });
    });
  }
});

describe('authored invalid fixtures give their expected messages', { skip }, () => {
  const authored = path.join(FIXTURES_DIR, 'authored');
  const schemaCases = ['image-not-string', 'service-not-mapping', 'services-not-mapping', 'top-level-not-mapping', 'unknown-property', 'watch-missing-action'];
  for (const dir of schemaCases) {
    it(dir, () => {
      const file = path.join(authored, dir, 'compose.yaml');
      const { doc, positions } = parseOne(fs.readFileSync(file, 'utf8'), file);
      const expected = fs.readFileSync(path.join(authored, dir, 'expected-error.txt'), 'utf8').trim();
      const errors = validateComposeFile(doc, { positions }, file);
      assert.ok(errors.length > 0, 'rejected');
      assert.ok(
        errors.some((e) => e.format().toLowerCase().includes(expected.toLowerCase())),
        `${errors.map((e) => e.format()).join(' | ')} should contain ${expected}`,
      );
      for (const e of errors) {
        assert.equal(e.code, 'TSC_SPEC_INVALID');
        assert.equal(e.location?.file, file, 'every error points into the file');
      }
    });
  }
  it('the schema-valid authored files pass the schema (their errors come from other phases)', () => {
    for (const dir of ['no-image-no-build', 'undefined-dependency', 'undefined-network', 'required-variable-missing']) {
      const { doc, positions } = parseOne(fs.readFileSync(path.join(authored, dir, 'compose.yaml'), 'utf8'));
      assert.deepEqual(validateComposeFile(doc, { positions }), [], dir);
    }
  });
});

/** Every property path a schema names (`services.*.build.context`), through refs, combinators, maps and items. */
function propertyPaths(schema: Json): Set<string> {
  const out = new Set<string>();
  const resolve = (node: Json): Json => {
    const ref = node['$ref'];
    if (typeof ref !== 'string') return node;
    const [, section, name] = ref.split('/');
    return ((schema[section as string] as Json)[name as string] as Json) ?? node;
  };
  const walk = (raw: unknown, prefix: string, depth: number): void => {
    if (typeof raw !== 'object' || raw === null || depth > 40) return;
    const node = resolve(raw as Json);
    for (const key of ['oneOf', 'anyOf', 'allOf'] as const) {
      const branches = node[key];
      if (Array.isArray(branches)) for (const b of branches) walk(b, prefix, depth + 1);
    }
    const props = node['properties'] as Json | undefined;
    if (props) {
      for (const [k, v] of Object.entries(props)) {
        out.add(`${prefix}.${k}`);
        walk(v, `${prefix}.${k}`, depth + 1);
      }
    }
    const patterns = node['patternProperties'] as Json | undefined;
    if (patterns) for (const [p, v] of Object.entries(patterns)) if (p !== '^x-') walk(v, `${prefix}.*`, depth + 1);
    const additional = node['additionalProperties'];
    if (typeof additional === 'object' && additional !== null && Object.keys(additional).length > 0) walk(additional, `${prefix}.*`, depth + 1);
    if (node['items']) walk(node['items'], `${prefix}[]`, depth + 1);
  };
  walk(schema, '', 0);
  return out;
}

describe('structure', { skip }, () => {
  it('the generated schema names exactly the properties compose-go\'s copy names', () => {
    const ours = propertyPaths(JSON.parse(renderJsonSchema()) as Json);
    const reference = propertyPaths(readJson(COMPOSE_GO_SCHEMA));
    assert.deepEqual([...ours].filter((p) => !reference.has(p)), [], 'properties only we accept');
    assert.deepEqual([...reference].filter((p) => !ours.has(p)), [], 'properties we are missing');
  });
  it('the official schema names a subset of them, lacking only the newer keys', () => {
    const official = propertyPaths(readJson(OFFICIAL_SCHEMA));
    const reference = propertyPaths(readJson(COMPOSE_GO_SCHEMA));
    assert.deepEqual([...official].filter((p) => !reference.has(p)), []);
    const newer = [...reference].filter((p) => !official.has(p));
    assert.ok(newer.every((p) => /\.(pre_start|no_cache_filter)(\.|\[|$)/.test(p)), newer.join(', '));
  });
});
