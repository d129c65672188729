/** Restart policies: which one a service has, whether an exit is followed by a restart, the backoff, and engine boot. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  backoffDelay,
  decideRestart,
  formatRestartPolicy,
  parseRestartPolicy,
  restartPolicyOf,
} from '../../../src/engine/restart-policy.js';
import type { RestartInput, RestartPolicy } from '../../../src/engine/restart-policy.js';
import { TscComposeError } from '../../../src/errors/index.js';
import type { ServiceConfig } from '../../../src/compose/model.js';

const service = (over: Record<string, unknown>): ServiceConfig => ({ image: 'busybox', ...over });

const exit = (over: Partial<RestartInput> = {}): RestartInput => ({
  exitCode: 1,
  restartCount: 0,
  stoppedByUser: false,
  ranForMs: 50,
  previousDelayMs: 0,
  reason: 'exit',
  ...over,
});

const restarts = (p: RestartPolicy, over: Partial<RestartInput> = {}): boolean => decideRestart(p, exit(over)).restart;

describe('parseRestartPolicy (restart:)', () => {
  it('reads the four policies and on-failure:N', () => {
    assert.deepEqual(parseRestartPolicy('no'), { name: 'no' });
    assert.deepEqual(parseRestartPolicy('always'), { name: 'always' });
    assert.deepEqual(parseRestartPolicy('unless-stopped'), { name: 'unless-stopped' });
    assert.deepEqual(parseRestartPolicy('on-failure'), { name: 'on-failure' });
    assert.deepEqual(parseRestartPolicy('on-failure:5'), { name: 'on-failure', maxRetries: 5 });
  });
  it('on-failure:0 and a count that is not a number mean no limit (compose ignores what Atoi cannot read)', () => {
    assert.deepEqual(parseRestartPolicy('on-failure:0'), { name: 'on-failure' });
    assert.deepEqual(parseRestartPolicy('on-failure:many'), { name: 'on-failure' });
  });
  it('rejects what the Docker engine rejects', () => {
    const rejects = (text: string, message: RegExp): void =>
      assert.throws(() => parseRestartPolicy(text, 'web'), (err: unknown) => err instanceof TscComposeError && err.code === 'TSC_RESTART_POLICY' && err.service === 'web' && message.test(err.message));
    rejects('sometimes', /unknown policy 'sometimes'/);
    rejects('always:3', /maximum retry count can only be used with 'on-failure'/);
    rejects('unless-stopped:1', /only be used with 'on-failure'/);
    rejects('no:2', /only be used with 'on-failure'/);
    rejects('on-failure:-1', /cannot be negative/);
  });
  it('formats back as compose writes it', () => {
    for (const text of ['no', 'always', 'unless-stopped', 'on-failure', 'on-failure:3']) assert.equal(formatRestartPolicy(parseRestartPolicy(text)), text);
  });
});

describe('restartPolicyOf (docker compose getRestartPolicy)', () => {
  it('no restart key: no', () => {
    assert.deepEqual(restartPolicyOf(service({})), { name: 'no' });
  });
  it('restart:', () => {
    assert.deepEqual(restartPolicyOf(service({ restart: 'always' })), { name: 'always' });
    assert.deepEqual(restartPolicyOf(service({ restart: 'on-failure:2' })), { name: 'on-failure', maxRetries: 2 });
  });
  it('deploy.restart_policy: none, on-failure with max_attempts, any', () => {
    assert.deepEqual(restartPolicyOf(service({ deploy: { restart_policy: { condition: 'none' } } })), { name: 'no' });
    assert.deepEqual(restartPolicyOf(service({ deploy: { restart_policy: { condition: 'on-failure', max_attempts: 4 } } })), { name: 'on-failure', maxRetries: 4 });
    assert.deepEqual(restartPolicyOf(service({ deploy: { restart_policy: { condition: 'on-failure' } } })), { name: 'on-failure' });
    assert.deepEqual(restartPolicyOf(service({ deploy: { restart_policy: { condition: 'any' } } })), { name: 'always' });
  });
  it('deploy.restart_policy replaces restart: when both are there, as docker compose does', () => {
    assert.deepEqual(restartPolicyOf(service({ restart: 'always', deploy: { restart_policy: { condition: 'on-failure', max_attempts: 1 } } })), { name: 'on-failure', maxRetries: 1 });
  });
  it('deploy.restart_policy without a condition is no restart (the engine reads an empty name as no)', () => {
    assert.deepEqual(restartPolicyOf(service({ deploy: { restart_policy: { max_attempts: 3 } } })), { name: 'no' });
  });
  it('deploy.restart_policy with max_attempts and condition any is rejected as the engine does', () => {
    assert.throws(() => restartPolicyOf(service({ deploy: { restart_policy: { condition: 'any', max_attempts: 3 } } }), 'web'), /only be used with 'on-failure'/);
  });
  it('a deploy without restart_policy leaves restart: alone', () => {
    assert.deepEqual(restartPolicyOf(service({ restart: 'unless-stopped', deploy: { replicas: 2 } })), { name: 'unless-stopped' });
  });
});

describe('decideRestart after an exit', () => {
  it('no never restarts', () => {
    assert.deepEqual(decideRestart({ name: 'no' }, exit()), { restart: false, why: 'restart policy "no"' });
    assert.equal(restarts({ name: 'no' }, { exitCode: 0 }), false);
  });
  it('always and unless-stopped restart on any exit code', () => {
    for (const name of ['always', 'unless-stopped'] as const) {
      assert.equal(restarts({ name }, { exitCode: 0 }), true);
      assert.equal(restarts({ name }, { exitCode: 137 }), true);
      assert.equal(restarts({ name }, { restartCount: 10_000 }), true);
    }
  });
  it('on-failure restarts only for a non-zero exit code', () => {
    assert.equal(restarts({ name: 'on-failure' }, { exitCode: 0 }), false);
    assert.equal(restarts({ name: 'on-failure' }, { exitCode: 1 }), true);
    assert.equal(restarts({ name: 'on-failure' }, { exitCode: 137 }), true);
    assert.equal(restarts({ name: 'on-failure' }, { exitCode: 1, restartCount: 10_000 }), true, 'no limit without maxRetries');
  });
  it('on-failure:N restarts while fewer than N restarts were done', () => {
    const p: RestartPolicy = { name: 'on-failure', maxRetries: 3 };
    assert.equal(restarts(p, { restartCount: 0 }), true);
    assert.equal(restarts(p, { restartCount: 2 }), true);
    const last = decideRestart(p, exit({ restartCount: 3 }));
    assert.equal(last.restart, false);
    assert.match(last.restart ? '' : last.why, /gave up after 3 restarts/);
  });
  it('a container stopped by the user is never restarted, whatever the policy', () => {
    for (const name of ['no', 'always', 'unless-stopped', 'on-failure'] as const) {
      assert.deepEqual(decideRestart({ name }, exit({ stoppedByUser: true, exitCode: 143 })), { restart: false, why: 'stopped by the user' });
    }
  });
});

describe('backoff', () => {
  it('100 ms first, doubling each time, never more than a minute', () => {
    const delays: number[] = [];
    let previous = 0;
    for (let i = 0; i < 14; i++) {
      const d = decideRestart({ name: 'always' }, exit({ previousDelayMs: previous, ranForMs: 20 }));
      assert.ok(d.restart);
      delays.push(d.delayMs);
      previous = d.delayMs;
    }
    assert.deepEqual(delays, [100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 51200, 60000, 60000, 60000, 60000]);
  });
  it('back to 100 ms once the run lasted 10 s or more', () => {
    assert.equal(backoffDelay(60_000, 10_000), 100);
    assert.equal(backoffDelay(60_000, 9_999), 60_000);
    assert.equal(backoffDelay(800, 9_999), 1_600);
    assert.equal(backoffDelay(800, 3_600_000), 100);
    const d = decideRestart({ name: 'on-failure' }, exit({ previousDelayMs: 25_600, ranForMs: 12_000 }));
    assert.deepEqual(d, { restart: true, delayMs: 100 });
  });
});

describe('decideRestart when the engine boots (after a reboot)', () => {
  const boot = (over: Partial<RestartInput> = {}): RestartInput => exit({ reason: 'engine-boot', exitCode: 255, ...over });
  it('always and unless-stopped come back at once', () => {
    assert.deepEqual(decideRestart({ name: 'always' }, boot()), { restart: true, delayMs: 0 });
    assert.deepEqual(decideRestart({ name: 'unless-stopped' }, boot({ exitCode: 0 })), { restart: true, delayMs: 0 });
    assert.deepEqual(decideRestart({ name: 'always' }, boot({ previousDelayMs: 60_000 })), { restart: true, delayMs: 0 });
  });
  it('no and on-failure stay down', () => {
    assert.equal(decideRestart({ name: 'no' }, boot()).restart, false);
    assert.equal(decideRestart({ name: 'on-failure' }, boot()).restart, false);
    assert.equal(decideRestart({ name: 'on-failure', maxRetries: 3 }, boot()).restart, false);
  });
  it('a container the user stopped stays stopped (unless-stopped remembers it)', () => {
    assert.equal(decideRestart({ name: 'unless-stopped' }, boot({ stoppedByUser: true })).restart, false);
    assert.equal(decideRestart({ name: 'always' }, boot({ stoppedByUser: true })).restart, false);
  });
});
