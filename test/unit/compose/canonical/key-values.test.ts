/** Key/value maps: environments (pass-through variables), labels and options as maps of strings, provider options as lists. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalError, runCanonical, service, serviceOf } from '../../../support/canonical.js';

describe('environment', () => {
  it('a KEY=VAL list becomes a map; values stay text after the first =', () => {
    const web = service('services:\n  web:\n    environment: ["A=1", "B=x=y", "C=", "D"]\n', { env: { D: 'from-shell' } });
    assert.deepEqual(web.environment, { A: '1', B: 'x=y', C: '', D: 'from-shell' });
  });

  it('map values become strings (numbers, booleans); null takes the shell value', () => {
    const yaml = 'services:\n  web:\n    environment:\n      N: 42\n      F: 1.5\n      T: true\n      S: text\n      P:\n';
    assert.deepEqual(service(yaml, { env: { P: 'passed' } }).environment, { N: '42', F: '1.5', T: 'true', S: 'text', P: 'passed' });
  });

  it('a pass-through variable that is unset is dropped', () => {
    assert.deepEqual(service('services:\n  web:\n    environment: [GONE, "KEPT=1"]\n').environment, { KEPT: '1' });
    assert.deepEqual(service('services:\n  web:\n    environment: {GONE: null}\n').environment, {});
  });

  it('a set-but-empty shell variable is kept empty', () => {
    assert.deepEqual(service('services:\n  web:\n    environment: [EMPTY]\n', { env: { EMPTY: '' } }).environment, { EMPTY: '' });
  });

  it('a key with a trailing space is refused as compose-go refuses it', () => {
    assert.equal(
      canonicalError('services:\n  web:\n    environment: ["KEY =v"]\n').message,
      'services.web.environment.0 environment variable KEY  is declared with a trailing space',
    );
  });

  it('keeps the source position of each variable', () => {
    const run = runCanonical('services:\n  web:\n    environment:\n      - A=1\n      - B=2\n');
    const env = serviceOf(run.output).environment;
    assert.ok(env);
    assert.deepEqual(run.ctx.positions.key(env, 'B'), { file: '/p/compose.yaml', line: 5, column: 9 });
  });
});

describe('other key/value maps', () => {
  it('labels, annotations, sysctls: lists and maps of strings, empty for no value', () => {
    const yaml = `services:
  web:
    labels: ["a=1", "b", "c=x=y"]
    annotations: {n: 1, t: true, e: null}
    sysctls: ["net.core.somaxconn=1024"]
    storage_opt: {size: 20G}
`;
    const web = service(yaml);
    assert.deepEqual(web.labels, { a: '1', b: '', c: 'x=y' });
    assert.deepEqual(web.annotations, { n: '1', t: 'true', e: '' });
    assert.deepEqual(web.sysctls, { 'net.core.somaxconn': '1024' });
    assert.deepEqual(web['storage_opt'], { size: '20G' });
  });

  it('build.args: pass-through entries resolved, unset ones dropped', () => {
    const yaml = 'services:\n  web:\n    build:\n      context: .\n      args: [VERSION, "PINNED=1", UNSET]\n';
    assert.deepEqual(service(yaml, { env: { VERSION: '2' } }).build?.args, { VERSION: '2', PINNED: '1' });
    assert.deepEqual(service('services:\n  web:\n    build: {context: ., args: {N: 3, E: null}}\n', { env: { E: 'e' } }).build?.args, { N: '3', E: 'e' });
  });

  it('provider options become lists', () => {
    const web = service('services:\n  web:\n    models: [llm]\n    provider: {type: model, options: {model: ai/x, flag: [a, 1]}}\n');
    assert.deepEqual(web['provider'], { type: 'model', options: { model: ['ai/x'], flag: ['a', '1'] } });
  });
});
