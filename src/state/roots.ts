/**
 * Where tsc-compose keeps things. Persistent data (images, containers'
 * writable layers, volumes) under the data root, default /var/lib/tsc-compose;
 * runtime files (sockets, pid and status files of running containers) under
 * the run root, default /run/tsc-compose. One variable, TSC_COMPOSE_ROOT,
 * moves both (the run root becomes $TSC_COMPOSE_ROOT/run), so tests run
 * isolated and in parallel; TSC_COMPOSE_RUN_ROOT moves the run root alone.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface StateRoots {
  dataRoot: string;
  runRoot: string;
}

export function stateRoots(env: NodeJS.ProcessEnv = process.env): StateRoots {
  const custom = env['TSC_COMPOSE_ROOT'];
  const dataRoot = path.resolve(custom ?? '/var/lib/tsc-compose');
  const runRoot = path.resolve(env['TSC_COMPOSE_RUN_ROOT'] ?? (custom ? path.join(custom, 'run') : '/run/tsc-compose'));
  return { dataRoot, runRoot };
}

export interface StateLayout extends StateRoots {
  images: string;
  containers: string;
  volumes: string;
  runContainers: string;
}

export function stateLayout(roots: StateRoots): StateLayout {
  return {
    ...roots,
    images: path.join(roots.dataRoot, 'images'),
    containers: path.join(roots.dataRoot, 'containers'),
    volumes: path.join(roots.dataRoot, 'volumes'),
    runContainers: path.join(roots.runRoot, 'containers'),
  };
}

/** Creates the directories (root-only: they hold other users' data). */
export function ensureStateLayout(layout: StateLayout): void {
  for (const dir of [layout.dataRoot, layout.runRoot, layout.images, layout.containers, layout.volumes, layout.runContainers]) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  }
}
