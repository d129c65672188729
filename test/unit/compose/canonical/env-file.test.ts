/** The env_file key itself: every form becomes a list of {path, required, format?}, one per path. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { service } from '../../../support/canonical.js';

describe('env_file entries', () => {
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

  it('the same file twice counts once', () => {
    assert.deepEqual(service('services:\n  web:\n    env_file: [/p/a.env, {path: /p/a.env, required: false}]\n', { files }).env_file, [
      { path: '/p/a.env', required: false },
    ]);
  });
});
