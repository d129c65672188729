/** docker compose's confirmation: y or yes goes ahead; anything else, or no input at all, does not. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { confirm, isYes } from '../../../src/cli/prompt.js';

function io(input: string): { stdin: Readable; stdout: PassThrough; stderr: PassThrough; written: () => string } {
  const stdout = new PassThrough();
  let text = '';
  stdout.on('data', (c: Buffer) => (text += c.toString()));
  return { stdin: Readable.from([input]), stdout, stderr: new PassThrough(), written: () => text };
}

describe('prompt', () => {
  it('answers', () => {
    for (const yes of ['y', 'Y', 'yes', 'YES', ' y ']) assert.equal(isYes(yes), true, yes);
    for (const no of ['', 'n', 'no', 'yep', 'sure']) assert.equal(isYes(no), false, no);
  });

  it('asks on stdout, reads one line', async () => {
    const yes = io('y\nmore\n');
    assert.equal(await confirm('Going to remove a\nAre you sure?', yes), true);
    assert.equal(yes.written(), 'Going to remove a\nAre you sure? [y/N] ');
    assert.equal(await confirm('Sure?', io('n\n')), false);
  });

  it('no input (a closed stdin) is no', async () => {
    const none = io('');
    assert.equal(await confirm('Sure?', none), false);
    assert.equal(none.written(), 'Sure? [y/N] \n');
  });
});
