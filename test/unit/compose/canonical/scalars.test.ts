/** Typed scalars: interpolation leaves strings, compose-go's casts make them numbers, booleans, bytes and Go durations. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalError, runCanonical, service, serviceOf } from '../../../support/canonical.js';

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
    assert.equal(serviceOf(run.output).tty, true);
    assert.equal(serviceOf(run.output).init, false);
    assert.match(run.ctx.warnings[0]?.message ?? '', /"yes" for boolean is not supported by YAML 1\.2, please use `true`/);
  });

  it('values that are not what the key needs are refused at their key', () => {
    assert.equal(canonicalError('services:\n  web:\n    scale: two\n').message, 'services.web.scale must be an integer, got "two"');
    assert.equal(canonicalError('services:\n  web:\n    tty: maybe\n').message, 'services.web.tty invalid boolean: "maybe"');
    assert.equal(canonicalError('services:\n  web:\n    mem_limit: lots\n').message, "services.web.mem_limit invalid size: 'lots'");
    assert.equal(canonicalError('services:\n  web:\n    cpus: half\n').message, 'services.web.cpus must be a number, got "half"');
  });

  it('file modes: numbers as they are, text as octal', () => {
    assert.deepEqual(service('services:\n  web:\n    configs: [{source: c, mode: "0755"}, {source: d, mode: 420}]\n').configs, [
      { source: 'c', mode: 0o755 },
      { source: 'd', mode: 420 },
    ]);
    assert.equal(canonicalError('services:\n  web:\n    configs: [{source: c, mode: "0789"}]\n').message, 'services.web.configs.0.mode invalid file mode "0789": expected an octal number like 0440');
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
});
