/** --ansi and --progress: colors and the progress display, as docker compose decides them. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { progressMode, useColor } from '../../../src/cli/terminal.js';

const tty = { isTTY: true };
const pipe = { isTTY: false };

describe('terminal', () => {
  it('colors: never, always, or on a terminal; NO_COLOR wins', () => {
    assert.equal(useColor({ ansi: 'auto' }, tty, {}), true);
    assert.equal(useColor({ ansi: 'auto' }, pipe, {}), false);
    assert.equal(useColor({ ansi: 'always' }, pipe, {}), true);
    assert.equal(useColor({ ansi: 'never' }, tty, {}), false);
    assert.equal(useColor({ ansi: 'always' }, tty, { NO_COLOR: '1' }), false);
    assert.equal(useColor({ ansi: 'auto' }, tty, { NO_COLOR: '' }), true, 'an empty NO_COLOR is unset');
  });

  it('progress auto: the live display on a terminal, plain lines otherwise or with --ansi never', () => {
    assert.equal(progressMode({ ansi: 'auto', progress: 'auto' }, tty), 'tty');
    assert.equal(progressMode({ ansi: 'auto', progress: 'auto' }, pipe), 'plain');
    assert.equal(progressMode({ ansi: 'never', progress: 'auto' }, tty), 'plain');
    assert.equal(progressMode({ ansi: 'always', progress: 'auto' }, pipe), 'plain');
    assert.equal(progressMode({ ansi: 'auto', progress: 'json' }, tty), 'json');
    assert.equal(progressMode({ ansi: 'auto', progress: 'quiet' }, tty), 'quiet');
  });
});
