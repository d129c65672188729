/** The log files of a container as they are on disk, for checking rotation. */
import * as fs from 'node:fs';
import { rotatedIndex } from '../../src/runtime/process/logs.js';

/** The rotated files of a log that exist now, oldest first (highest index first), then the log itself if it exists. */
export function logFiles(logFile: string): string[] {
  const dir = logFile.slice(0, logFile.lastIndexOf('/')) || '/';
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    names = [];
  }
  const rotated = names
    .map((n) => ({ n, i: rotatedIndex(logFile, n) }))
    .filter((x): x is { n: string; i: number } => x.i !== undefined)
    .sort((a, b) => b.i - a.i)
    .map((x) => `${dir}/${x.n}`);
  return fs.existsSync(logFile) ? [...rotated, logFile] : rotated;
}
