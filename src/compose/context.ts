/**
 * What every loader phase receives. The loader never touches the file system
 * or the process environment itself: files come through `reader`, variables
 * through the `lookup` functions the caller builds, so every phase is pure and
 * testable with in-memory fixtures.
 */
import type { SourceLocation } from '../errors/index.js';
import type { PositionTable } from './positions.js';

export interface FileReader {
  /** Absolute path in, UTF-8 text out; throws FileNotFoundError when absent. */
  readText(absPath: string): string;
  exists(absPath: string): boolean;
  isDirectory(absPath: string): boolean;
}

export interface LoadWarning {
  message: string;
  location?: SourceLocation | undefined;
}

export interface LoadContext {
  reader: FileReader;
  positions: PositionTable;
  /** Non-fatal findings (obsolete `version`, unset variables); printed to stderr by the CLI. */
  warnings: LoadWarning[];
  /** For `~` in paths. */
  homeDir: string;
}

/** Variable lookup used by interpolation: undefined means unset (not the same as ""). */
export type VariableLookup = (name: string) => string | undefined;

/** A compose mapping as it is between phases: plain JS, positions kept in the PositionTable. */
export type ComposeTree = Record<string, unknown>;
