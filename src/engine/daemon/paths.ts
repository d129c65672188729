/** Where the engine keeps its socket, pid file, log and records. */
import * as path from 'node:path';
import type { StateLayout } from '../../state/roots.js';

export interface EnginePaths {
  socket: string;
  pidFile: string;
  dataDir: string;
  log: string;
}

export function enginePaths(layout: Pick<StateLayout, 'dataRoot' | 'runRoot'>): EnginePaths {
  const dataDir = path.join(layout.dataRoot, 'engine');
  return {
    socket: path.join(layout.runRoot, 'engine.sock'),
    pidFile: path.join(layout.runRoot, 'engine.pid'),
    dataDir,
    log: path.join(dataDir, 'engine.log'),
  };
}
