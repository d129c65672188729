/** Deep copy of a compose tree that keeps source positions (structuredClone would drop them). */
import type { LoadContext } from './context.js';
import { MergeTag } from './tags.js';

export function cloneTree<T>(value: T, ctx: LoadContext): T {
  if (value instanceof MergeTag) return new MergeTag(value.tag, cloneTree(value.value, ctx)) as T;
  if (Array.isArray(value)) {
    const out = (value as unknown[]).map((v) => cloneTree(v, ctx));
    ctx.positions.copyAll(value, out);
    return out as T;
  }
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = cloneTree(v, ctx);
    ctx.positions.copyAll(value, out);
    return out as T;
  }
  return value;
}
