/** Runs the canonical phase and the env-files phase after it (and defaults), as the loader does, on YAML text in memory, with source positions. */
import assert from 'node:assert/strict';
import { PositionTable } from '../../src/compose/positions.js';
import { parseYamlDocuments } from '../../src/compose/phases/parse.js';
import { toCanonical } from '../../src/compose/phases/canonical.js';
import { applyEnvFiles } from '../../src/compose/phases/env-files.js';
import { applyDefaults } from '../../src/compose/phases/model-check.js';
import { isTscComposeError } from '../../src/errors/index.js';
import type { TscComposeError } from '../../src/errors/index.js';
import type { ComposeTree, LoadContext } from '../../src/compose/context.js';
import type { Project } from '../../src/compose/model.js';
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

export function runCanonical(yaml: string, options: Options = {}): CanonicalRun {
  const ctx: LoadContext = {
    reader: memoryReader({ [FILE]: yaml, ...(options.files ?? {}) }),
    positions: new PositionTable(),
    warnings: [],
    homeDir: '/home/u',
  };
  const [doc] = parseYamlDocuments(yaml, FILE, ctx.positions);
  const input = doc as ComposeTree;
  const env = options.env ?? {};
  const lookup = (name: string): string | undefined => (Object.hasOwn(env, name) ? env[name] : undefined);
  const output = applyEnvFiles(toCanonical(input, ctx, { lookup }), ctx, { lookup });
  return { input, output, ctx };
}

export function canonical(yaml: string, options: Options = {}): any {
  return runCanonical(yaml, options).output;
}

/** The canonical form of one service (`web` unless named). */
export function service(yaml: string, options: Options = {}, name = 'web'): any {
  return canonical(yaml, options).services[name];
}

/** canonical + defaults, as the loader runs them. */
export function project(yaml: string, options: Options = {}, projectName = 'p'): Project {
  return applyDefaults(canonical(yaml, options), { projectName, workingDir: '/p' });
}

/** The error the canonical phase raises for this file. */
export function canonicalError(yaml: string, options: Options = {}): TscComposeError {
  try {
    runCanonical(yaml, options);
  } catch (err) {
    assert.ok(isTscComposeError(err), `expected a typed error, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the canonical phase to fail');
}
