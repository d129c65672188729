/**
 * The judges our schema is held to: the official Compose Specification schema
 * (draft-07, through ajv as the acceptance tests run it), compose-go's newer
 * copy (draft 2020-12), and our own generated JSON Schema, each compiled once.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Ajv } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { renderJsonSchema } from '../../src/compose/schema/json-schema.js';
import { ComposeFileSchema } from '../../src/compose/schema/file-schema.js';
import { OFFICIAL_SCHEMA, SHARED_DIR } from './paths.js';

export type Json = Record<string, unknown>;
export type Check = (doc: unknown) => boolean;

export const COMPOSE_GO_SCHEMA = path.join(SHARED_DIR, 'compose-spec', 'schema', 'compose-spec.compose-go.json');

export function readJson(file: string): Json {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Json;
}

/** ajv knows draft-07 by its `http://...#` URI only; the validator class already fixes the draft. */
function withoutDraft(schema: Json): Json {
  const { $schema: _draft, ...rest } = schema;
  return rest;
}

export interface Oracles {
  /** The official schema (draft-07). */
  official: Check;
  /** compose-go's copy, which has the keys newer than the official one. */
  composeGo: Check;
  /** schema/compose-spec.json as the zod schema generates it now. */
  generated: Check;
  /** The zod schema itself. */
  zod: Check;
}

export function buildOracles(): Oracles {
  const official = new Ajv({ strict: false }).compile(withoutDraft(readJson(OFFICIAL_SCHEMA)));
  const composeGo = new Ajv2020({ strict: false }).compile(withoutDraft(readJson(COMPOSE_GO_SCHEMA)));
  // Ours keeps its $schema: Ajv2020 knows the 2020-12 meta-schema and checks our output against it.
  const generated = new Ajv2020({ strict: false }).compile(JSON.parse(renderJsonSchema()) as Json);
  return {
    official: (doc) => official(doc),
    composeGo: (doc) => composeGo(doc),
    generated: (doc) => generated(doc),
    zod: (doc) => ComposeFileSchema.safeParse(doc).success,
  };
}
