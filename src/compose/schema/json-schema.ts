/**
 * The published JSON Schema (draft 2020-12), derived from the zod file schema
 * by z.toJSONSchema. Definitions the specification names (service, network,
 * list_or_dict, ...) carry an `id` in their metadata and land under `$defs`.
 */
import { z } from 'zod';
import { ComposeFileSchema } from './file-schema.js';

/** A relative URI reference, as the official schema's own (`compose_spec.json`). */
export const JSON_SCHEMA_ID = 'tsc-compose/compose-spec.json';

export function buildJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(ComposeFileSchema, {
    target: 'draft-2020-12',
    // What a user writes, not what parsing returns (they are the same here: nothing transforms).
    io: 'input',
    // Our checks (x- keys, uniqueItems, numbers) state their JSON form in their metadata.
    unrepresentable: 'any',
    reused: 'inline',
    cycles: 'throw',
  }) as Record<string, unknown>;
  const { $schema, ...body } = generated;
  return {
    $schema,
    $id: JSON_SCHEMA_ID,
    title: 'Compose Specification (tsc-compose)',
    description:
      'The compose file as tsc-compose accepts it: the Compose Specification plus the newer keys docker compose knows. Generated from src/compose/schema/file-schema.ts by `npm run schema`; do not edit.',
    ...body,
  };
}

export function renderJsonSchema(): string {
  return `${JSON.stringify(buildJsonSchema(), null, 2)}\n`;
}
