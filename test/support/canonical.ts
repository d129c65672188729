/**
 * Runs the canonical phase and the env-files phase after it (and defaults), as
 * the loader runs them, on YAML text in memory, with source positions.
 */
import assert from 'node:assert/strict';
import { PositionTable } from '../../src/compose/positions.js';
import { parseYamlDocuments } from '../../src/compose/phases/parse.js';
import { toCanonical } from '../../src/compose/phases/canonical.js';
import { applyEnvFiles } from '../../src/compose/phases/env-files.js';
import { applyDefaults } from '../../src/compose/phases/model-check.js';
import { isTscComposeError } from '../../src/errors/index.js';
import type { TscComposeError } from '../../src/errors/index.js';
import type { ComposeTree, LoadContext, VariableLookup } from '../../src/compose/context.js';
import type { Project, ServiceConfig } from '../../src/compose/model.js';
import { memoryReader } from './memory-reader.js';

export const FILE = '/p/compose.yaml';

export interface Options {
  /** Other files (env files, label files), absolute paths. */
  files?: Record<string, string>;
  /** What the variable lookup knows (shell + .env). */
  env?: Record<string, string>;
}

export interface CanonicalRun {
  input: ComposeTree;
  output: ComposeTree;
  ctx: LoadContext;
}

/** The parsed file, the context the phases share and the lookup, before any phase ran. */
export function prepare(yaml: string, options: Options = {}): { input: ComposeTree; ctx: LoadContext; lookup: VariableLookup } {
  const ctx: LoadContext = {
    reader: memoryReader({ [FILE]: yaml, ...(options.files ?? {}) }),
    positions: new PositionTable(),
    warnings: [],
    homeDir: '/home/u',
  };
  const [doc] = parseYamlDocuments(yaml, FILE, ctx.positions);
  const env = options.env ?? {};
  return { input: doc as ComposeTree, ctx, lookup: (name) => (Object.hasOwn(env, name) ? env[name] : undefined) };
}

export function runCanonical(yaml: string, options: Options = {}): CanonicalRun {
  const { input, ctx, lookup } = prepare(yaml, options);
  const output = applyEnvFiles(toCanonical(input, ctx, { lookup }), ctx, { lookup });
  return { input, output, ctx };
}

export function canonical(yaml: string, options: Options = {}): ComposeTree {
  return runCanonical(yaml, options).output;
}

/**
 * One service of a canonical tree (`web` unless named), typed as the model to
 * read it: the loader checks it against the model only after defaults.
 */
export function serviceOf(tree: ComposeTree, name = 'web'): ServiceConfig {
  const services = tree['services'] as Record<string, ServiceConfig> | undefined;
  const found = services?.[name];
  assert.ok(found, `no service ${name} in the canonical tree`);
  return found;
}

/** The canonical form of one service (`web` unless named). */
export function service(yaml: string, options: Options = {}, name = 'web'): ServiceConfig {
  return serviceOf(canonical(yaml, options), name);
}

/** canonical + defaults, as the loader runs them. */
export function project(yaml: string, options: Options = {}, projectName = 'p'): Project {
  return applyDefaults(canonical(yaml, options), { projectName, workingDir: '/p' });
}

/** The error the canonical phase (or the env-files phase after it) raises for this file. */
export function canonicalError(yaml: string, options: Options = {}): TscComposeError {
  try {
    runCanonical(yaml, options);
  } catch (err) {
    assert.ok(isTscComposeError(err), `expected a typed error, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the canonical phase to fail');
}
