/**
 * Phase 5: `extends`. A service takes its base (same file, or another file
 * whose relative paths were already resolved against its own directory) and
 * is merged onto it with the merge rules, recursively, with cycle detection.
 */
import * as path from 'node:path/posix';
import { ComposeFileError } from '../../errors/index.js';
import type { ComposeTree, LoadContext } from '../context.js';
import { cloneTree } from '../clone.js';
import { mergeServices } from './merge.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function applyExtends(tree: ComposeTree, file: string, ctx: LoadContext, loadFile: (absPath: string) => ComposeTree): ComposeTree {
  const services = tree['services'];
  if (!isObj(services)) return tree;
  if (!Object.values(services).some((s) => isObj(s) && s['extends'] !== undefined)) return tree;
  const resolved = new Map<string, Obj>();

  const resolve = (name: string, currentFile: string, pool: Obj, chain: string[]): Obj => {
    const id = `${currentFile}#${name}`;
    const cached = resolved.get(id);
    if (cached) return cached;
    const svc = pool[name];
    if (!isObj(svc) || svc['extends'] === undefined) return (svc as Obj) ?? {};
    if (chain.includes(id)) {
      const names = [...chain, id].map((c) => c.split('#')[1]);
      throw new ComposeFileError('TSC_EXTENDS_CYCLE', `circular reference with extends: ${names.join(' -> ')}`, {
        location: ctx.positions.key(svc, 'extends'),
        keyPath: `services.${name}.extends`,
        service: name,
      });
    }
    const ext = svc['extends'];
    const spec = typeof ext === 'string' ? { service: ext } : isObj(ext) ? ext : undefined;
    const location = ctx.positions.key(svc, 'extends');
    if (!spec || typeof spec['service'] !== 'string') {
      throw new ComposeFileError('TSC_SPEC_INVALID', `services.${name}.extends must name a service`, { location, keyPath: `services.${name}.extends`, service: name });
    }
    const baseName = spec['service'];
    let baseFile = currentFile;
    let basePool = pool;
    if (typeof spec['file'] === 'string' && spec['file'] !== '') {
      baseFile = path.isAbsolute(spec['file']) ? spec['file'] : path.resolve(path.dirname(currentFile), spec['file']);
      const other = loadFile(baseFile);
      // A file in the legacy (version 1) layout keeps its services at the top level.
      basePool = isObj(other['services']) ? (other['services']) : isObj(other[baseName]) ? other : {};
    }
    if (!(baseName in basePool)) {
      throw new ComposeFileError('TSC_EXTENDS_NOT_FOUND', `cannot extend service "${name}" in ${currentFile}: service "${baseName}" not found in ${baseFile}`, {
        location,
        keyPath: `services.${name}.extends`,
        service: name,
      });
    }
    const base = resolve(baseName, baseFile, basePool, [...chain, id]);
    const own: Obj = {};
    for (const [k, v] of Object.entries(svc)) if (k !== 'extends') own[k] = v;
    ctx.positions.copyAll(svc, own);
    const merged = mergeServices(cloneTree(isObj(base) ? base : {}, ctx), own, ctx);
    resolved.set(id, merged);
    return merged;
  };

  const out: Obj = {};
  ctx.positions.copyAll(services, out);
  for (const name of Object.keys(services)) out[name] = resolve(name, file, services, []);
  const result: ComposeTree = { ...tree, services: out };
  ctx.positions.copyAll(tree, result);
  return result;
}
