/**
 * validateComposeFile: compose-go's wording, the position of each problem in
 * the file, one error per offending key path, every problem at once, sorted.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseYamlDocuments } from '../../../../src/compose/phases/parse.js';
import { PositionTable } from '../../../../src/compose/positions.js';
import { validateComposeFile } from '../../../../src/compose/schema/validate-file.js';
import { ComposeFileError } from '../../../../src/errors/index.js';

function check(yaml: string, file = '/p/compose.yaml'): ComposeFileError[] {
  const positions = new PositionTable();
  const [doc] = parseYamlDocuments(yaml, file, positions);
  return validateComposeFile(doc, { positions }, file);
}

function where(e: ComposeFileError): string {
  return e.location ? `${e.location.line}:${e.location.column}` : '?';
}

describe('validateComposeFile', () => {
  it('accepts a valid file with no errors', () => {
    assert.deepEqual(check('services:\n  web:\n    image: nginx\n    ports: ["80:80"]\n'), []);
  });

  it('reports every problem of the file, each at its key, sorted by position', () => {
    const errors = check(
      [
        'services:', //                       1
        '  web:', //                          2
        '    image: [nginx]', //              3
        '    imagee: typo', //                4
        '    ports:', //                      5
        '      - [80]', //                    6
        '    develop:', //                    7
        '      watch:', //                    8
        '        - path: ./src', //           9
        '          target: /app', //          10
        'volumes:', //                        11
        '  "bad name": {}', //                12
        'foo: 1', //                          13
      ].join('\n'),
    );
    assert.deepEqual(
      errors.map((e) => [where(e), e.keyPath, e.message]),
      [
        ['3:5', 'services.web.image', 'services.web.image must be a string'],
        ['4:5', 'services.web', "services.web additional properties 'imagee' not allowed"],
        ['6:9', 'services.web.ports.0', 'services.web.ports.0 must be a string or number or mapping'],
        ['9:11', 'services.web.develop.watch.0', "services.web.develop.watch.0 missing property 'action'"],
        ['12:3', 'volumes', "volumes additional properties 'bad name' not allowed"],
        ['13:1', '', "additional properties 'foo' not allowed"],
      ],
    );
    for (const e of errors) {
      assert.ok(e instanceof ComposeFileError);
      assert.equal(e.code, 'TSC_SPEC_INVALID');
      assert.equal(e.location?.file, '/p/compose.yaml');
    }
    assert.deepEqual(
      errors.map((e) => e.service),
      ['web', 'web', 'web', 'web', undefined, undefined],
    );
  });

  it('formats as file:line:col and the message (the key path is already in it)', () => {
    const [e] = check('services:\n  web:\n    image: 5\n');
    assert.equal(e?.format(), '/p/compose.yaml:3:5 services.web.image must be a string');
  });

  it('gives one message per key path, joining what is wrong there', () => {
    const errors = check('services:\n  web:\n    image: x\n    develop:\n      watch:\n        - target: /app\n          tagret: /x\n          also: 1\n');
    assert.equal(errors.length, 1);
    assert.equal(errors[0]?.message, "services.web.develop.watch.0 missing properties 'path', 'action'; additional properties 'tagret', 'also' not allowed");
  });

  it('explains a failed union by the branch the value fits, not every branch', () => {
    const errors = check('services:\n  web:\n    image: x\n    ports:\n      - target: 80\n        publishd: 8080\n');
    assert.deepEqual(
      errors.map((e) => e.message),
      ["services.web.ports.0 additional properties 'publishd' not allowed"],
    );
    const types = check('services:\n  web:\n    image: x\n    environment: 5\n');
    assert.deepEqual(
      types.map((e) => e.message),
      ['services.web.environment must be a mapping or list'],
    );
  });

  it('words the top-level and section type errors as compose-go does', () => {
    assert.equal(check('- web\n- db\n')[0]?.message, 'top-level object must be a mapping');
    assert.equal(check('services:\n  - web\n')[0]?.message, 'services must be a mapping');
    assert.equal(check('services:\n  web: nginx\n')[0]?.message, 'services.web must be a mapping');
  });

  it('names bounds, enum values, patterns and duplicates', () => {
    const messages = check(
      'services:\n  web:\n    image: x\n    cpu_percent: 150\n    cgroup: shared\n    pull_policy: sometimes\n    cap_add: [A, B, A]\n',
    ).map((e) => e.message);
    assert.deepEqual(messages, [
      'services.web.cpu_percent must be <= 100',
      'services.web.cgroup must be one of "host", "private"',
      "services.web.pull_policy does not match pattern 'always|never|build|if_not_present|missing|refresh|daily|weekly|every_([0-9]+[wdhms])+'",
      'services.web.cap_add items at 0 and 2 are equal',
    ]);
  });

  it('falls back to the file for a tree without recorded positions', () => {
    const [e] = validateComposeFile({ services: { web: { image: 1 } } }, { positions: new PositionTable() }, '/p/merged.yaml');
    assert.deepEqual(e?.location, { file: '/p/merged.yaml', line: 1, column: 1 });
    const [bare] = validateComposeFile({ services: 1 }, { positions: new PositionTable() });
    assert.equal(bare?.location, undefined);
    assert.equal(bare?.message, 'services must be a mapping');
  });
});
