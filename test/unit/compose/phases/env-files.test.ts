/** The env-files phase: env_file and label_file read through the reader and merged under environment and labels. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { toCanonical } from '../../../../src/compose/phases/canonical.js';
import { applyEnvFiles } from '../../../../src/compose/phases/env-files.js';
import type { FileReader } from '../../../../src/compose/context.js';
import { canonicalError, prepare, service, serviceOf } from '../../../support/canonical.js';

describe('env_file', () => {
  const files = {
    '/p/a.env': 'A=from-a\nSHARED=a\nREF=${FROM_SHELL}-${A}\n',
    '/p/b.env': 'SHARED=b\nB=from-b\nUSES_OWN=${OWN}\n',
    '/p/raw.env': 'RAW="quoted ${X}" # not a comment\n',
  };

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
    assert.deepEqual(service('services:\n  web:\n    env_file: [{path: /p/none.env, required: false}, /p/a.env]\n', { files }).environment?.['SHARED'], 'a');
    const err = canonicalError('services:\n  web:\n    env_file:\n      - /p/a.env\n      - /p/none.env\n', { files });
    assert.equal(err.message, 'services.web.env_file.1 env file /p/none.env not found');
    assert.equal(err.code, 'TSC_ENV_FILE_NOT_FOUND');
    assert.deepEqual(err.location, { file: '/p/compose.yaml', line: 5, column: 9 });
  });

  it('an unset pass-through entry hides the env_file value (compose-go overrides it with null)', () => {
    assert.equal(service('services:\n  web:\n    env_file: [/p/a.env]\n    environment: [SHARED]\n', { files }).environment?.['SHARED'], undefined);
    assert.equal(service('services:\n  web:\n    env_file: [/p/a.env]\n    environment: [SHARED]\n', { files, env: { SHARED: 'sh' } }).environment?.['SHARED'], 'sh');
  });

  it('an unknown format is refused', () => {
    assert.match(canonicalError('services:\n  web:\n    env_file: [{path: /p/a.env, format: toml}]\n', { files }).message, /unsupported env_file format "toml"/);
  });

  it('an unknown format is an error at its format key', () => {
    const err = canonicalError('services:\n  web:\n    env_file:\n      - path: /p/a.env\n        format: toml\n', { files });
    assert.equal(err.keyPath, 'services.web.env_file.0.format');
    assert.equal(err.service, 'web');
    assert.deepEqual(err.location, { file: '/p/compose.yaml', line: 5, column: 9 });
  });
});

describe('label_file', () => {
  it('labels from files under the service labels, later files winning', () => {
    const files = { '/p/1.label': 'A=1\nB=1\n', '/p/2.label': 'B=2\nC=${B}\n' };
    const web = service('services:\n  web:\n    label_file: [/p/1.label, /p/2.label]\n    labels: {A: own}\n', { files });
    assert.deepEqual(web.labels, { A: 'own', B: '2', C: '2' });
    assert.deepEqual(service('services:\n  web:\n    label_file: /p/1.label\n', { files })['label_file'], ['/p/1.label']);
  });

  it('a missing label file is an error', () => {
    assert.equal(canonicalError('services:\n  web:\n    label_file: [/p/x.label]\n').message, 'services.web.label_file.0 label file /p/x.label not found');
  });
});

describe('env_file without values', () => {
  it('adds no environment key when the files bring nothing', () => {
    const web = service('services:\n  web:\n    env_file: [{path: /p/none.env, required: false}]\n');
    assert.equal('environment' in web, false);
    assert.deepEqual(service('services:\n  web:\n    env_file: [{path: /p/none.env, required: false}]\n    environment: {}\n').environment, {});
  });
});

describe('the phases apart', () => {
  it('canonical reads no file: env_file stays a list of entries, environment keeps its pass-through nulls', () => {
    const { input, ctx, lookup } = prepare('services:\n  web:\n    env_file: /p/a.env\n    label_file: /p/l.label\n    environment: [A=1, PASS]\n');
    const asked: string[] = [];
    const refuse = (p: string): never => {
      asked.push(p);
      throw new Error(`canonical read ${p}`);
    };
    const reader: FileReader = { readText: refuse, exists: refuse, isDirectory: refuse };
    const web = serviceOf(toCanonical(input, { ...ctx, reader }, { lookup }));
    assert.deepEqual(asked, []);
    assert.deepEqual(web.env_file, [{ path: '/p/a.env', required: true }]);
    assert.deepEqual(web['label_file'], ['/p/l.label']);
    assert.deepEqual(web.environment, { A: '1', PASS: null });
  });

  it('env files complete the canonical tree in place, reading through the reader', () => {
    const { input, ctx, lookup } = prepare('services:\n  web:\n    env_file: /p/a.env\n    environment: [PASS]\n', { files: { '/p/a.env': 'A=1\n' }, env: { PASS: 'p' } });
    const tree = toCanonical(input, ctx, { lookup });
    assert.equal(applyEnvFiles(tree, ctx, { lookup }), tree);
    assert.deepEqual(serviceOf(tree).environment, { A: '1', PASS: 'p' });
  });

  it('a tree without services is left as it is', () => {
    const { ctx, lookup } = prepare('networks: {}\n');
    const tree = { networks: {} };
    assert.deepEqual(applyEnvFiles(tree, ctx, { lookup }), { networks: {} });
  });
});
