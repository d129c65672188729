/**
 * Which executor carries out the specs lowering.ts writes: the C shim
 * (native/build/tsc-compose-shim, built by `npm ci`), or where no C compiler
 * built it (or with TSC_COMPOSE_EXECUTOR=node) the koffi-only Node one.
 * TSC_COMPOSE_EXECUTOR=shim insists on the shim; TSC_COMPOSE_SHIM names
 * another shim binary.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TscComposeError } from '../../errors/index.js';

export interface Executor {
  file: string;
  /** Arguments before the subcommand (the Node executor's script). */
  prefix: string[];
  kind: 'shim' | 'node';
}

export function executorCommand(): Executor {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const nodeExecutor: Executor = { file: process.execPath, prefix: [path.join(here, 'node-executor.js')], kind: 'node' };
  if (process.env['TSC_COMPOSE_EXECUTOR'] === 'node') return nodeExecutor;
  try {
    return { file: shimPath(), prefix: [], kind: 'shim' };
  } catch (err) {
    if (process.env['TSC_COMPOSE_EXECUTOR'] === 'shim') throw err;
    return nodeExecutor;
  }
}

export function shimPath(): string {
  const fromEnv = process.env['TSC_COMPOSE_SHIM'];
  if (fromEnv) return fromEnv;
  const here = path.dirname(fileURLToPath(import.meta.url));
  // dist/src/runtime/process → repository root
  const candidate = path.resolve(here, '../../../../native/build/tsc-compose-shim');
  if (!fs.existsSync(candidate)) {
    throw new TscComposeError('TSC_SHIM_MISSING', `container shim not built (${candidate}): run \`npm ci\` or \`bash native/build.sh\` (needs a C compiler)`);
  }
  return candidate;
}
