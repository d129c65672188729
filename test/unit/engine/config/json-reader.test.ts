/** The position-keeping JSON reader: values as JSON.parse gives them, a position for every key, syntax errors at file:line:col. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readJsonWithPositions } from '../../../../src/engine/config/json-reader.js';
import { TscComposeError } from '../../../../src/errors/index.js';

const FILE = '/etc/tsc-compose/engine.json';

function syntaxError(text: string): string {
  try {
    readJsonWithPositions(text, FILE);
  } catch (err) {
    assert.ok(err instanceof TscComposeError);
    assert.equal(err.code, 'TSC_ENGINE_CONFIG_SYNTAX');
    return err.format();
  }
  assert.fail(`no error for ${JSON.stringify(text)}`);
}

describe('engine config JSON reader', () => {
  it('reads what JSON.parse reads', () => {
    const samples = ['{}', '[]', '"a\\"b\\\\c\\n\\u00e9\\/"', '-0.5e3', '0', 'true', 'false', 'null', '{"a": [1, {"b": null}], "c": "d"}', ' \n\t{ "x" : [ ] } \r\n'];
    for (const text of samples) assert.deepEqual(readJsonWithPositions(text, FILE).value, JSON.parse(text), text);
  });

  it('locates keys and list items, and the deepest known part of a longer path', () => {
    const text = '{\n  "registry-mirrors": [\n    "a",\n      "b"\n  ],\n  "log-opts": {"max-size": "10m"}\n}\n';
    const json = readJsonWithPositions(text, FILE);
    assert.deepEqual(json.locate(['registry-mirrors']), { file: FILE, line: 2, column: 3 });
    assert.deepEqual(json.locate(['registry-mirrors', 1]), { file: FILE, line: 4, column: 7 });
    assert.deepEqual(json.locate(['log-opts', 'max-size']), { file: FILE, line: 6, column: 16 });
    assert.deepEqual(json.locate(['log-opts', 'max-size', 'deeper']), { file: FILE, line: 6, column: 16 });
    assert.deepEqual(json.locate([]), { file: FILE, line: 1, column: 1 });
  });

  it('a byte-order mark is not part of the text', () => {
    assert.deepEqual(readJsonWithPositions('\ufeff{"a": 1}', FILE).value, { a: 1 });
  });

  it('"__proto__" is an ordinary key', () => {
    const value = readJsonWithPositions('{"__proto__": {"polluted": true}}', FILE).value as Record<string, unknown>;
    assert.deepEqual(Object.keys(value), ['__proto__']);
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    assert.equal(Object.getPrototypeOf(value), Object.prototype);
  });

  it('syntax errors name the file, line and column', () => {
    assert.equal(syntaxError('{\n  "a": 1,\n}'), `${FILE}:3:1 trailing comma before }`);
    assert.equal(syntaxError('{"a": [1, 2,]}'), `${FILE}:1:13 trailing comma before ]`);
    assert.equal(syntaxError('{\n  "a": 1,\n  "a": 2\n}'), `${FILE}:3:3 key "a" is already defined in this object`);
    assert.equal(syntaxError('{"a": "open\n}'), `${FILE}:1:7 unterminated string`);
    assert.equal(syntaxError('{a: 1}'), `${FILE}:1:2 expected a key in double quotes, found 'a'`);
    assert.equal(syntaxError("{\"a\": 'x'}"), `${FILE}:1:7 expected a JSON value, found '''`);
    assert.equal(syntaxError('{"a" 1}'), `${FILE}:1:6 expected ':' after key "a", found '1'`);
    assert.equal(syntaxError('{"a": 1 "b": 2}'), `${FILE}:1:9 expected ',' or '}' after the value of "a", found '"'`);
    assert.equal(syntaxError('{"a": tru}'), `${FILE}:1:7 expected a JSON value, found 'tru'`);
    assert.equal(syntaxError('{"a": 01}'), `${FILE}:1:7 invalid number '0'`);
    assert.equal(syntaxError('{"a": "\\x"}'), `${FILE}:1:8 invalid escape \\x in a string`);
    assert.equal(syntaxError('{} {}'), `${FILE}:1:4 unexpected '{' after the end of the JSON value`);
    assert.equal(syntaxError('{"a": '), `${FILE}:1:7 unexpected end of file: a value is missing`);
    assert.equal(syntaxError(' \n '), `${FILE}:2:2 the file is empty (an engine configuration with no settings is {})`);
    assert.equal(syntaxError('// comment\n{}'), `${FILE}:1:1 expected a JSON value, found '/'`);
  });
});
