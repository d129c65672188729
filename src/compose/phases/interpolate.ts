/**
 * Phase 2: every string value of the tree (never a mapping key) goes through
 * `substitute`. Containers are updated in place so their source positions
 * stay valid; errors and warnings name the position and key path.
 */
import { ComposeFileError } from '../../errors/index.js';
import type { LoadContext, VariableLookup } from '../context.js';
import { formatKeyPath } from '../positions.js';
import type { PathSegment } from '../positions.js';
import { MergeTag } from '../tags.js';
import { substitute, TemplateError } from '../template.js';

export function interpolateTree(tree: unknown, lookup: VariableLookup, ctx: LoadContext): unknown {
  const warned = new Set<string>();
  const path: PathSegment[] = [];

  const convert = (value: string, container: object, key: PathSegment): string => {
    try {
      return substitute(value, lookup, (name) => {
        if (warned.has(name)) return;
        warned.add(name);
        ctx.warnings.push({
          message: `The "${name}" variable is not set. Defaulting to a blank string.`,
          location: ctx.positions.key(container, key),
        });
      });
    } catch (err) {
      if (!(err instanceof TemplateError)) throw err;
      const keyPath = formatKeyPath(path);
      const message =
        err.kind === 'invalid'
          ? `invalid interpolation format for ${keyPath}: "${value}"; you may need to escape any $ with another $`
          : err.message;
      throw new ComposeFileError(err.kind === 'invalid' ? 'TSC_INTERPOLATION_FORMAT' : 'TSC_INTERPOLATION_REQUIRED', message, {
        location: ctx.positions.key(container, key) ?? ctx.positions.locate(tree, path),
        keyPath,
      });
    }
  };

  const visit = (value: unknown, container: object, key: PathSegment): unknown => {
    if (typeof value === 'string') return convert(value, container, key);
    if (value instanceof MergeTag) return new MergeTag(value.tag, visit(value.value, container, key));
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        path.push(i);
        value[i] = visit(value[i], value, i);
        path.pop();
      }
      return value;
    }
    if (typeof value === 'object' && value !== null) {
      const obj = value as Record<string, unknown>;
      for (const k of Object.keys(obj)) {
        path.push(k);
        obj[k] = visit(obj[k], obj, k);
        path.pop();
      }
    }
    return value;
  };

  if (typeof tree !== 'object' || tree === null) return tree;
  return visit(tree, tree, '');
}
