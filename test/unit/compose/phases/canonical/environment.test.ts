/** environment, env_file and label_file: maps of strings, pass-through variables, files merged underneath. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalError, runCanonical, service } from '../../../../support/canonical.js';

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
    const env = (run.output as any).services.web.environment;
    assert.deepEqual(run.ctx.positions.key(env, 'B'), { file: '/p/compose.yaml', line: 5, column: 9 });
  });
});

describe('env_file', () => {
  const files = {
    '/p/a.env': 'A=from-a\nSHARED=a\nREF=${FROM_SHELL}-${A}\n',
    '/p/b.env': 'SHARED=b\nB=from-b\nUSES_OWN=${OWN}\n',
    '/p/raw.env': 'RAW="quoted ${X}" # not a comment\n',
  };

  it('string, list and objects become [{path, required, format?}]', () => {
    assert.deepEqual(service('services:\n  web:\n    env_file: /p/a.env\n', { files }).env_file, [{ path: '/p/a.env', required: true }]);
    const web = service('services:\n  web:\n    env_file:\n      - /p/a.env\n      - {path: /p/b.env, required: "false"}\n      - {path: /p/raw.env, format: raw}\n', { files });
    assert.deepEqual(web.env_file, [
      { path: '/p/a.env', required: true },
      { path: '/p/b.env', required: false },
      { path: '/p/raw.env', required: true, format: 'raw' },
    ]);
  });

  it('file variables merge into environment: later files win, environment wins over all', () => {
    const web = service('services:\n  web:\n    env_file: [/p/a.env, /p/b.env]\n    environment: {A: own, OWN: mine}\n', { files, env: { FROM_SHELL: 'sh' } });
    assert.deepEqual(web.environment, { SHARED: 'b', REF: 'sh-from-a', B: 'from-b', USES_OWN: 'mine', A: 'own', OWN: 'mine' });
  });

  it('format raw takes values verbatim', () => {
    assert.deepEqual(service('services:\n  web:\n    env_file: [{path: /p/raw.env, format: raw}]\n', { files }).environment, {
      RAW: '"quoted ${X}" # not a comment',
    });
  });

  it('an optional file that is missing is skipped; a required one is an error at its entry', () => {
    assert.deepEqual(service('services:\n  web:\n    env_file: [{path: /p/none.env, required: false}, /p/a.env]\n', { files }).environment.SHARED, 'a');
    const err = canonicalError('services:\n  web:\n    env_file:\n      - /p/a.env\n      - /p/none.env\n', { files });
    assert.equal(err.message, 'services.web.env_file.1 env file /p/none.env not found');
    assert.equal(err.code, 'TSC_ENV_FILE_NOT_FOUND');
    assert.deepEqual(err.location, { file: '/p/compose.yaml', line: 5, column: 9 });
  });

  it('an unset pass-through entry hides the env_file value (compose-go overrides it with null)', () => {
    assert.equal(service('services:\n  web:\n    env_file: [/p/a.env]\n    environment: [SHARED]\n', { files }).environment.SHARED, undefined);
    assert.equal(service('services:\n  web:\n    env_file: [/p/a.env]\n    environment: [SHARED]\n', { files, env: { SHARED: 'sh' } }).environment.SHARED, 'sh');
  });

  it('an unknown format is refused', () => {
    assert.match(canonicalError('services:\n  web:\n    env_file: [{path: /p/a.env, format: toml}]\n', { files }).message, /unsupported env_file format "toml"/);
  });

  it('the same file twice counts once', () => {
    assert.deepEqual(service('services:\n  web:\n    env_file: [/p/a.env, {path: /p/a.env, required: false}]\n', { files }).env_file, [
      { path: '/p/a.env', required: false },
    ]);
  });
});

describe('label_file', () => {
  it('labels from files under the service labels, later files winning', () => {
    const files = { '/p/1.label': 'A=1\nB=1\n', '/p/2.label': 'B=2\nC=${B}\n' };
    const web = service('services:\n  web:\n    label_file: [/p/1.label, /p/2.label]\n    labels: {A: own}\n', { files });
    assert.deepEqual(web.labels, { A: 'own', B: '2', C: '2' });
    assert.deepEqual(service('services:\n  web:\n    label_file: /p/1.label\n', { files }).label_file, ['/p/1.label']);
  });

  it('a missing label file is an error', () => {
    assert.equal(canonicalError('services:\n  web:\n    label_file: [/p/x.label]\n').message, 'services.web.label_file.0 label file /p/x.label not found');
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
    assert.deepEqual(web.storage_opt, { size: '20G' });
  });

  it('build.args: pass-through entries resolved, unset ones dropped', () => {
    const yaml = 'services:\n  web:\n    build:\n      context: .\n      args: [VERSION, "PINNED=1", UNSET]\n';
    assert.deepEqual(service(yaml, { env: { VERSION: '2' } }).build.args, { VERSION: '2', PINNED: '1' });
    assert.deepEqual(service('services:\n  web:\n    build: {context: ., args: {N: 3, E: null}}\n', { env: { E: 'e' } }).build.args, { N: '3', E: 'e' });
  });
});

describe('env_file without values', () => {
  it('adds no environment key when the files bring nothing', () => {
    const web = service('services:\n  web:\n    env_file: [{path: /p/none.env, required: false}]\n');
    assert.equal('environment' in web, false);
    assert.deepEqual(service('services:\n  web:\n    env_file: [{path: /p/none.env, required: false}]\n    environment: {}\n').environment, {});
  });
});
