/**
 * What a transformer of the canonical phase is (one value in, its canonical
 * form out) and what it may ask of the run that calls it, plus the helpers the
 * key families share. The walker and the table are phases/canonical.ts; this
 * module is apart from it so the families can use the run without importing
 * the table that imports them.
 */
import type { ErrorCode } from '../../errors/index.js';
import type { VariableLookup } from '../context.js';
import type { KeyPath, PathSegment, PositionTable } from '../positions.js';

export type Obj = Record<string, unknown>;

export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** One canonicalisation: the value at `path` in, its canonical form out (undefined: the key is dropped). */
export type Transformer = (value: unknown, path: KeyPath, run: CanonicalRun) => unknown;

/** The run of the phase, as a transformer sees it. */
export interface CanonicalRun {
  /** Source positions: a transformer that builds a container copies its entries' positions onto it. */
  readonly positions: PositionTable;
  /** Shell + .env variables: pass-through `build.args` and hook `environment` entries. */
  readonly lookup: VariableLookup;
  /** Throws the ComposeFileError for the value at `path`, positioned where it was written. */
  fail(path: KeyPath, message: string, code?: ErrorCode): never;
  warn(path: KeyPath, message: string): void;
  /** A copy of a container whose children went through the table (positions kept); scalars as they are. */
  descend(value: unknown, path: KeyPath): unknown;
  /** Like `descend` for a mapping, also for a null one (`web:` with no body becomes `{}`). */
  mapping(value: unknown, path: KeyPath): Obj;
  /** Copies the position of the key `from[fromKey]` (if known) onto `to[toKey]`. */
  carry(from: object, fromKey: PathSegment, to: object, toKey?: PathSegment): void;
}

/** Go's fmt.Sprint of a YAML scalar. */
export function scalarText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v);
}

/** A value as error messages quote it: text in double quotes, anything else as JSON. */
export function show(v: unknown): string {
  return typeof v === 'string' ? `"${v}"` : JSON.stringify(v) ?? String(v);
}

/** A list: later entries with the same key replace earlier ones in place (compose-go's EnforceUnicity). */
export function unique(list: Obj[], key: (item: Obj) => string, run: CanonicalRun): Obj[] {
  const seen = new Map<string, number>();
  const out: Obj[] = [];
  list.forEach((item, i) => {
    const k = key(item);
    const at = seen.get(k);
    if (at === undefined) {
      seen.set(k, out.length);
      run.carry(list, i, out, out.length);
      out.push(item);
    } else {
      out[at] = item;
    }
  });
  return out;
}
