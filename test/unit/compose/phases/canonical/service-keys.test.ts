/** The rest of a service: long forms, typed scalars, compose-go's quirks kept. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalError, runCanonical, service } from '../../../../support/canonical.js';

describe('depends_on', () => {
  it('a list becomes service_started + required', () => {
    assert.deepEqual(service('services:\n  web:\n    depends_on: [db, cache]\n').depends_on, {
      db: { condition: 'service_started', required: true },
      cache: { condition: 'service_started', required: true },
    });
  });

  it('the long form gets its defaults; restart false disappears, strings are cast', () => {
    const yaml = `services:
  web:
    depends_on:
      db: {condition: service_healthy, restart: "true"}
      migrate: {condition: service_completed_successfully, required: "false", restart: false}
      cache: {}
`;
    assert.deepEqual(service(yaml).depends_on, {
      db: { condition: 'service_healthy', restart: true, required: true },
      migrate: { condition: 'service_completed_successfully', required: false },
      cache: { condition: 'service_started', required: true },
    });
  });
});

describe('healthcheck', () => {
  it('a string test runs in a shell; durations become Go strings; retries a number', () => {
    const yaml = 'services:\n  web:\n    healthcheck: {test: curl -f localhost, interval: 90s, timeout: 1500ms, retries: "3", start_period: 0s, start_interval: 5s}\n';
    assert.deepEqual(service(yaml).healthcheck, {
      test: ['CMD-SHELL', 'curl -f localhost'],
      interval: '1m30s',
      timeout: '1.5s',
      retries: 3,
      start_period: '0s',
      start_interval: '5s',
    });
  });

  it('disable: true and test: [NONE] mean the same and read the same', () => {
    const none = { test: ['NONE'], disable: true };
    assert.deepEqual(service('services:\n  web:\n    healthcheck: {disable: true}\n').healthcheck, none);
    assert.deepEqual(service('services:\n  web:\n    healthcheck: {test: [NONE]}\n').healthcheck, none);
    assert.deepEqual(service('services:\n  web:\n    healthcheck: {disable: "false", test: [CMD, ok]}\n').healthcheck, { test: ['CMD', 'ok'] });
  });

  it('a bad duration is refused with Go wording', () => {
    assert.equal(
      canonicalError('services:\n  web:\n    healthcheck: {interval: "10"}\n').message,
      'services.web.healthcheck.interval invalid duration "10": time: missing unit in duration "10"',
    );
  });
});

describe('build', () => {
  it('a string is the context, with the default Dockerfile', () => {
    assert.deepEqual(service('services:\n  web:\n    build: ./app\n').build, { context: './app', dockerfile: 'Dockerfile' });
  });

  it('the long form keeps its keys and gets the same defaults, unless dockerfile_inline', () => {
    assert.deepEqual(service('services:\n  web:\n    build: {target: dev}\n').build, { target: 'dev', context: '.', dockerfile: 'Dockerfile' });
    assert.deepEqual(service('services:\n  web:\n    build: {dockerfile_inline: "FROM x"}\n').build, { dockerfile_inline: 'FROM x', context: '.' });
  });

  it('labels, additional_contexts, ssh, secrets, extra_hosts, sizes, flags, provenance', () => {
    const yaml = `services:
  web:
    build:
      context: .
      labels: [a=1]
      additional_contexts: ["base=docker-image://alpine"]
      ssh: [default, "key=/k"]
      secrets: [token, {source: other, target: /t, mode: "0400"}]
      extra_hosts: ["h:1.2.3.4"]
      shm_size: 1g
      no_cache: "true"
      pull: false
      provenance: true
      ulimits: {nofile: 10}
      tags: [a:1]
`;
    assert.deepEqual(service(yaml).build, {
      context: '.',
      labels: { a: '1' },
      additional_contexts: { base: 'docker-image://alpine' },
      ssh: ['default', 'key=/k'],
      secrets: [{ source: 'token' }, { source: 'other', target: '/t', mode: 0o400 }],
      extra_hosts: ['h=1.2.3.4'],
      shm_size: 1024 ** 3,
      no_cache: true,
      provenance: 'true',
      ulimits: { nofile: { soft: 10, hard: 10 } },
      tags: ['a:1'],
      dockerfile: 'Dockerfile',
    });
    assert.deepEqual(service('services:\n  web:\n    build: {context: ., ssh: {default: null, k: /key}}\n').build.ssh, ['default', 'k=/key']);
  });

  it('an additional context without = and an ssh key without path are refused', () => {
    assert.equal(canonicalError('services:\n  web:\n    build: {context: ., additional_contexts: [nope]}\n').message, 'services.web.build.additional_contexts.0 invalid value nope, expected key=value');
    assert.equal(canonicalError('services:\n  web:\n    build: {context: ., ssh: [mykey]}\n').message, 'services.web.build.ssh.0 invalid ssh key "mykey"');
  });
});

describe('command and entrypoint', () => {
  it('strings are split into words as compose-go (go-shellwords) does; lists are kept', () => {
    const web = service(`services:\n  web:\n    command: sh -c "echo 'hi there'" a\\ b\n    entrypoint: ["/bin/x", 1]\n`);
    assert.deepEqual(web.command, ['sh', '-c', "echo 'hi there'", 'a b']);
    assert.deepEqual(web.entrypoint, ['/bin/x', '1']);
  });

  it('an empty string clears, null is kept', () => {
    const web = service('services:\n  web:\n    command: ""\n    entrypoint: null\n');
    assert.deepEqual(web.command, []);
    assert.equal(web.entrypoint, null);
  });

  it('what follows an unquoted ; & | < > is dropped as docker compose drops it, with a warning', () => {
    const run = runCanonical('services:\n  web:\n    command: migrate; serve\n');
    assert.deepEqual((run.output as any).services.web.command, ['migrate']);
    assert.match(run.ctx.warnings[0]?.message ?? '', /^services\.web\.command: "; serve" is ignored/);
  });

  it('an unterminated quote is refused', () => {
    assert.equal(canonicalError('services:\n  web:\n    command: echo "open\n').message, 'services.web.command invalid command line string: echo "open');
  });
});

describe('typed scalars (interpolation leaves strings)', () => {
  it('integers, floats, booleans, sizes and durations', () => {
    const yaml = `services:
  web:
    scale: "2"
    cpus: "0.5"
    cpu_shares: "512"
    pids_limit: "-1"
    oom_score_adj: "-500"
    mem_limit: 512m
    mem_reservation: "1.5GB"
    memswap_limit: "-1"
    shm_size: "64m"
    mem_swappiness: "60"
    init: "false"
    tty: "true"
    privileged: false
    stdin_open: "FALSE"
    read_only: True
    stop_grace_period: 1m
`;
    const web = service(yaml);
    assert.deepEqual(
      { ...web },
      {
        scale: 2,
        cpus: 0.5,
        cpu_shares: 512,
        pids_limit: -1,
        oom_score_adj: -500,
        mem_limit: 512 * 1024 ** 2,
        mem_reservation: 1_610_612_736,
        memswap_limit: -1,
        shm_size: 64 * 1024 ** 2,
        mem_swappiness: 60,
        init: false,
        tty: true,
        read_only: true,
        stop_grace_period: '1m0s',
      },
    );
  });

  it('yes/no/on/off are read as YAML 1.1 booleans with compose-go`s warning', () => {
    const run = runCanonical('services:\n  web:\n    tty: "yes"\n    init: "off"\n');
    assert.equal((run.output as any).services.web.tty, true);
    assert.equal((run.output as any).services.web.init, false);
    assert.match(run.ctx.warnings[0]?.message ?? '', /"yes" for boolean is not supported by YAML 1\.2, please use `true`/);
  });

  it('values that are not what the key needs are refused at their key', () => {
    assert.equal(canonicalError('services:\n  web:\n    scale: two\n').message, 'services.web.scale must be an integer, got "two"');
    assert.equal(canonicalError('services:\n  web:\n    tty: maybe\n').message, 'services.web.tty invalid boolean: "maybe"');
    assert.equal(canonicalError('services:\n  web:\n    mem_limit: lots\n').message, "services.web.mem_limit invalid size: 'lots'");
    assert.equal(canonicalError('services:\n  web:\n    cpus: half\n').message, 'services.web.cpus must be a number, got "half"');
  });
});

describe('lists and small long forms', () => {
  it('string-or-list keys become lists of strings; dns drops empty entries', () => {
    const web = service('services:\n  web:\n    dns: 8.8.8.8\n    dns_search: [a.example, ""]\n    tmpfs: /run\n    expose: ["3000", 8000, "9091-9092"]\n    group_add: [1000, audio]\n');
    assert.deepEqual(web.dns, ['8.8.8.8']);
    assert.deepEqual(web.dns_search, ['a.example', '']);
    assert.deepEqual(web.tmpfs, ['/run']);
    assert.deepEqual(web.expose, ['3000', '8000', '9091-9092']);
    assert.deepEqual(web.group_add, ['1000', 'audio']);
    assert.deepEqual(service('services:\n  web:\n    dns: ["", 1.1.1.1]\n').dns, ['1.1.1.1']);
  });

  it('ulimits: a single number is both limits', () => {
    assert.deepEqual(service('services:\n  web:\n    ulimits: {nproc: 65535, nofile: {soft: "20000", hard: 40000}}\n').ulimits, {
      nproc: { soft: 65535, hard: 65535 },
      nofile: { soft: 20000, hard: 40000 },
    });
  });

  it('extra_hosts: both separators and the map form become sorted host=ip; brackets and commas handled', () => {
    assert.deepEqual(service('services:\n  web:\n    extra_hosts: ["somehost:162.242.195.82", "other=50.31.209.229", "v6:[::1]", "multi=1.1.1.1,2.2.2.2"]\n').extra_hosts, [
      'multi=1.1.1.1',
      'multi=2.2.2.2',
      'other=50.31.209.229',
      'somehost=162.242.195.82',
      'v6=::1',
    ]);
    assert.deepEqual(service('services:\n  web:\n    extra_hosts: {gw: host-gateway, two: [10.0.0.1, 10.0.0.2]}\n').extra_hosts, ['gw=host-gateway', 'two=10.0.0.1', 'two=10.0.0.2']);
    assert.equal(canonicalError('services:\n  web:\n    extra_hosts: [nohost]\n').message, 'services.web.extra_hosts.0 invalid additional host, missing IP: nohost');
  });

  it('secrets and configs references: name → {source}; uid/gid text, mode octal text → number', () => {
    const web = service('services:\n  web:\n    secrets: [s1, {source: s2, target: t, uid: 103, gid: "103", mode: "0440"}]\n    configs: [c1, {source: c2, mode: 292}]\n');
    assert.deepEqual(web.secrets, [{ source: 's1' }, { source: 's2', target: 't', uid: '103', gid: '103', mode: 0o440 }]);
    assert.deepEqual(web.configs, [{ source: 'c1' }, { source: 'c2', mode: 292 }]);
    assert.match(canonicalError('services:\n  web:\n    secrets: [{source: s, mode: "rw"}]\n').message, /^services\.web\.secrets\.0\.mode invalid file mode "rw"/);
  });

  it('networks: a list becomes name → null; entries keep their settings', () => {
    assert.deepEqual(service('services:\n  web:\n    networks: [front, back]\n').networks, { front: null, back: null });
    const web = service('services:\n  web:\n    networks:\n      front:\n      back: {aliases: [b], priority: "10", driver_opts: {mtu: 1400}}\n');
    assert.deepEqual(web.networks, { front: null, back: { aliases: ['b'], priority: 10, driver_opts: { mtu: '1400' } } });
  });

  it('devices: short form → {source, target, permissions}', () => {
    assert.deepEqual(service('services:\n  web:\n    devices: ["/dev/a", "/dev/b:/dev/c", "/dev/d:/dev/e:r", {source: /dev/f, target: /dev/g}]\n').devices, [
      { source: '/dev/a', target: '/dev/a', permissions: 'rwm' },
      { source: '/dev/b', target: '/dev/c', permissions: 'rwm' },
      { source: '/dev/d', target: '/dev/e', permissions: 'r' },
      { source: '/dev/f', target: '/dev/g' },
    ]);
    assert.match(canonicalError('services:\n  web:\n    devices: ["a:b:c:d"]\n').message, /confusing device mapping, please use long syntax: a:b:c:d/);
  });

  it('gpus and device requests: count all is -1, and the default', () => {
    assert.deepEqual(service('services:\n  web:\n    gpus: all\n').gpus, [{ count: -1 }]);
    assert.deepEqual(service('services:\n  web:\n    gpus: [{driver: nvidia, count: "2"}, {device_ids: ["0"]}]\n').gpus, [
      { driver: 'nvidia', count: 2 },
      { device_ids: ['0'] },
    ]);
    const devices = service('services:\n  web:\n    deploy:\n      resources:\n        reservations:\n          devices: [{capabilities: [gpu]}, {capabilities: [gpu], count: all}]\n')
      .deploy.resources.reservations.devices;
    assert.deepEqual(devices, [
      { capabilities: ['gpu'], count: -1 },
      { capabilities: ['gpu'], count: -1 },
    ]);
  });

  it('logging options become strings', () => {
    assert.deepEqual(service('services:\n  web:\n    logging: {driver: json-file, options: {max-size: 10m, max-file: 3, empty: null}}\n').logging, {
      driver: 'json-file',
      options: { 'max-size': '10m', 'max-file': '3', empty: '' },
    });
  });

  it('extends as a string names a service', () => {
    assert.deepEqual(service('services:\n  web:\n    extends: base\n').extends, { service: 'base' });
  });

  it('models: a list becomes name → null; provider options become lists', () => {
    const web = service('services:\n  web:\n    models: [llm]\n    provider: {type: model, options: {model: ai/x, flag: [a, 1]}}\n');
    assert.deepEqual(web.models, { llm: null });
    assert.deepEqual(web.provider, { type: 'model', options: { model: ['ai/x'], flag: ['a', '1'] } });
  });
});

describe('deploy', () => {
  it('resources: cpus as a number, memory in bytes, pids a number; durations and counts typed', () => {
    const yaml = `services:
  web:
    deploy:
      replicas: "3"
      labels: [a=b]
      resources:
        limits: {cpus: "0.5", memory: 50M, pids: "100"}
        reservations: {cpus: 0.25, memory: 20M}
      restart_policy: {condition: on-failure, delay: 5s, max_attempts: "3", window: 120s}
      update_config: {parallelism: 2, delay: 10s, monitor: 60s, max_failure_ratio: "0.3"}
      placement: {max_replicas_per_node: "5"}
`;
    assert.deepEqual(service(yaml).deploy, {
      replicas: 3,
      labels: { a: 'b' },
      resources: { limits: { cpus: 0.5, memory: 52_428_800, pids: 100 }, reservations: { cpus: 0.25, memory: 20_971_520 } },
      restart_policy: { condition: 'on-failure', delay: '5s', max_attempts: 3, window: '2m0s' },
      update_config: { parallelism: 2, delay: '10s', monitor: '1m0s', max_failure_ratio: 0.3 },
      placement: { max_replicas_per_node: 5 },
    });
  });

  it('service-level limits must agree with deploy.resources (compose-go wording)', () => {
    const ok = service('services:\n  web:\n    mem_limit: 1g\n    cpus: 0.5\n    deploy: {resources: {limits: {memory: 1024m, cpus: "0.5"}}}\n');
    assert.equal(ok.mem_limit, 1024 ** 3);
    const err = canonicalError('services:\n  web:\n    cpus: 1\n    deploy: {resources: {limits: {cpus: 2}}}\n');
    assert.equal(err.message, "services.web.cpus can't set distinct values on 'cpus' and 'deploy.resources.limits.cpus': cpus 1 conflicts with deploy.resources.limits.cpus 2");
    assert.deepEqual(err.location, { file: '/p/compose.yaml', line: 3, column: 5 });
    assert.match(canonicalError('services:\n  web:\n    mem_reservation: 1m\n    deploy: {resources: {reservations: {memory: 2m}}}\n').message, /'mem_reservation' and 'deploy\.resources\.reservations\.memory'/);
    assert.match(canonicalError('services:\n  web:\n    pids_limit: 10\n    deploy: {resources: {limits: {pids: 20}}}\n').message, /'pids_limit' and 'deploy\.resources\.limits\.pids'/);
  });
});

describe('develop and hooks', () => {
  it('watch rules: ignore/include lists, initial_sync cast, exec command split', () => {
    const yaml = `services:
  web:
    develop:
      watch:
        - {path: ./src, action: sync, target: /app, ignore: node_modules/, initial_sync: "true"}
        - {path: ./pkg, action: sync+exec, target: /pkg, include: "*.go", exec: {command: make build, environment: [A=1]}}
        - {path: ./Dockerfile, action: rebuild, initial_sync: false}
`;
    assert.deepEqual(service(yaml).develop.watch, [
      { path: './src', action: 'sync', target: '/app', ignore: ['node_modules/'], initial_sync: true },
      { path: './pkg', action: 'sync+exec', target: '/pkg', include: ['*.go'], exec: { command: ['make', 'build'], environment: { A: '1' } } },
      { path: './Dockerfile', action: 'rebuild' },
    ]);
  });

  it('lifecycle hooks: command split, environment resolved, privileged cast', () => {
    const web = service('services:\n  web:\n    post_start: [{command: echo hi, environment: [HOME_DIR, X=1], privileged: "true"}]\n    pre_stop: [{command: [sh, -c, exit]}]\n', {
      env: { HOME_DIR: '/h' },
    });
    assert.deepEqual(web.post_start, [{ command: ['echo', 'hi'], environment: { HOME_DIR: '/h', X: '1' }, privileged: true }]);
    assert.deepEqual(web.pre_stop, [{ command: ['sh', '-c', 'exit'] }]);
  });
});

describe('what the phase leaves alone', () => {
  it('keys it has no rule for and extension keys pass through untouched', () => {
    const yaml = 'services:\n  web:\n    image: nginx\n    restart: unless-stopped\n    x-custom: {ports: ["1:1"], tty: "no"}\n    cap_add: [NET_ADMIN]\nx-anchors: {environment: [A]}\n';
    const out = runCanonical(yaml).output as any;
    assert.deepEqual(out.services.web, { image: 'nginx', restart: 'unless-stopped', 'x-custom': { ports: ['1:1'], tty: 'no' }, cap_add: ['NET_ADMIN'] });
    assert.deepEqual(out['x-anchors'], { environment: ['A'] });
  });

  it('the input tree is not modified, and positions follow the copies', () => {
    const yaml = 'services:\n  web:\n    image: nginx\n    ports: ["80:80"]\n    environment: [A=1]\n';
    const run = runCanonical(yaml);
    assert.deepEqual((run.input as any).services.web.ports, ['80:80']);
    assert.deepEqual((run.input as any).services.web.environment, ['A=1']);
    const web = (run.output as any).services.web;
    assert.deepEqual(run.ctx.positions.key(web, 'image'), { file: '/p/compose.yaml', line: 3, column: 5 });
    assert.deepEqual(run.ctx.positions.key(web.ports, 0), { file: '/p/compose.yaml', line: 4, column: 13 });
    assert.deepEqual(run.ctx.positions.locate(run.output, ['services', 'web', 'ports', 0, 'target']), { file: '/p/compose.yaml', line: 4, column: 13 });
  });

  it('an empty service body becomes an empty mapping', () => {
    assert.deepEqual(canonicalOf('services:\n  web:\n').services.web, {});
  });
});

function canonicalOf(yaml: string): any {
  return runCanonical(yaml).output;
}

describe('one mount per target', () => {
  it('secrets, configs and devices with the same target collapse, later entries winning in place', () => {
    const web = service(`services:
  web:
    secrets: [token, {source: token, mode: "0400"}, {source: other, target: /run/secrets/x}]
    configs: [conf, {source: conf, target: /conf, uid: "1"}]
    devices: ["/dev/a:/dev/x", {source: /dev/b, target: /dev/x}, "/dev/c"]
`);
    assert.deepEqual(web.secrets, [{ source: 'token', mode: 0o400 }, { source: 'other', target: '/run/secrets/x' }]);
    assert.deepEqual(web.configs, [{ source: 'conf', target: '/conf', uid: '1' }]);
    assert.deepEqual(web.devices, [{ source: '/dev/b', target: '/dev/x' }, { source: '/dev/c', target: '/dev/c', permissions: 'rwm' }]);
  });
});
