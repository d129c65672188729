/**
 * Why the last engine start failed (a bad configuration file, usually), kept
 * beside the engine's log: the CLI that started the engine reads it to say
 * why, and `engine status` shows it until an engine starts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../../util/atomic-file.js';

export interface StartFailure {
  at: string;
  lines: string[];
}

function fileIn(dataDir: string): string {
  return path.join(dataDir, 'start-failure.json');
}

export function recordStartFailure(dataDir: string, lines: string[]): void {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  writeFileAtomic(fileIn(dataDir), `${JSON.stringify({ at: new Date().toISOString(), lines } satisfies StartFailure)}\n`, 0o600);
}

export function clearStartFailure(dataDir: string): void {
  fs.rmSync(fileIn(dataDir), { force: true });
}

export function readStartFailure(dataDir: string): StartFailure | undefined {
  try {
    const value = JSON.parse(fs.readFileSync(fileIn(dataDir), 'utf8')) as Partial<StartFailure>;
    return typeof value.at === 'string' && Array.isArray(value.lines) ? { at: value.at, lines: value.lines.map(String) } : undefined;
  } catch {
    return undefined;
  }
}
