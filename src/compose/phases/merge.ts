/**
 * Phase 6: merging compose files (`-f a -f b`, compose.override.yaml) and an
 * `extends` base with the service extending it. The rules of the spec's merge
 * chapter and compose-go: mappings merge recursively, sequences append, and:
 * - `command`, `entrypoint`, `healthcheck.test` are replaced;
 * - `environment`, `labels`, `annotations`, `build.args`, `sysctls`, ... merge
 *   by variable name whichever form (list or map) each side uses;
 * - `ports`, `volumes`, `secrets`, `configs`, `expose`, `dns`, ... are unique
 *   by their key (target, published port, value), the later entry winning;
 * - `depends_on` and `networks` merge by name, list or map form;
 * - `!reset` in the override removes the value, `!override` replaces it whole.
 * Source positions travel with the values that win.
 */
import type { ComposeTree, LoadContext } from '../context.js';
import { MergeTag, isReset } from '../tags.js';

type Obj = Record<string, unknown>;
type Merger = (base: unknown, override: unknown, ctx: LoadContext) => unknown;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof MergeTag);

/** `K=V` / `K` list entries (and maps) to a map; null marks a name without value. */
function toKeyValueMap(value: unknown, separator = '='): Obj | undefined {
  if (isObj(value)) return value;
  if (!Array.isArray(value)) return undefined;
  const out: Obj = {};
  for (const item of value) {
    if (typeof item !== 'string') {
      if (typeof item === 'number' || typeof item === 'boolean') out[String(item)] = null;
      continue;
    }
    const i = item.indexOf(separator);
    if (i === -1) out[item] = null;
    else out[item.slice(0, i)] = item.slice(i + 1);
  }
  return out;
}

function copyPositions(ctx: LoadContext, from: unknown, to: object, keys?: string[]): void {
  if (typeof from !== 'object' || from === null) return;
  if (keys) for (const k of keys) ctx.positions.copyKey(from, k, to, k);
  else ctx.positions.copyAll(from, to);
}

/** Merges name-keyed values given as list or map; the result is a map. */
function mergeAsMap(separator = '='): Merger {
  return (base, override, ctx) => {
    const b = toKeyValueMap(base, separator);
    const o = toKeyValueMap(override, separator);
    if (!b || !o) return override;
    const out: Obj = {};
    for (const [k, v] of Object.entries(b)) {
      out[k] = v;
      if (isObj(base)) ctx.positions.copyKey(base, k, out, k);
    }
    for (const [k, v] of Object.entries(o)) {
      if (isReset(v)) {
        delete out[k];
        continue;
      }
      out[k] = v instanceof MergeTag ? v.value : v;
      if (isObj(override)) ctx.positions.copyKey(override, k, out, k);
    }
    const own = (Array.isArray(override) || isObj(override)) ? ctx.positions.node(override) : undefined;
    if (own) ctx.positions.setNode(out, own);
    return out;
  };
}

/** Appends, keeping one entry per key: the later one wins, at the first one's place. */
function mergeUnique(keyOf: (item: unknown) => string): Merger {
  return (base, override, ctx) => {
    if (!Array.isArray(base) || !Array.isArray(override)) return override;
    const out: unknown[] = [];
    const index = new Map<string, number>();
    const add = (item: unknown, from: unknown[], i: number): void => {
      if (isReset(item)) return;
      const value = item instanceof MergeTag ? item.value : item;
      const key = keyOf(value);
      const at = index.get(key);
      if (at !== undefined) {
        out[at] = value;
        ctx.positions.copyKey(from, i, out, at);
        return;
      }
      index.set(key, out.length);
      ctx.positions.copyKey(from, i, out, out.length);
      out.push(value);
    };
    base.forEach((item, i) => add(item, base, i));
    override.forEach((item, i) => add(item, override, i));
    const own = ctx.positions.node(override) ?? ctx.positions.node(base);
    if (own) ctx.positions.setNode(out, own);
    return out;
  };
}

const replace: Merger = (_base, override) => override;

/** A value as the text keys are made of: JSON for structures, the plain text of a scalar, '' for nothing. */
function keyText(item: unknown, absent = ''): string {
  if (item === undefined || item === null) return absent;
  if (typeof item === 'object') return JSON.stringify(item);
  const scalar = item as string | number | boolean | bigint | symbol;
  return String(scalar);
}

const byValue = (item: unknown): string => keyText(item, item === null ? 'null' : 'undefined');

