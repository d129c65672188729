/**
 * Phase 4: `include`. Each entry is loaded as its own sub-project (own
 * project directory and env files, by the loader's callback) and its
 * resources are added to the including file; a name defined on both sides
 * with different content is an error, and a file that includes itself,
 * directly or not, is a cycle.
 */
import * as path from 'node:path/posix';
import { ComposeFileError } from '../../errors/index.js';
import type { ComposeTree, LoadContext } from '../context.js';

export interface IncludeRequest {
  paths: string[];
  projectDirectory: string;
  envFiles: string[];
  /** The chain of files being loaded, for cycle detection. */
  includedFrom: string[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const RESOURCES = ['services', 'networks', 'volumes', 'secrets', 'configs', 'models'];

const asList = (v: unknown): string[] => (typeof v === 'string' ? [v] : Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

export function applyInclude(
  tree: ComposeTree,
  file: string,
  ctx: LoadContext,
  loadIncluded: (req: IncludeRequest) => ComposeTree,
  chain: string[] = [file],
): ComposeTree {
  const entries = tree['include'];
  const result: ComposeTree = { ...tree };
  ctx.positions.copyAll(tree, result);
  delete result['include'];
  if (!Array.isArray(entries)) return result;
  const dir = path.dirname(file);
  entries.forEach((entry, index) => {
    const location = ctx.positions.key(entries, index);
    const keyPath = `include.${index}`;
    const spec = typeof entry === 'string' ? { path: entry } : isObj(entry) ? entry : undefined;
    if (!spec) throw new ComposeFileError('TSC_SPEC_INVALID', `${keyPath} must be a string or a mapping`, { location, keyPath });
    const paths = asList(spec['path']).map((p) => path.resolve(dir, p));
    if (paths.length === 0) throw new ComposeFileError('TSC_SPEC_INVALID', `${keyPath} missing property 'path'`, { location, keyPath });
    const cyclic = paths.find((p) => chain.includes(p));
    if (cyclic) {
      throw new ComposeFileError('TSC_INCLUDE_CYCLE', `include cycle detected: ${[...chain, cyclic].join(' -> ')}`, { location, keyPath });
    }
    const projectDirectory =
      typeof spec['project_directory'] === 'string' ? path.resolve(dir, spec['project_directory']) : path.dirname(paths[0] as string);
    let envFiles = asList(spec['env_file']).map((p) => path.resolve(dir, p));
    if (spec['env_file'] === undefined) {
      const dotenv = path.join(projectDirectory, '.env');
      envFiles = ctx.reader.exists(dotenv) && !ctx.reader.isDirectory(dotenv) ? [dotenv] : [];
    }
    for (const p of [...paths, ...envFiles]) {
      if (!ctx.reader.exists(p)) throw new ComposeFileError('TSC_INCLUDE_NOT_FOUND', `${keyPath}: ${p} not found`, { location, keyPath });
    }
    const included = loadIncluded({ paths, projectDirectory, envFiles, includedFrom: chain });
    for (const section of RESOURCES) {
      const incoming = included[section];
      if (!isObj(incoming)) continue;
      const target: Obj = isObj(result[section]) ? { ...(result[section]) } : {};
      if (isObj(result[section])) ctx.positions.copyAll(result[section], target);
      for (const [name, value] of Object.entries(incoming)) {
        if (name in target && JSON.stringify(target[name]) !== JSON.stringify(value)) {
          throw new ComposeFileError('TSC_INCLUDE_CONFLICT', `${section}.${name} conflicts with imported resource`, {
            location: ctx.positions.key(target, name) ?? location,
            keyPath: `${section}.${name}`,
          });
        }
        target[name] = value;
        if (!ctx.positions.key(target, name)) ctx.positions.copyKey(incoming, name, target, name);
      }
      result[section] = target;
    }
  });
  return result;
}
