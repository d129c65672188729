/** command and entrypoint: strings split by the project's one shell-words splitter, lists kept as strings. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalError, runCanonical, service, serviceOf } from '../../../support/canonical.js';

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
    assert.deepEqual(serviceOf(run.output).command, ['migrate']);
    assert.match(run.ctx.warnings[0]?.message ?? '', /^services\.web\.command: "; serve" is ignored/);
  });

  it('the warning points at the command', () => {
    const run = runCanonical('services:\n  web:\n    image: x\n    entrypoint: run 2>/dev/null\n');
    assert.deepEqual(serviceOf(run.output).entrypoint, ['run']);
    assert.deepEqual(run.ctx.warnings[0]?.location, { file: '/p/compose.yaml', line: 4, column: 5 });
  });

  it('an unterminated quote is refused', () => {
    assert.equal(canonicalError('services:\n  web:\n    command: echo "open\n').message, 'services.web.command invalid command line string: echo "open');
  });

  it('every unsplittable line gets go-shellwords` one message, at its key', () => {
    const err = canonicalError("services:\n  web:\n    entrypoint: \"a (b)\"\n");
    assert.equal(err.message, 'services.web.entrypoint invalid command line string: a (b)');
    assert.equal(err.code, 'TSC_SPEC_INVALID');
    assert.deepEqual(err.location, { file: '/p/compose.yaml', line: 3, column: 5 });
  });
});