function portKey(item: unknown): string {
  if (isObj(item)) return `${keyText(item['host_ip'])}:${keyText(item['published'])}:${keyText(item['target'])}/${keyText(item['protocol'], 'tcp')}`;
  const s = keyText(item);
  const [spec, proto = 'tcp'] = s.split('/');
  const parts = (spec ?? '').split(':');
  const target = parts.pop() ?? '';
  const published = parts.pop() ?? '';
  const ip = parts.join(':');
  return `${ip}:${published}:${target}/${proto}`;
}

function volumeKey(item: unknown): string {
  if (isObj(item)) return keyText(item['target']);
  const parts = keyText(item).split(':');
  // `SRC:DST[:MODE]` or a lone anonymous `DST`.
  return parts.length === 1 ? (parts[0] as string) : (parts[1] as string);
}

function mountKey(defaultDir: string): (item: unknown) => string {
  return (item) => {
    if (isObj(item)) {
      const target = item['target'];
      if (typeof target === 'string' && target !== '') return target.startsWith('/') ? target : `${defaultDir}/${target}`;
      return `${defaultDir}/${keyText(item['source'])}`;
    }
    return `${defaultDir}/${keyText(item)}`;
  };
}

function envFileKey(item: unknown): string {
  return isObj(item) ? keyText(item['path']) : keyText(item);
}

function keyValueKey(item: unknown): string {
  if (typeof item !== 'string') return byValue(item);
  const i = item.indexOf('=');
  return i === -1 ? item : item.slice(0, i);
}

/** `depends_on` as a map whatever the form; short entries become `service_started`. */
function dependsOnMap(value: unknown): Obj | undefined {
  if (isObj(value)) return value;
  if (!Array.isArray(value)) return undefined;
  const out: Obj = {};
  for (const name of value) if (typeof name === 'string') out[name] = { condition: 'service_started', required: true };
  return out;
}

function networksMap(value: unknown): Obj | undefined {
  if (isObj(value)) return value;
  if (!Array.isArray(value)) return undefined;
  const out: Obj = {};
  for (const name of value) if (typeof name === 'string') out[name] = null;
  return out;
}

function mergeViaMap(toMap: (v: unknown) => Obj | undefined): Merger {
  return (base, override, ctx) => {
    const b = toMap(base);
    const o = toMap(override);
    if (!b || !o) return override;
    const bm = b === base ? b : carry(ctx, base, b);
    const om = o === override ? o : carry(ctx, override, o);
    return mergeMappings(bm, om, ctx, []);
  };
}

/** A list turned into a map keeps the positions of its entries under their names. */
function carry(ctx: LoadContext, list: unknown, map: Obj): Obj {
  if (Array.isArray(list)) {
    list.forEach((name, i) => {
      if (typeof name === 'string') ctx.positions.copyKey(list, i, map, name);
    });
    const own = ctx.positions.node(list);
    if (own) ctx.positions.setNode(map, own);
  }
  return map;
}

const mergeBuild: Merger = (base, override, ctx) => {
  const asObj = (v: unknown): Obj | undefined => (typeof v === 'string' ? { context: v } : isObj(v) ? v : undefined);
  const b = asObj(base);
  const o = asObj(override);
  if (!b || !o) return override;
  return mergeMappings(b, o, ctx, ['services', '*', 'build']);
};

const mergeLogging: Merger = (base, override, ctx) => {
  if (!isObj(base) || !isObj(override)) return override;
  const bd = base['driver'];
  const od = override['driver'];
  if (bd !== undefined && od !== undefined && bd !== od) return override;
  return mergeMappings(base, override, ctx, ['services', '*', 'logging']);
};

const mergeUlimit: Merger = (base, override, ctx) => (isObj(base) && isObj(override) ? mergeMappings(base, override, ctx, []) : override);

