/** The canonical phase's walker and path-pattern table: one rule per path, as compose-go's map of transformers; what has no rule is copied. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalPatterns, toCanonical } from '../../../../src/compose/phases/canonical.js';
import { prepare, runCanonical, service, serviceOf } from '../../../support/canonical.js';

it('no two rules can match the same path', () => {
  const patterns = canonicalPatterns().map((p) => p.split('.'));
  const clashes: string[] = [];
  for (let i = 0; i < patterns.length; i++) {
    for (let j = i + 1; j < patterns.length; j++) {
      const a = patterns[i] as string[];
      const b = patterns[j] as string[];
      if (a.length === b.length && a.every((seg, k) => seg === '*' || b[k] === '*' || seg === b[k])) clashes.push(`${a.join('.')} ~ ${b.join('.')}`);
    }
  }
  assert.deepEqual(clashes, []);
});

it('covers the keys the brief names', () => {
  const patterns = new Set(canonicalPatterns());
  for (const p of [
    'services.*.ports',
    'services.*.volumes.*',
    'services.*.depends_on',
    'services.*.environment',
    'services.*.env_file',
    'services.*.labels',
    'services.*.extra_hosts',
    'services.*.build',
    'services.*.healthcheck',
    'services.*.secrets.*',
    'services.*.configs.*',
    'services.*.networks',
    'services.*.ulimits.*',
    'services.*.command',
    'services.*.entrypoint',
    'services.*.devices.*',
    'services.*.logging',
    'services.*.deploy.resources.limits.memory',
    'services.*.mem_limit',
    'services.*.stop_grace_period',
    'networks.*',
    'volumes.*',
    'secrets.*',
    'configs.*',
  ]) {
    assert.ok(patterns.has(p), p);
  }
});

describe('rules reach nested paths', () => {
  it('watch rules: ignore/include lists, initial_sync cast, exec command split', () => {
    const yaml = `services:
  web:
    develop:
      watch:
        - {path: ./src, action: sync, target: /app, ignore: node_modules/, initial_sync: "true"}
        - {path: ./pkg, action: sync+exec, target: /pkg, include: "*.go", exec: {command: make build, environment: [A=1]}}
        - {path: ./Dockerfile, action: rebuild, initial_sync: false}
`;
    assert.deepEqual(service(yaml).develop?.watch, [
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
    const out = runCanonical(yaml).output;
    assert.deepEqual(serviceOf(out), { image: 'nginx', restart: 'unless-stopped', 'x-custom': { ports: ['1:1'], tty: 'no' }, cap_add: ['NET_ADMIN'] });
    assert.deepEqual(out['x-anchors'], { environment: ['A'] });
  });

  it('the input tree is not modified, and positions follow the copies', () => {
    const yaml = 'services:\n  web:\n    image: nginx\n    ports: ["80:80"]\n    environment: [A=1]\n';
    const run = runCanonical(yaml);
    const input = serviceOf(run.input) as Record<string, unknown>;
    assert.deepEqual(input['ports'], ['80:80']);
    assert.deepEqual(input['environment'], ['A=1']);
    const web = serviceOf(run.output);
    assert.ok(web.ports);
    assert.deepEqual(run.ctx.positions.key(web, 'image'), { file: '/p/compose.yaml', line: 3, column: 5 });
    assert.deepEqual(run.ctx.positions.key(web.ports, 0), { file: '/p/compose.yaml', line: 4, column: 13 });
    assert.deepEqual(run.ctx.positions.locate(run.output, ['services', 'web', 'ports', 0, 'target']), { file: '/p/compose.yaml', line: 4, column: 13 });
  });

  it('a key an earlier phase left holding undefined is absent; a false flag disappears', () => {
    const { input, ctx, lookup } = prepare('services:\n  web:\n    image: x\n    tty: false\n');
    serviceOf(input).user = undefined;
    assert.deepEqual(serviceOf(toCanonical(input, ctx, { lookup })), { image: 'x' });
  });
});
