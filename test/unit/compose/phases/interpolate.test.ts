import { it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { substitute } from '../../../../src/compose/template.js';
import { interpolateTree } from '../../../../src/compose/phases/interpolate.js';
import { parseYamlDocuments } from '../../../../src/compose/phases/parse.js';
import { PositionTable } from '../../../../src/compose/positions.js';
import { parseDotenv, parseRawEnvFile } from '../../../../src/compose/dotenv.js';
import { MergeTag } from '../../../../src/compose/tags.js';
import type { LoadContext } from '../../../../src/compose/context.js';
import { FIXTURES_DIR, sharedAvailable } from '../../../support/paths.js';
import { memoryReader } from '../../../support/memory-reader.js';

const env: Record<string, string> = { A: 'a', EMPTY: '', NUM: '3' };
const lookup = (n: string): string | undefined => env[n];

it('substitutes every form of the syntax', () => {
  const cases: Array<[string, string]> = [
    ['$A', 'a'],
    ['${A}', 'a'],
    ['x${A}y$A', 'xaya'],
    ['${MISSING:-d}', 'd'],
    ['${EMPTY:-d}', 'd'],
    ['${EMPTY-d}', ''],
    ['${MISSING-d}', 'd'],
    ['${A:+alt}', 'alt'],
    ['${EMPTY:+alt}', ''],
    ['${EMPTY+alt}', 'alt'],
    ['${MISSING+alt}', ''],
    ['${MISSING:-${A}}', 'a'],
    ['${MISSING:-${ALSO:-deep}}', 'deep'],
    ['${MISSING:-{braces}}x', '{braces}x'],
    ['$$A', '$A'],
    ['$${A}', '${A}'],
    ['cost: 5$', 'cost: 5$'],
    ['$1', '$1'],
    ['${NUM}', '3'],
  ];
  for (const [input, expected] of cases) assert.equal(substitute(input, lookup), expected, input);
});

it('required variables and bad syntax are errors', () => {
  assert.throws(() => substitute('${IMAGE:?IMAGE must be set}', lookup), /required variable IMAGE is missing a value: IMAGE must be set/);
  assert.throws(() => substitute('${EMPTY:?}', lookup), /required variable EMPTY is missing a value$/);
  assert.equal(substitute('${EMPTY?}', lookup), '');
  for (const bad of ['${', '${A', '${ A}', '${A:x}', '${1A}', '${}']) assert.throws(() => substitute(bad, lookup), /invalid interpolation format/, bad);
});

it('interpolates values (not keys) in place, with positions in errors and warnings', () => {
  const positions = new PositionTable();
  const ctx: LoadContext = { reader: memoryReader({}), positions, warnings: [], homeDir: '/root' };
  const [tree] = parseYamlDocuments('services:\n  ${A}:\n    image: "img:${TAG}"\n    ports: !override ["${NUM}:80"]\n    command: ["$$HOME"]\n', 'c.yaml', positions);
  const out = interpolateTree(tree, lookup, ctx) as any;
  assert.ok('${A}' in out.services, 'keys are not interpolated');
  assert.equal(out.services['${A}'].image, 'img:');
  assert.ok(out.services['${A}'].ports instanceof MergeTag);
  assert.deepEqual(out.services['${A}'].ports.value, ['3:80']);
  assert.deepEqual(out.services['${A}'].command, ['$HOME']);
  assert.equal(ctx.warnings.length, 1);
  assert.match(ctx.warnings[0]!.message, /The "TAG" variable is not set/);
  assert.deepEqual(ctx.warnings[0]!.location, { file: 'c.yaml', line: 3, column: 5 });

  const [bad] = parseYamlDocuments('services:\n  web:\n    image: ${IMAGE:?IMAGE must be set}\n', 'c.yaml', positions);
  assert.throws(() => interpolateTree(bad, lookup, ctx), (err: any) => {
    assert.match(err.format(), /^c\.yaml:3:5 services\.web\.image: required variable IMAGE is missing a value: IMAGE must be set$/);
    return true;
  });
});

it('parses .env files like compose-go', () => {
  const vars = parseDotenv('export A=1\nB = "x\\ny" # c\nC=\'lit $A\'\nD=${A}_$B\nE=plain # comment\nF\nG=a=b\n', '.env', (n) => (n === 'F' ? 'inherited' : undefined));
  assert.deepEqual(Object.fromEntries(vars), { A: '1', B: 'x\ny', C: 'lit $A', D: '1_x\ny', E: 'plain', F: 'inherited', G: 'a=b' });
  assert.throws(() => parseDotenv('OK=1\nBAD LINE\n', 'x.env'), (err: any) => {
    assert.match(err.format(), /^x\.env:2:1 unexpected character " "/);
    return true;
  });
  assert.deepEqual(Object.fromEntries(parseRawEnvFile('A="quoted ${X}"\n# c\nB=\'x\'\n', 'raw.env')), { A: '"quoted ${X}"', B: "'x'" });
});

it('the compose-go dotenv fixtures parse (invalid1.env is rejected)', { skip: !sharedAvailable() && 'no fixtures' }, () => {
  const dir = path.join(FIXTURES_DIR, 'compose-go', 'cg-dotenv-parse');
  const read = (f: string): Map<string, string> => parseDotenv(fs.readFileSync(path.join(dir, f), 'utf8'), f);
  assert.deepEqual(Object.fromEntries(read('plain.env')), { '456': 'ABC', OPTION_A: '1', OPTION_B: '2', OPTION_C: '3', OPTION_D: '4', OPTION_E: '5', OPTION_F: '', OPTION_G: '', OPTION_H: 'my string' });
  assert.deepEqual(Object.fromEntries(read('utf8-bom.env')), Object.fromEntries(read('plain.env')));
  const quoted = Object.fromEntries(read('quoted.env'));
  assert.equal(quoted['OPTION_D'], '\\n');
  assert.equal(quoted['OPTION_H'], '\n');
  assert.equal(quoted['OPTION_J'], 'first line\nsecond line\nthird line\nand so on');
  assert.equal(quoted['OPTION_K'], "Let's go!");
  assert.deepEqual(Object.fromEntries(read('substitutions.env')), { OPTION_A: '1', OPTION_B: '1', OPTION_C: '1', OPTION_D: '1_1', OPTION_E: '' });
  assert.equal(read('equals.env').get('OPTION_A'), 'postgres://localhost:5432/database?sslmode=disable');
  assert.throws(() => read('invalid1.env'), /INVALID LINE/);
});
