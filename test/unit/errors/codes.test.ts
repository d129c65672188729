import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ERROR_CODES, SyscallError, TscComposeError } from '../../../src/errors/index.js';
import { ERRNO } from '../../../src/errors/errno.js';
import { REPO_ROOT } from '../../support/paths.js';

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

test('errors: the category comes from the one table of codes', () => {
  assert.equal(new TscComposeError('TSC_IMAGE_NOT_FOUND', 'x').category, 'not-found');
  assert.equal(new TscComposeError('TSC_USAGE', 'x').category, 'invalid');
  assert.equal(new SyscallError('open', ERRNO.EACCES, '/x').category, 'permission');
  assert.equal(new SyscallError('write', ERRNO.ENOSPC, '/x').category, 'unavailable');
});

test('errors: every code in the table is used somewhere in src/ (no dead codes)', () => {
  const text = sources(path.join(REPO_ROOT, 'src'))
    .filter((f) => !f.endsWith(path.join('errors', 'codes.ts')))
    .map((f) => fs.readFileSync(f, 'utf8'))
    .join('\n');
  const unused = Object.keys(ERROR_CODES).filter((code) => !text.includes(`'${code}'`));
  assert.deepEqual(unused, []);
});
