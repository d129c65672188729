/**
 * Key/value maps written as a `KEY=VALUE` list or as a mapping: labels and
 * options (maps of strings), environments (compose-go's MappingWithEquals,
 * where a bare `KEY` takes its value from the variables), key=value pairs
 * that must have their `=`, and options whose values are lists.
 */
import type { VariableLookup } from '../context.js';
import type { KeyPath, PositionTable } from '../positions.js';
import { isObj, scalarText } from './transformer.js';
import type { CanonicalRun, Transformer } from './transformer.js';

/**
 * Labels, annotations, sysctls, options: a `KEY=VAL` list or a mapping →
 * mapping of strings; a list entry without `=` and a null value become "".
 */
export const toStringMap: Transformer = (v, path, run) => {
  if (v === null) return v;
  const out: Record<string, string> = {};
  if (Array.isArray(v)) {
    v.forEach((item, i) => {
      const text = scalarText(item);
      const eq = text.indexOf('=');
      const key = eq === -1 ? text : text.slice(0, eq);
      out[key] = eq === -1 ? '' : text.slice(eq + 1);
      run.carry(v, i, out, key);
    });
  } else if (isObj(v)) {
    run.positions.copyAll(v, out);
    for (const [key, value] of Object.entries(v)) out[key] = value === null || value === undefined ? '' : scalarText(value);
  } else {
    return run.fail(path, 'must be a mapping or a list of KEY=VALUE');
  }
  return out;
};

/**
 * Environment-style entries (compose-go's MappingWithEquals): `KEY=VAL` or a
 * mapping; a bare `KEY` or `KEY: null` stays null until it is resolved.
 */
function equalsMap(v: unknown, path: KeyPath, run: CanonicalRun): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  if (Array.isArray(v)) {
    v.forEach((item, i) => {
      const text = scalarText(item);
      const eq = text.indexOf('=');
      const key = eq === -1 ? text : text.slice(0, eq);
      if (key !== '' && /\s$/.test(key)) run.fail([...path, i], `environment variable ${key} is declared with a trailing space`);
      out[key] = eq === -1 ? null : text.slice(eq + 1);
      run.carry(v, i, out, key);
    });
  } else if (isObj(v)) {
    run.positions.copyAll(v, out);
    for (const [key, value] of Object.entries(v)) out[key] = value === null || value === undefined ? null : scalarText(value);
  } else if (v !== null && v !== undefined) {
    run.fail(path, 'must be a mapping or a list of KEY=VALUE');
  }
  return out;
}

/** Null entries take their value from the lookup; unset ones are dropped. Positions follow the kept entries. */
export function resolveEquals(map: Record<string, string | null>, lookup: VariableLookup, positions: PositionTable): Record<string, string> {
  const out: Record<string, string> = {};
  positions.copyAll(map, out);
  for (const [key, value] of Object.entries(map)) {
    const resolved = value ?? lookup(key);
    if (resolved !== undefined) out[key] = resolved;
  }
  return out;
}

/** `build.args`, hook environments: resolved right away. */
export const toResolvedEnvironment: Transformer = (v, path, run) => (v === null ? v : resolveEquals(equalsMap(v, path, run), run.lookup, run.positions));

/** Service `environment`: kept with its nulls; the env-files phase resolves it together with the service's env_file. */
export const toEnvironment: Transformer = (v, path, run) => (v === null ? v : equalsMap(v, path, run));

/** `build.additional_contexts`: a list entry must be `name=value` (compose-go's transformKeyValue). */
export const toKeyValueStrict: Transformer = (v, path, run) => {
  if (Array.isArray(v)) {
    v.forEach((item, i) => {
      if (!scalarText(item).includes('=')) run.fail([...path, i], `invalid value ${scalarText(item)}, expected key=value`);
    });
  }
  return toStringMap(v, path, run);
};

/** `provider.options`: every value becomes a list of strings. */
export const toMultiOptions: Transformer = (v, path, run) => {
  if (!isObj(v)) return v;
  const out: Record<string, string[]> = {};
  run.positions.copyAll(v, out);
  for (const [key, value] of Object.entries(v)) out[key] = (Array.isArray(value) ? value : [value]).map(scalarText);
  return out;
};
