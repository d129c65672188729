/** The one shell-words splitter: go-shellwords' Parse, as compose-go (command:, entrypoint:) and docker compose (run --entrypoint) use it. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { splitShellWords } from '../../../src/util/shell-words.js';

describe('words', () => {
  it('quotes group, a backslash escapes, blanks separate', () => {
    assert.deepEqual(splitShellWords(`a "b c" 'd e' f\\ g`), { words: ['a', 'b c', 'd e', 'f g'] });
    assert.deepEqual(splitShellWords('  a\t\tb\r\nc  '), { words: ['a', 'b', 'c'] });
    assert.deepEqual(splitShellWords('x"y"\'z\''), { words: ['xyz'] });
  });

  it('go-shellwords details: escapes, empty quotes, $() kept whole', () => {
    assert.deepEqual(splitShellWords('a "" b'), { words: ['a', '', 'b'] });
    assert.deepEqual(splitShellWords('echo a\\tb "c\\"d"'), { words: ['echo', 'a\tb', 'c"d'] });
    assert.deepEqual(splitShellWords("echo '\\n'"), { words: ['echo', '\\n'] });
    assert.deepEqual(splitShellWords('echo $(date +%s) x'), { words: ['echo', '$(date +%s)', 'x'] });
  });

  it('backquotes and $() are text, kept whole with their blanks and escapes', () => {
    assert.deepEqual(splitShellWords('echo `uname -a` `a\\b`'), { words: ['echo', '`uname -a`', '`a\\b`'] });
    assert.deepEqual(splitShellWords('echo $(a \\x)'), { words: ['echo', '$(a \\x)'] });
    // An escaped $ is a plain $, so it still opens $( (go-shellwords without ParseEnv).
    assert.deepEqual(splitShellWords('echo \\$(x)'), { words: ['echo', '$(x)'] });
  });

  it('an empty or blank line is no words (run --entrypoint "" clears the entrypoint)', () => {
    assert.deepEqual(splitShellWords(''), { words: [] });
    assert.deepEqual(splitShellWords('   '), { words: [] });
  });
});

describe('operators', () => {
  it('what follows an unquoted ; & | < > is dropped, and where it starts is told', () => {
    assert.deepEqual(splitShellWords('echo a && echo b'), { words: ['echo', 'a'], ignoredFrom: 7 });
    assert.deepEqual(splitShellWords('run 2>/dev/null'), { words: ['run'], ignoredFrom: 5 });
    assert.deepEqual(splitShellWords('echo "a;b"'), { words: ['echo', 'a;b'] });
    assert.deepEqual(splitShellWords("echo 'a|b' c\\;d"), { words: ['echo', 'a|b', 'c;d'] });
    assert.deepEqual(splitShellWords('sort <in'), { words: ['sort'], ignoredFrom: 5 });
  });

  it('the offset is in UTF-16 units, so it slices the line', () => {
    const line = 'echo 🐳 | cat';
    const split = splitShellWords(line);
    assert.ok(!('problem' in split));
    assert.deepEqual(split.words, ['echo', '🐳']);
    assert.equal(line.slice(split.ignoredFrom), '| cat');
  });
});

describe('lines that cannot be split are values, not exceptions', () => {
  it('says which quote is open', () => {
    assert.deepEqual(splitShellWords('"open'), { problem: 'unterminated double quote' });
    assert.deepEqual(splitShellWords('sh -c "x'), { problem: 'unterminated double quote' });
    assert.deepEqual(splitShellWords("it's"), { problem: 'unterminated single quote' });
    assert.deepEqual(splitShellWords('echo `date'), { problem: 'unterminated backquote' });
    assert.deepEqual(splitShellWords('echo $(date'), { problem: 'unterminated $(' });
    assert.deepEqual(splitShellWords('"a\\'), { problem: 'unterminated double quote' });
  });

  it('a trailing backslash and a bare ( or ) are refused as go-shellwords refuses them', () => {
    assert.deepEqual(splitShellWords('a\\'), { problem: 'trailing backslash' });
    assert.deepEqual(splitShellWords('a (b)'), { problem: 'unexpected (' });
    assert.deepEqual(splitShellWords('echo $($(x))'), { problem: 'unexpected (' });
    assert.deepEqual(splitShellWords('a b)'), { problem: 'unexpected )' });
  });
});
