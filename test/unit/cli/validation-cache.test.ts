import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SchemaNeeded, ValidationCache } from '../../../src/cli/validation-cache.js';
import { PositionTable } from '../../../src/compose/positions.js';
import { validateComposeFile } from '../../../src/compose/schema/validate-file.js';
import type { ComposeTree } from '../../../src/compose/context.js';

const positions = new PositionTable();
const check = (tree: ComposeTree, p: PositionTable) => validateComposeFile(tree, { positions: p });

function withCache(fn: (cache: ValidationCache, dir: string) => void): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsc-valid-'));
  try {
    fn(new ValidationCache(path.join(dir, 'cache')), path.join(dir, 'cache'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('validation cache', () => {
  it('asks for the schema for a tree it has not seen, and not after the tree passed once', () => {
    withCache((cache) => {
      const tree = { services: { web: { image: 'busybox' } } } as ComposeTree;
      assert.throws(() => cache.knownOnly(tree, positions), SchemaNeeded);
      assert.deepEqual(cache.remembering(check)(tree, positions), []);
      assert.deepEqual(cache.knownOnly(structuredClone(tree), positions), []);
    });
  });

  it('never remembers an invalid tree, and a changed tree is checked again', () => {
    withCache((cache) => {
      const bad = { services: { web: { image: 'busybox', ports: 5 } } } as unknown as ComposeTree;
      assert.ok(cache.remembering(check)(bad, positions).length > 0);
      assert.throws(() => cache.knownOnly(bad, positions), SchemaNeeded);
      const good = { services: { web: { image: 'busybox' } } } as ComposeTree;
      cache.remembering(check)(good, positions);
      assert.throws(() => cache.knownOnly({ services: { web: { image: 'busybox:2' } } }, positions), SchemaNeeded);
    });
  });

  it('checks every time when its directory cannot be written', () => {
    withCache((cache, dir) => {
      fs.mkdirSync(path.dirname(dir), { recursive: true });
      fs.writeFileSync(dir, 'not a directory');
      const tree = { services: { web: { image: 'busybox' } } } as ComposeTree;
      assert.deepEqual(cache.remembering(check)(tree, positions), []);
      assert.throws(() => cache.knownOnly(tree, positions), SchemaNeeded);
    });
  });
});
