/**
 * Typed scalars: interpolation leaves strings where the schema allows numbers
 * or booleans, so each is cast here with compose-go's rules (its
 * loader/interpolate.go casts and its types' decoders).
 */
import { formatGoDuration, parseGoDuration } from '../../util/duration.js';
import { invalidSizeMessage, parseBytes } from '../../util/bytes.js';
import { scalarText, show } from './transformer.js';
import type { Transformer } from './transformer.js';

export const toInt: Transformer = (v, path, run) => {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^[-+]?\d+$/.test(v)) return Number(v);
  return run.fail(path, `must be an integer, got ${show(v)}`);
};

export const toFloat: Transformer = (v, path, run) => {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v)) return Number(v);
  return run.fail(path, `must be a number, got ${show(v)}`);
};

/** compose-go's toBoolean: true/false in any case; y/yes/on and n/no/off with a YAML 1.2 warning. */
export const toBool: Transformer = (v, path, run) => {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    const s = v.toLowerCase();
    if (s === 'true') return true;
    if (s === 'false') return false;
    if (s === 'y' || s === 'yes' || s === 'on' || s === 'n' || s === 'no' || s === 'off') {
      const value = s === 'y' || s === 'yes' || s === 'on';
      run.warn(path, `"${v}" for boolean is not supported by YAML 1.2, please use \`${String(value)}\``);
      return value;
    }
  }
  return run.fail(path, `invalid boolean: ${show(v)}`);
};

/** A boolean compose-go omits when false (a plain Go bool with omitempty): false disappears. */
export const toFlag: Transformer = (v, path, run) => (toBool(v, path, run) ? true : undefined);

export const toDuration: Transformer = (v, path, run) => {
  if (v === null) return v;
  const parsed = parseGoDuration(typeof v === 'number' ? String(v) : typeof v === 'string' ? v : '');
  if (!parsed.ok) return run.fail(path, `invalid duration ${show(v)}: ${parsed.error}`);
  return formatGoDuration(parsed.nanoseconds);
};

export const toBytes: Transformer = (v, path, run) => {
  const n = typeof v === 'number' || typeof v === 'string' ? parseBytes(v) : undefined;
  if (n === undefined) return run.fail(path, invalidSizeMessage(v));
  return n;
};

/** A file mode: numbers as they are, text as octal (`"0440"`), as compose-go's FileMode reads it. */
export const toFileMode: Transformer = (v, path, run) => {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^[-+]?[0-7]+$/.test(v)) return Number.parseInt(v, 8);
  return run.fail(path, `invalid file mode ${show(v)}: expected an octal number like 0440`);
};

/** `build.provenance` / `build.sbom`: a boolean becomes its text. */
export const toText: Transformer = (v) => (v === null || v === undefined ? v : scalarText(v));
