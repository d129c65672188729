/** `npm run schema`: writes schema/compose-spec.json from the zod file schema. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderJsonSchema } from '../src/compose/schema/json-schema.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const target = path.join(repo, 'schema', 'compose-spec.json');
fs.writeFileSync(target, renderJsonSchema());
process.stdout.write(`wrote ${path.relative(repo, target)}\n`);