/** Path patterns (compose-go style, `*` for any key) to their special merge. */
const SPECIALS: Array<[string, Merger]> = [
  ['services.*.command', replace],
  ['services.*.entrypoint', replace],
  ['services.*.healthcheck.test', replace],
  ['services.*.environment', mergeAsMap()],
  ['services.*.labels', mergeAsMap()],
  ['services.*.annotations', mergeAsMap()],
  ['services.*.sysctls', mergeAsMap()],
  ['services.*.build', mergeBuild],
  ['services.*.build.args', mergeAsMap()],
  ['services.*.build.labels', mergeAsMap()],
  ['services.*.build.additional_contexts', mergeAsMap()],
  ['services.*.build.extra_hosts', mergeUnique(byValue)],
  ['services.*.build.tags', mergeUnique(byValue)],
  ['services.*.deploy.labels', mergeAsMap()],
  ['services.*.depends_on', mergeViaMap(dependsOnMap)],
  ['services.*.networks', mergeViaMap(networksMap)],
  ['services.*.networks.*.aliases', mergeUnique(byValue)],
  ['services.*.networks.*.link_local_ips', mergeUnique(byValue)],
  ['services.*.logging', mergeLogging],
  ['services.*.ulimits.*', mergeUlimit],
  ['services.*.ports', mergeUnique(portKey)],
  ['services.*.volumes', mergeUnique(volumeKey)],
  ['services.*.devices', mergeUnique((d) => (isObj(d) ? String(d['target'] ?? d['source']) : volumeKey(d)))],
  ['services.*.secrets', mergeUnique(mountKey('/run/secrets'))],
  ['services.*.configs', mergeUnique(mountKey(''))],
  ['services.*.expose', mergeUnique(byValue)],
  ['services.*.dns', mergeUnique(byValue)],
  ['services.*.dns_opt', mergeUnique(byValue)],
  ['services.*.dns_search', mergeUnique(byValue)],
  ['services.*.cap_add', mergeUnique(byValue)],
  ['services.*.cap_drop', mergeUnique(byValue)],
  ['services.*.security_opt', mergeUnique(byValue)],
  ['services.*.profiles', mergeUnique(byValue)],
  ['services.*.links', mergeUnique(keyValueKey)],
  ['services.*.external_links', mergeUnique(byValue)],
  ['services.*.extra_hosts', mergeUnique(byValue)],
  ['services.*.tmpfs', mergeUnique(byValue)],
  ['services.*.env_file', mergeUnique(envFileKey)],
  ['services.*.label_file', mergeUnique(byValue)],
  ['services.*.volumes_from', mergeUnique(byValue)],
  ['services.*.group_add', mergeUnique(byValue)],
  ['networks.*.labels', mergeAsMap()],
  ['volumes.*.labels', mergeAsMap()],
  ['networks.*.ipam.config', mergeUnique((c) => (isObj(c) ? keyText(c['subnet'], byValue(c)) : byValue(c)))],
];

function specialFor(path: readonly string[]): Merger | undefined {
  outer: for (const [pattern, merger] of SPECIALS) {
    const parts = pattern.split('.');
    if (parts.length !== path.length) continue;
    for (let i = 0; i < parts.length; i++) if (parts[i] !== '*' && parts[i] !== path[i]) continue outer;
    return merger;
  }
  return undefined;
}

function mergeValue(base: unknown, override: unknown, ctx: LoadContext, path: string[]): unknown {
  if (override instanceof MergeTag) return override.tag === 'override' ? override.value : override;
  if (base instanceof MergeTag) base = base.tag === 'override' ? base.value : undefined;
  if (base === undefined || base === null) return override;
  if (override === null || override === undefined) return override === null ? nullOverride(base) : base;
  const special = specialFor(path);
  if (special) return special(base, override, ctx);
  if (isObj(base) && isObj(override)) return mergeMappings(base, override, ctx, path);
  if (Array.isArray(base) && Array.isArray(override)) {
    const out: unknown[] = [...(base as unknown[]), ...(override as unknown[])];
    base.forEach((_, i) => ctx.positions.copyKey(base, i, out, i));
    override.forEach((_, i) => ctx.positions.copyKey(override, i, out, base.length + i));
    return out;
  }
  return override;
}

/** `key:` with no value in an override keeps what the base had (compose-go treats null as "not set"). */
function nullOverride(base: unknown): unknown {
  return base;
}

function mergeMappings(base: Obj, override: Obj, ctx: LoadContext, path: string[]): Obj {
  const out: Obj = {};
  copyPositions(ctx, base, out);
  for (const [k, v] of Object.entries(base)) out[k] = v;
  for (const [k, v] of Object.entries(override)) {
    if (isReset(v)) {
      delete out[k];
      continue;
    }
    const merged = mergeValue(out[k], v, ctx, [...path, k]);
    if (merged === undefined) delete out[k];
    else out[k] = merged;
    if (!(k in base) || merged === v || (v instanceof MergeTag && merged === v.value)) ctx.positions.copyKey(override, k, out, k);
  }
  const own = ctx.positions.node(base) ?? ctx.positions.node(override);
  if (own) ctx.positions.setNode(out, own);
  return out;
}

export function mergeComposeTrees(base: ComposeTree, override: ComposeTree, ctx: LoadContext): ComposeTree {
  return mergeMappings(base, override, ctx, []);
}

/** Merges one service definition onto another (used by `extends`). */
export function mergeServices(base: Obj, override: Obj, ctx: LoadContext): Obj {
  return mergeMappings(base, override, ctx, ['services', '*']);
}
