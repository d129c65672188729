import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root, from dist/bench/. */
export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN_PATH = path.join(REPO, 'bin', 'tsc-compose');
export const FIXTURES = process.env['TSC_COMPOSE_SHARED']
  ? path.join(process.env['TSC_COMPOSE_SHARED'], 'compose-spec', 'fixtures')
  : path.resolve(REPO, '../shared/compose-spec/fixtures');
