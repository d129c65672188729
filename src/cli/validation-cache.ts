/**
 * Remembers compose trees that passed the schema check, so a command run on
 * an unchanged file does not load the schema (zod and the compose schema cost
 * 60–90 ms of every command). A tree is keyed by its exact JSON and by the
 * schema module it was checked with, so a changed file or a changed schema is
 * checked again. Only valid trees are remembered; problems are always
 * reported by the real check. The cache is an optimisation: when its directory
 * cannot be read or written, every tree is simply checked.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { ComposeTree } from '../compose/context.js';
import type { TreeValidator } from '../compose/pipeline.js';
import { stateRoots } from '../state/roots.js';

const SCHEMA_MODULE = fileURLToPath(new URL('../compose/schema/file-schema.js', import.meta.url));
/** Beyond this many remembered trees the directory is emptied and starts over. */
const MAX_ENTRIES = 512;

/** Thrown by the remembering check when it does not know a tree; the caller then loads the schema. */
export class SchemaNeeded extends Error {
  constructor() {
    super('the compose schema is needed to check this file');
  }
}

export class ValidationCache {
  private readonly stamp: string;

  constructor(private readonly dir: string = path.join(stateRoots().dataRoot, 'cache', 'valid-compose')) {
    let stamp = 'unknown';
    try {
      const st = fs.statSync(SCHEMA_MODULE);
      stamp = `${st.size}:${st.mtimeMs}`;
    } catch {
      // Without the schema module's identity nothing can be trusted: never hit.
      stamp = `${Math.random()}`;
    }
    this.stamp = stamp;
  }

  private entry(tree: ComposeTree): string {
    return path.join(this.dir, createHash('sha256').update(this.stamp).update('\0').update(JSON.stringify(tree)).digest('hex'));
  }

  /** A check that passes remembered trees and throws SchemaNeeded for the rest. */
  readonly knownOnly: TreeValidator = (tree) => {
    if (fs.existsSync(this.entry(tree))) return [];
    throw new SchemaNeeded();
  };

  /** Wraps the real check so that the trees it passes are remembered. */
  remembering(check: TreeValidator): TreeValidator {
    return (tree, positions) => {
      const problems = check(tree, positions);
      if (problems.length === 0) this.remember(tree);
      return problems;
    };
  }

  private remember(tree: ComposeTree): void {
    try {
      fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      if (fs.readdirSync(this.dir).length >= MAX_ENTRIES) {
        for (const name of fs.readdirSync(this.dir)) fs.rmSync(path.join(this.dir, name), { force: true });
      }
      fs.writeFileSync(this.entry(tree), '');
    } catch {
      // Not writable (not root, read-only data root): checking every time is correct, only slower.
    }
  }
}
