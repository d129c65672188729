/** Service `secrets` and `configs`, build `secrets`: references to top-level entries, one mount per target. */
import { toFileMode } from './scalars.js';
import { isObj, scalarText, show, unique } from './transformer.js';
import type { Obj, Transformer } from './transformer.js';

/** A secret or config reference (also build secrets): `name` → `{source}`; uid/gid as text, mode as a number. */
export const toFileReference: Transformer = (v, path, run) => {
  if (typeof v === 'string') return { source: v };
  if (!isObj(v)) return run.fail(path, `unsupported type ${show(v)}`);
  const out = run.descend(v, path) as Obj;
  for (const key of ['uid', 'gid']) if (out[key] !== undefined && out[key] !== null) out[key] = scalarText(out[key]);
  if (out['mode'] !== undefined && out['mode'] !== null) out['mode'] = toFileMode(out['mode'], [...path, 'mode'], run);
  return out;
};

/**
 * Service secrets/configs lists; one mount per target, later entries winning
 * (compose-go's mountIndexer: a secret without target lands in /run/secrets/<source>, a config in /<source>).
 */
export function fileReferences(defaultDir: string | undefined): Transformer {
  return (v, path, run) => {
    if (v === null) return v;
    if (!Array.isArray(v)) return run.fail(path, 'must be a list');
    const refs = run.descend(v, path) as Obj[];
    if (defaultDir === undefined) return refs;
    return unique(refs, (ref) => (typeof ref['target'] === 'string' ? ref['target'] : `${defaultDir}/${scalarText(ref['source'])}`), run);
  };
}
