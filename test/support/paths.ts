/** Where the repository and the shared conformance material are, from compiled tests in dist/test/. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const SHARED_DIR = process.env['TSC_COMPOSE_SHARED'] ?? path.resolve(REPO_ROOT, '../shared');
export const FIXTURES_DIR = path.join(SHARED_DIR, 'compose-spec', 'fixtures');
export const OFFICIAL_SCHEMA = path.join(SHARED_DIR, 'compose-spec', 'schema', 'compose-spec.json');
export const BIN = path.join(REPO_ROOT, 'bin', 'tsc-compose');

/** In CI the shared material must be there; on a user's machine the conformance tests skip. */
export function sharedAvailable(): boolean {
  const present = fs.existsSync(FIXTURES_DIR);
  if (!present && process.env['CI']) throw new Error(`conformance fixtures missing at ${FIXTURES_DIR}`);
  return present;
}
