/**
 * Source positions for a plain-JS compose tree. compose-go loses line and
 * column once phases run on maps; we keep them beside the tree instead: every
 * container (object or array) maps its keys to where they were written. Phases
 * that rebuild containers copy the entries they keep (see `copyKey`), so an
 * error found after merge or canonicalisation still points into the right file.
 */
import type { SourceLocation } from '../errors/index.js';

export type PathSegment = string | number;
export type KeyPath = readonly PathSegment[];

export class PositionTable {
  private readonly keys = new WeakMap<object, Map<PathSegment, SourceLocation>>();
  private readonly nodes = new WeakMap<object, SourceLocation>();

  setKey(container: object, key: PathSegment, loc: SourceLocation): void {
    let map = this.keys.get(container);
    if (!map) {
      map = new Map();
      this.keys.set(container, map);
    }
    map.set(normalizeKey(container, key), loc);
  }

  key(container: object, key: PathSegment): SourceLocation | undefined {
    return this.keys.get(container)?.get(normalizeKey(container, key));
  }

  setNode(node: object, loc: SourceLocation): void {
    this.nodes.set(node, loc);
  }

  node(node: object): SourceLocation | undefined {
    return this.nodes.get(node);
  }

  /** Carries the position of `from[fromKey]` over to `to[toKey]` (no-op when unknown). */
  copyKey(from: object, fromKey: PathSegment, to: object, toKey: PathSegment = fromKey): void {
    const loc = this.key(from, fromKey);
    if (loc) this.setKey(to, toKey, loc);
  }

  /** Copies every key position and the node position of `from` onto `to`. */
  copyAll(from: object, to: object): void {
    const map = this.keys.get(from);
    if (map) for (const [k, v] of map) this.setKey(to, k, v);
    const own = this.nodes.get(from);
    if (own && !this.nodes.has(to)) this.nodes.set(to, own);
  }

  /** The deepest known position along `path` from `root`. */
  locate(root: unknown, path: KeyPath): SourceLocation | undefined {
    let best: SourceLocation | undefined = isContainer(root) ? this.node(root) : undefined;
    let current: unknown = root;
    for (const segment of path) {
      if (!isContainer(current)) break;
      const here = this.key(current, segment);
      if (here) best = here;
      current = (current as Record<PathSegment, unknown>)[segment];
      if (isContainer(current)) {
        const own = this.node(current);
        if (own && !here) best = own;
      }
    }
    return best;
  }
}

function isContainer(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

function normalizeKey(container: object, key: PathSegment): PathSegment {
  return Array.isArray(container) ? Number(key) : String(key);
}

/** compose-go style key path: `services.web.ports.0`. */
export function formatKeyPath(path: KeyPath): string {
  return path.map(String).join('.');
}
