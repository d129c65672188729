/** schema/compose-spec.json is what the zod file schema generates, byte for byte. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { renderJsonSchema } from '../../../../src/compose/schema/json-schema.js';
import { REPO_ROOT } from '../../../support/paths.js';

it('schema/compose-spec.json matches the zod file schema', () => {
  const file = path.join(REPO_ROOT, 'schema', 'compose-spec.json');
  const committed = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const generated = renderJsonSchema();
  assert.ok(
    committed === generated,
    'schema/compose-spec.json is out of date with src/compose/schema/file-schema.ts: run `npm run schema` (after building) and commit the result',
  );
});
