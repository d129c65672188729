/**
 * Phase 3: relative paths become absolute, against the base directory of the
 * file that declares them (the project directory for -f files, the file's own
 * directory for an extended file, the sub-project's for an include). Remote
 * build contexts (git and http URLs) are kept as written; `~` is the home
 * directory. Runs before validation, so every value is checked for its type.
 */
import * as path from 'node:path/posix';
import type { ComposeTree, LoadContext } from '../context.js';
import { MergeTag } from '../tags.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof MergeTag);

/** git and http(s) contexts, as compose-go recognizes them. */
export function isRemoteContext(value: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(value) || value.startsWith('git@') || value.startsWith('github.com/');
}

function abs(value: string, baseDir: string, home: string): string {
  if (value === '~' || value.startsWith('~/')) return path.join(home, value.slice(1));
  return path.isAbsolute(value) ? value : path.resolve(baseDir, value);
}

/** Applies `fn` to a value that may be wrapped in `!override`. */
function mapTagged(value: unknown, fn: (v: unknown) => unknown): unknown {
  return value instanceof MergeTag ? new MergeTag(value.tag, value.tag === 'override' ? fn(value.value) : value.value) : fn(value);
}

function resolveString(baseDir: string, home: string): (v: unknown) => unknown {
  return (v) => (typeof v === 'string' && v !== '' ? abs(v, baseDir, home) : v);
}

/** A short volume `SRC:DST[:MODE]` whose source is a path (not a named volume). */
function resolveShortVolume(spec: string, baseDir: string, home: string): string {
  const colon = spec.indexOf(':');
  if (colon <= 0) return spec;
  const source = spec.slice(0, colon);
  if (!(source.startsWith('.') || source.startsWith('~') || source.startsWith('/'))) return spec;
  return `${abs(source, baseDir, home)}${spec.slice(colon)}`;
}

function resolveService(svc: Obj, baseDir: string, home: string): void {
  const str = resolveString(baseDir, home);
  const build = svc['build'];
  if (typeof build === 'string') {
    if (!isRemoteContext(build)) svc['build'] = abs(build, baseDir, home);
  } else if (isObj(build)) {
    const context = build['context'];
    if (typeof context === 'string' && !isRemoteContext(context)) build['context'] = abs(context, baseDir, home);
    else if (context === undefined) build['context'] = baseDir;
    const extra = build['additional_contexts'];
    const resolveContext = (v: unknown): unknown =>
      typeof v === 'string' && !isRemoteContext(v) && !v.startsWith('service:') && !/^[a-z-]+:\/\//.test(v) ? abs(v, baseDir, home) : v;
    if (isObj(extra)) for (const k of Object.keys(extra)) extra[k] = resolveContext(extra[k]);
    else if (Array.isArray(extra)) {
      for (let i = 0; i < extra.length; i++) {
        const e: unknown = extra[i];
        if (typeof e !== 'string') continue;
        const eq = e.indexOf('=');
        if (eq > 0) extra[i] = `${e.slice(0, eq)}=${resolveContext(e.slice(eq + 1)) as string}`;
      }
    }
  }
  for (const key of ['env_file', 'label_file']) {
    svc[key] = mapTagged(svc[key], (v) => {
      if (typeof v === 'string') return str(v);
      if (!Array.isArray(v)) return v;
      return (v as unknown[]).map((item) => {
        if (typeof item === 'string') return str(item);
        if (isObj(item) && typeof item['path'] === 'string') item['path'] = str(item['path']);
        return item;
      });
    });
  }
  const volumes = svc['volumes'];
  if (Array.isArray(volumes)) {
    for (let i = 0; i < volumes.length; i++) {
      volumes[i] = mapTagged(volumes[i], (v) => {
        if (typeof v === 'string') return resolveShortVolume(v, baseDir, home);
        if (isObj(v) && v['type'] === 'bind' && typeof v['source'] === 'string') v['source'] = str(v['source']);
        return v;
      });
    }
  }
  const develop = svc['develop'];
  if (isObj(develop) && Array.isArray(develop['watch'])) {
    for (const rule of develop['watch']) if (isObj(rule) && typeof rule['path'] === 'string') rule['path'] = str(rule['path']);
  }
}

export function resolveRelativePaths(tree: ComposeTree, baseDir: string, ctx: LoadContext): ComposeTree {
  const home = ctx.homeDir;
  const services = tree['services'];
  if (isObj(services)) for (const svc of Object.values(services)) if (isObj(svc)) resolveService(svc, baseDir, home);
  for (const section of ['secrets', 'configs']) {
    const entries = tree[section];
    if (!isObj(entries)) continue;
    for (const def of Object.values(entries)) if (isObj(def) && typeof def['file'] === 'string') def['file'] = abs(def['file'], baseDir, home);
  }
  return tree;
}
