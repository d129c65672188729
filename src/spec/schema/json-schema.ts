/** Derives the published JSON Schema (draft 2020-12) from the zod file schema. */
import { z } from 'zod';
import { ComposeFileSchema, DEFINITIONS, EXTENSIBLE_MARK } from './file-schema.js';

type Json = { [key: string]: unknown };

export function buildJsonSchema(): Json {
  // Ids go into the global registry, beside the extensible marks set with .meta().
  for (const [id, schema] of Object.entries(DEFINITIONS)) {
    const existing = z.globalRegistry.get(schema);
    if (existing?.id !== id) z.globalRegistry.add(schema, { ...(existing ?? {}), id });
  }
  const generated = z.toJSONSchema(ComposeFileSchema, {
    target: 'draft-2020-12',
    unrepresentable: 'any',
    reused: 'inline',
    cycles: 'ref',
  }) as Json;
  const out: Json = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://github.com/tsc-compose/tsc-compose/schema/compose-spec.json',
    title: 'Compose Specification (tsc-compose)',
    description: 'Generated from the zod schema in src/spec/schema/file-schema.ts; do not edit by hand (npm run schema).',
  };
  for (const [k, v] of Object.entries(generated)) if (k !== '$schema') out[k] = v;
  return rewrite(out) as Json;
}

/** Turns the extensible marker into `additionalProperties: false` + `^x-` patterns, recursively. */
function rewrite(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rewrite);
  if (typeof node !== 'object' || node === null) return node;
  const obj = node as Json;
  const out: Json = {};
  for (const [k, v] of Object.entries(obj)) {
    if (k === EXTENSIBLE_MARK) continue;
    out[k] = rewrite(v);
  }
  if (obj[EXTENSIBLE_MARK] === true) {
    out['patternProperties'] = { '^x-': {} };
    out['additionalProperties'] = false;
  }
  return out;
}

export function renderJsonSchema(): string {
  return `${JSON.stringify(buildJsonSchema(), null, 2)}\n`;
}
