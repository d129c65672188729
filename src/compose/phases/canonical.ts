/**
 * Phase 8: short syntax to long syntax and typed values, the shape
 * `docker compose config` prints. As in compose-go's transform/canonical.go a
 * table keyed by path pattern (`services.*.ports`) says how each value is
 * rewritten; `*` matches any one key or list index. Values without an entry
 * are copied as they are, so keys this phase does not know pass through.
 *
 * The input was validated by the file schema but may still hold strings where
 * numbers or booleans belong (interpolation yields strings), so scalars are
 * cast here, with compose-go's rules. A service's env_file and label_file are
 * read here (through `ctx.reader`) and merged under its environment and labels,
 * as `docker compose config` shows them.
 *
 * The input tree is not modified: every container is rebuilt and keeps the
 * source positions of the keys it carries over.
 */
import * as posixPath from 'node:path/posix';
import { isIP } from 'node:net';
import { ComposeFileError } from '../../errors/index.js';
import type { ErrorCode } from '../../errors/index.js';
import type { ComposeTree, LoadContext, VariableLookup } from '../context.js';
import type { PathSegment } from '../positions.js';
import { formatKeyPath } from '../positions.js';
import { parseDotenv, parseRawEnvFile } from '../dotenv.js';
import { formatGoDuration, parseGoDuration } from '../../util/duration.js';
import { invalidSizeMessage, parseBytes } from '../../util/bytes.js';
import { SHELL_WORDS_ERROR, splitShellWords } from '../../util/shell-words.js';

type Obj = Record<string, unknown>;
type Path = readonly PathSegment[];

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** One canonicalisation: the value at `path` in, its canonical form out. */
type Transformer = (value: unknown, path: Path, run: Run) => unknown;

export interface CanonicalOptions {
  /** Shell + .env variables: pass-through `environment`/`build.args` entries and env_file interpolation. */
  lookup: VariableLookup;
}

export function toCanonical(tree: ComposeTree, ctx: LoadContext, opts: CanonicalOptions): ComposeTree {
  const run = new Run(ctx, opts.lookup, tree);
  return run.transform(tree, []) as ComposeTree;
}

/** State of one canonicalisation: where errors point, how variables resolve. */
class Run {
  constructor(
    readonly ctx: LoadContext,
    readonly lookup: VariableLookup,
    /** The input tree: error positions are looked up along input paths. */
    readonly root: ComposeTree,
  ) {}

  fail(path: Path, message: string, code: ErrorCode = 'TSC_SPEC_INVALID'): never {
    const keyPath = formatKeyPath(path);
    throw new ComposeFileError(code, keyPath === '' ? message : `${keyPath} ${message}`, {
      location: this.ctx.positions.locate(this.root, path),
      keyPath: keyPath === '' ? undefined : keyPath,
      service: path[0] === 'services' && path.length > 1 ? String(path[1]) : undefined,
    });
  }

  warn(path: Path, message: string): void {
    this.ctx.warnings.push({ message: `${formatKeyPath(path)}: ${message}`, location: this.ctx.positions.locate(this.root, path) });
  }

  /** The canonical form of `value` found at `path`: its table entry, or its children's. */
  transform(value: unknown, path: Path): unknown {
    const transformer = findTransformer(path);
    return transformer ? transformer(value, path, this) : this.descend(value, path);
  }

  /** A copy of a container whose children are transformed (positions kept); scalars as they are. */
  descend(value: unknown, path: Path): unknown {
    if (Array.isArray(value)) {
      const out = value.map((item, i) => this.transform(item, [...path, i]));
      this.ctx.positions.copyAll(value, out);
      return out;
    }
    if (isObj(value)) {
      const out: Obj = {};
      this.ctx.positions.copyAll(value, out);
      for (const [key, child] of Object.entries(value)) {
        // Earlier phases may leave a key holding undefined: it is absent.
        if (child === undefined) continue;
        const canonical = this.transform(child, [...path, key]);
        // A transformer answers undefined for a value compose-go omits (a false flag).
        if (canonical !== undefined) out[key] = canonical;
      }
      return out;
    }
    return value;
  }

  /** Like `descend` for a mapping, also for a null one (`web:` with no body becomes `{}`). */
  mapping(value: unknown, path: Path): Obj {
    if (value === null || value === undefined) return {};
    if (!isObj(value)) return this.fail(path, 'must be a mapping');
    return this.descend(value, path) as Obj;
  }

  /** Copies the position of the key `from[fromKey]` (if known) onto `to[toKey]`. */
  carry(from: object, fromKey: PathSegment, to: object, toKey: PathSegment = fromKey): void {
    this.ctx.positions.copyKey(from, fromKey, to, toKey);
  }
}

// ---- the table --------------------------------------------------------------

/** One row of the table: a dotted path pattern and what rewrites the value there. */
interface Rule {
  pattern: string;
  segments: readonly string[];
  transformer: Transformer;
}

function findTransformer(path: Path): Transformer | undefined {
  for (const rule of RULES) {
    const { segments } = rule;
    if (segments.length !== path.length) continue;
    let matches = true;
    for (let i = 0; i < segments.length; i++) {
      if (segments[i] !== '*' && segments[i] !== String(path[i])) {
        matches = false;
        break;
      }
    }
    if (matches) return rule.transformer;
  }
  return undefined;
}

/** The path patterns this phase rewrites (for documentation and tests). */
export function canonicalPatterns(): string[] {
  return RULES.map((rule) => rule.pattern);
}

// ---- scalars ------------------------------------------------------------------

const toInt: Transformer = (v, path, run) => {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^[-+]?\d+$/.test(v)) return Number(v);
  return run.fail(path, `must be an integer, got ${show(v)}`);
};

const toFloat: Transformer = (v, path, run) => {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v)) return Number(v);
  return run.fail(path, `must be a number, got ${show(v)}`);
};

/** compose-go's toBoolean: true/false in any case; y/yes/on and n/no/off with a YAML 1.2 warning. */
const toBool: Transformer = (v, path, run) => {
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
const toFlag: Transformer = (v, path, run) => (toBool(v, path, run) ? true : undefined);

const toDuration: Transformer = (v, path, run) => {
  if (v === null) return v;
  const parsed = parseGoDuration(typeof v === 'number' ? String(v) : typeof v === 'string' ? v : '');
  if (!parsed.ok) return run.fail(path, `invalid duration ${show(v)}: ${parsed.error}`);
  return formatGoDuration(parsed.nanoseconds);
};

const toBytes: Transformer = (v, path, run) => {
  const n = typeof v === 'number' || typeof v === 'string' ? parseBytes(v) : undefined;
  if (n === undefined) return run.fail(path, invalidSizeMessage(v));
  return n;
};

/** A file mode: numbers as they are, text as octal (`"0440"`), as compose-go's FileMode reads it. */
const toFileMode: Transformer = (v, path, run) => {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^[-+]?[0-7]+$/.test(v)) return Number.parseInt(v, 8);
  return run.fail(path, `invalid file mode ${show(v)}: expected an octal number like 0440`);
};

/** Go's fmt.Sprint of a YAML scalar. */
function scalarText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v);
}

function show(v: unknown): string {
  return typeof v === 'string' ? `"${v}"` : JSON.stringify(v) ?? String(v);
}

/** `text` or `[text, ...]` → list of strings (compose-go's StringList / StringOrNumberList). */
const toStringList: Transformer = (v, path, run) => {
  if (v === null) return v;
  const items = Array.isArray(v) ? v : [v];
  const out = items.map((item) => scalarText(item));
  if (Array.isArray(v)) run.ctx.positions.copyAll(v, out);
  return out;
};

/** compose-go's OmitEmpty for `dns`: empty entries are dropped. */
const toDnsList: Transformer = (v, path, run) => {
  const list = toStringList(v, path, run);
  return Array.isArray(list) ? list.filter((s) => s !== '') : list;
};

/** `build.provenance` / `build.sbom`: a boolean becomes its text. */
const toText: Transformer = (v) => (v === null || v === undefined ? v : scalarText(v));

// ---- key/value maps -----------------------------------------------------------

/**
 * Labels, annotations, sysctls, options: a `KEY=VAL` list or a mapping →
 * mapping of strings; a list entry without `=` and a null value become "".
 */
const toStringMap: Transformer = (v, path, run) => {
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
    run.ctx.positions.copyAll(v, out);
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
function equalsMap(v: unknown, path: Path, run: Run): Record<string, string | null> {
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
    run.ctx.positions.copyAll(v, out);
    for (const [key, value] of Object.entries(v)) out[key] = value === null || value === undefined ? null : scalarText(value);
  } else if (v !== null && v !== undefined) {
    run.fail(path, 'must be a mapping or a list of KEY=VALUE');
  }
  return out;
}

/** Null entries take their value from the lookup; unset ones are dropped. */
function resolveEquals(map: Record<string, string | null>, lookup: (name: string) => string | undefined, run: Run): Record<string, string> {
  const out: Record<string, string> = {};
  run.ctx.positions.copyAll(map, out);
  for (const [key, value] of Object.entries(map)) {
    const resolved = value ?? lookup(key);
    if (resolved !== undefined) out[key] = resolved;
  }
  return out;
}

/** `build.args`, hook environments: resolved right away. */
const toResolvedEnvironment: Transformer = (v, path, run) => (v === null ? v : resolveEquals(equalsMap(v, path, run), run.lookup, run));

/** Service `environment`: kept with its nulls; the service step resolves it together with env_file. */
const toEnvironment: Transformer = (v, path, run) => (v === null ? v : equalsMap(v, path, run));

/** `build.additional_contexts`: a list entry must be `name=value` (compose-go's transformKeyValue). */
const toKeyValueStrict: Transformer = (v, path, run) => {
  if (Array.isArray(v)) {
    v.forEach((item, i) => {
      if (!scalarText(item).includes('=')) run.fail([...path, i], `invalid value ${scalarText(item)}, expected key=value`);
    });
  }
  return toStringMap(v, path, run);
};

/** `provider.options`: every value becomes a list of strings. */
const toMultiOptions: Transformer = (v, path, run) => {
  if (!isObj(v)) return v;
  const out: Record<string, string[]> = {};
  run.ctx.positions.copyAll(v, out);
  for (const [key, value] of Object.entries(v)) out[key] = (Array.isArray(value) ? value : [value]).map(scalarText);
  return out;
};

/** extra_hosts (compose-go's HostsList): `host=ip` or `host:ip` entries or a mapping → sorted `host=ip`. */
const toHostsList: Transformer = (v, path, run) => {
  if (v === null) return v;
  const hosts = new Map<string, string[]>();
  const add = (host: string, ips: string[]): void => {
    hosts.set(host, [...(hosts.get(host) ?? []), ...ips]);
  };
  if (Array.isArray(v)) {
    v.forEach((item, i) => {
      const text = scalarText(item);
      const sep = text.includes('=') ? '=' : ':';
      const at = text.indexOf(sep);
      if (at === -1) run.fail([...path, i], `invalid additional host, missing IP: ${text}`);
      add(text.slice(0, at), text.slice(at + 1).split(','));
    });
  } else if (isObj(v)) {
    for (const [host, value] of Object.entries(v)) {
      add(host, Array.isArray(value) ? value.map(scalarText) : [value === null || value === undefined ? '' : scalarText(value)]);
    }
  } else {
    return run.fail(path, 'must be a mapping or a list');
  }
  const out: string[] = [];
  for (const [host, ips] of hosts) {
    if (host === '' || /[:=]/.test(host)) run.fail(path, `bad host name '${host}'`);
    for (const ip of ips) out.push(`${host}=${ip.length > 2 && ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip}`);
  }
  return out.sort();
};

// ---- command lines --------------------------------------------------------------

/** command, entrypoint, hook commands: a string is split into words; null stays null (keep the image's). */
const toCommand: Transformer = (v, path, run) => {
  if (v === null || v === undefined) return v;
  if (Array.isArray(v)) return toStringList(v, path, run);
  const line = scalarText(v);
  const split = splitShellWords(line);
  if ('problem' in split) return run.fail(path, `${SHELL_WORDS_ERROR}: ${line}`);
  if (split.ignoredFrom !== undefined) {
    run.warn(path, `"${line.slice(split.ignoredFrom)}" is ignored, as docker compose ignores what follows an unquoted ;, &, |, < or > (use a list, or run it with sh -c)`);
  }
  return split.words;
};

// ---- ports ----------------------------------------------------------------------

function portRange(text: string): [number, number] | undefined {
  const m = /^(\d+)(?:-(\d+))?$/.exec(text);
  if (!m) return undefined;
  const start = Number(m[1]);
  const end = m[2] === undefined ? start : Number(m[2]);
  if (start > 65535 || end > 65535 || end < start) return undefined;
  return [start, end];
}

/** One short port spec → its port configs, as docker/go-connections' ParsePortSpec and compose-go's ParsePortConfig. */
export function parsePortSpec(raw: string): Obj[] | { error: string } {
  // [ip:][hostPort:]containerPort[/proto]; an IPv6 address keeps its colons (all but the last two parts).
  const parts = raw.split(':');
  let ip = '';
  let hostPort = '';
  let containerPart: string;
  if (parts.length === 1) containerPart = parts[0] as string;
  else if (parts.length === 2) [hostPort, containerPart] = parts as [string, string];
  else {
    ip = parts.slice(0, -2).join(':');
    hostPort = parts[parts.length - 2] as string;
    containerPart = parts[parts.length - 1] as string;
  }
  const slash = containerPart.indexOf('/');
  const containerPort = slash === -1 ? containerPart : containerPart.slice(0, slash);
  let proto = slash === -1 ? '' : containerPart.slice(slash + 1);
  if (containerPort === '') return { error: `no port specified: ${raw}<empty>` };
  proto = proto === '' ? 'tcp' : proto.toLowerCase();
  if (!['tcp', 'udp', 'sctp'].includes(proto)) return { error: `invalid proto: ${proto}` };
  if (ip.startsWith('[')) {
    if (!ip.endsWith(']')) return { error: `invalid IP address ${ip}` };
    ip = ip.slice(1, -1);
  }
  if (ip !== '' && isIP(ip) === 0) return { error: `invalid IP address: ${ip}` };
  const container = portRange(containerPort);
  if (!container) return { error: `invalid containerPort: ${containerPort}` };
  let host: [number, number] | undefined;
  if (hostPort !== '') {
    host = portRange(hostPort);
    if (!host) return { error: `invalid hostPort: ${hostPort}` };
    // A host range for one container port is a pool docker picks a free port from.
    if (host[1] - host[0] !== container[1] - container[0] && container[0] !== container[1]) {
      return { error: `invalid ranges specified for container and host Ports: ${containerPort} and ${hostPort}` };
    }
  }
  const count = container[1] - container[0] + 1;
  const entries: Array<{ key: string; port: Obj }> = [];
  for (let i = 0; i < count; i++) {
    const target = container[0] + i;
    const port: Obj = { mode: 'ingress' };
    if (ip !== '') port['host_ip'] = ip;
    port['target'] = target;
    if (host) port['published'] = count === 1 && host[0] !== host[1] ? `${host[0]}-${host[1]}` : String(host[0] + i);
    port['protocol'] = proto;
    entries.push({ key: `${target}/${proto}`, port });
  }
  // compose-go walks the parsed ports in the order of their "port/proto" text.
  entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return entries.map((e) => e.port);
}

/** Long-form port: typed fields, compose-go's defaults (tcp, ingress), published as text. */
function longPort(item: Obj, path: Path, run: Run): Obj {
  const out: Obj = {};
  run.ctx.positions.copyAll(item, out);
  if (item['name'] !== undefined) out['name'] = item['name'];
  out['mode'] = item['mode'] ?? 'ingress';
  if (item['host_ip'] !== undefined && item['host_ip'] !== '') out['host_ip'] = item['host_ip'];
  if (item['target'] === undefined) run.fail(path, 'missing property \'target\'');
  out['target'] = toInt(item['target'], [...path, 'target'], run);
  if (item['published'] !== undefined && item['published'] !== null && item['published'] !== '') out['published'] = scalarText(item['published']);
  out['protocol'] = item['protocol'] ?? 'tcp';
  for (const [key, value] of Object.entries(item)) if (!(key in out) && !PORT_FIELDS.has(key)) out[key] = value;
  return out;
}

const PORT_FIELDS = new Set(['name', 'mode', 'host_ip', 'target', 'published', 'protocol']);

const toPorts: Transformer = (v, path, run) => {
  if (v === null) return v;
  if (!Array.isArray(v)) return run.fail(path, 'must be a list');
  const out: Obj[] = [];
  v.forEach((item, i) => {
    const at = [...path, i];
    if (typeof item === 'number' || typeof item === 'string') {
      const parsed = parsePortSpec(String(item));
      if ('error' in parsed) return run.fail(at, parsed.error);
      for (const port of parsed) {
        run.carry(v, i, out, out.length);
        out.push(port);
      }
    } else if (isObj(item)) {
      run.carry(v, i, out, out.length);
      out.push(longPort(item, at, run));
    } else {
      run.fail(at, `invalid type ${show(item)} for port`);
    }
  });
  return unique(out, portKey, run);
};

function portKey(p: Obj): string {
  return `${scalarText(p['host_ip'] ?? '0.0.0.0')}:${scalarText(p['published'] ?? '')}:${scalarText(p['target'])}/${scalarText(p['protocol'] ?? 'tcp')}`;
}

// ---- volumes ----------------------------------------------------------------------

const PROPAGATIONS = new Set(['rprivate', 'private', 'rshared', 'shared', 'rslave', 'slave']);

/** Go's path.Clean on a mount target. */
function cleanTarget(target: string): string {
  if (target === '') return '';
  const normalized = posixPath.normalize(target);
  return normalized.length > 1 && normalized.endsWith('/') ? normalized.slice(0, -1) : normalized;
}

function isFilePath(source: string): boolean {
  if (source === '') return false;
  if (source[0] === '.' || source[0] === '/' || source[0] === '~') return true;
  if (source.startsWith('\\\\')) return true;
  return /^[A-Za-z]:/.test(source);
}

export class VolumeSpecError {
  constructor(readonly error: string) {}
}

/** `[SOURCE:]TARGET[:OPTIONS]`, as compose-go's format.ParseVolume (`${...}` and Windows drives keep their colons). */
export function parseVolumeSpec(spec: string): Obj | VolumeSpecError {
  if (spec.length === 0) return new VolumeSpecError('invalid empty volume spec');
  if (spec.length <= 2) return { type: 'volume', target: spec };
  let source = '';
  let target = '';
  let readOnly = false;
  let bind: Obj | undefined;
  let volume: Obj | undefined;
  let buffer = '';
  let depth = 0;
  const chars = [...spec];
  const fail = (why: string): VolumeSpecError => new VolumeSpecError(`invalid spec: ${spec}: ${why}`);
  for (let i = 0; i <= chars.length; i++) {
    const c = i === chars.length ? undefined : (chars[i] as string);
    if (c === '$' && chars[i + 1] === '{') {
      depth++;
      buffer += c;
      continue;
    }
    if (c === '}' && depth > 0) {
      depth--;
      buffer += c;
      continue;
    }
    if (c === ':' && [...buffer].length === 1 && /\p{L}/u.test(buffer)) {
      buffer += c; // a Windows drive letter
      continue;
    }
    if ((c === ':' || c === undefined) && depth === 0) {
      if (buffer === '') return fail('empty section between colons');
      if (source === '' && c === undefined) target = buffer;
      else if (source === '') source = buffer;
      else if (target === '') target = buffer;
      else if (c === ':') return fail('too many colons');
      else {
        for (const option of buffer.split(',')) {
          if (option === 'ro') readOnly = true;
          else if (option === 'rw') readOnly = false;
          else if (option === 'nocopy') volume = { nocopy: true };
          else if (option === 'z' || option === 'Z') bind = { ...bind, selinux: option };
          else if (PROPAGATIONS.has(option)) bind = { ...bind, propagation: option };
          // compose-go ignores other options (cached, delegated, ...).
        }
      }
      buffer = '';
      continue;
    }
    buffer += c;
  }
  const out: Obj = {};
  if (isFilePath(source)) {
    out['type'] = 'bind';
    bind = { ...bind, create_host_path: true };
  } else {
    out['type'] = 'volume';
    volume ??= {};
  }
  if (source !== '') out['source'] = source;
  out['target'] = target;
  if (readOnly) out['read_only'] = true;
  if (bind) out['bind'] = bind;
  if (volume) out['volume'] = volume;
  return out;
}

const toVolumeMount: Transformer = (v, path, run) => {
  if (typeof v === 'string') {
    const parsed = parseVolumeSpec(v);
    if (parsed instanceof VolumeSpecError) return run.fail(path, parsed.error);
    parsed['target'] = cleanTarget(String(parsed['target']));
    return parsed;
  }
  if (!isObj(v)) return run.fail(path, `invalid type ${show(v)} for service volume mount`);
  const out = run.descend(v, path) as Obj;
  if (typeof out['target'] !== 'string' || out['target'] === '') {
    return run.fail(path, `service volume ${formatKeyPath(path)} is missing a mount target`);
  }
  out['target'] = cleanTarget(out['target']);
  if (out['read_only'] === undefined) delete out['read_only'];
  return out;
};

/** `bind:` as given: create_host_path defaults to true (compose-go's defaultVolumeBind). */
const toVolumeBind: Transformer = (v, path, run) => {
  const out = run.mapping(v, path);
  out['create_host_path'] ??= true;
  return out;
};

const toVolumes: Transformer = (v, path, run) => {
  if (v === null) return v;
  if (!Array.isArray(v)) return run.fail(path, 'must be a list');
  const out = run.descend(v, path) as Obj[];
  return unique(out, (m) => scalarText(m['target']), run);
};

// ---- services: the rest ---------------------------------------------------------

/** A list: later entries with the same key replace earlier ones in place (compose-go's EnforceUnicity). */
function unique(list: Obj[], key: (item: Obj) => string, run: Run): Obj[] {
  const seen = new Map<string, number>();
  const out: Obj[] = [];
  list.forEach((item, i) => {
    const k = key(item);
    const at = seen.get(k);
    if (at === undefined) {
      seen.set(k, out.length);
      run.carry(list, i, out, out.length);
      out.push(item);
    } else {
      out[at] = item;
    }
  });
  return out;
}

const toDependsOn: Transformer = (v, path, run) => {
  const out: Obj = {};
  if (Array.isArray(v)) {
    v.forEach((name, i) => {
      const key = scalarText(name);
      out[key] = { condition: 'service_started', required: true };
      run.carry(v, i, out, key);
    });
    return out;
  }
  if (!isObj(v)) return run.fail(path, `invalid type ${show(v)} for depends_on`);
  run.ctx.positions.copyAll(v, out);
  for (const [name, spec] of Object.entries(v)) {
    const at = [...path, name];
    if (spec !== null && !isObj(spec)) run.fail(at, `unsupported value ${show(spec)}`);
    const dep = run.mapping(spec, at);
    dep['condition'] ??= 'service_started';
    dep['required'] = dep['required'] === undefined ? true : toBool(dep['required'], [...at, 'required'], run);
    if (dep['restart'] !== undefined) {
      const restart = toFlag(dep['restart'], [...at, 'restart'], run);
      if (restart === undefined) delete dep['restart'];
      else dep['restart'] = restart;
    }
    out[name] = dep;
  }
  return out;
};

const toEnvFiles: Transformer = (v, path, run) => {
  if (v === null) return v;
  const items = Array.isArray(v) ? v : [v];
  const out = items.map((item, i) => {
    const at = Array.isArray(v) ? [...path, i] : path;
    if (typeof item === 'string') return { path: item, required: true };
    if (!isObj(item)) return run.fail(at, `invalid type ${show(item)} for env_file`);
    const entry = run.descend(item, at) as Obj;
    entry['required'] = entry['required'] === undefined ? true : toBool(entry['required'], [...at, 'required'], run);
    return entry;
  });
  if (Array.isArray(v)) run.ctx.positions.copyAll(v, out);
  return unique(out, (e) => scalarText(e['path']), run);
};

const toHealthcheck: Transformer = (v, path, run) => {
  const out = run.mapping(v, path);
  if (typeof out['test'] === 'string') out['test'] = ['CMD-SHELL', out['test']];
  else if (Array.isArray(out['test'])) out['test'] = out['test'].map(scalarText);
  // `disable: true` and `test: ["NONE"]` say the same; the canonical form says both.
  const testIsNone = Array.isArray(out['test']) && out['test'][0] === 'NONE';
  if (out['disable'] === true || testIsNone) {
    out['disable'] = true;
    out['test'] = ['NONE'];
  } else {
    delete out['disable'];
  }
  return out;
};

const toBuild: Transformer = (v, path, run) => {
  const out = typeof v === 'string' ? { context: v } : run.mapping(v, path);
  out['context'] ??= '.';
  if (out['dockerfile'] === undefined && out['dockerfile_inline'] === undefined) out['dockerfile'] = 'Dockerfile';
  return out;
};

/** `build.ssh`: `default`, `id=path` entries or a mapping → `default` / `id=path` strings. */
const toSsh: Transformer = (v, path, run) => {
  if (v === null) return v;
  const out: string[] = [];
  if (isObj(v)) {
    for (const [id, key] of Object.entries(v)) out.push(key === null || key === undefined || key === '' ? id : `${id}=${scalarText(key)}`);
    return out;
  }
  (Array.isArray(v) ? v : [v]).forEach((item, i) => {
    const text = scalarText(item);
    if (!text.includes('=') && text !== 'default') run.fail([...path, i], `invalid ssh key "${text}"`);
    out.push(text);
  });
  return out;
};

/** A secret or config reference (also build secrets): `name` → `{source}`; uid/gid as text, mode as a number. */
const toFileReference: Transformer = (v, path, run) => {
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
function fileReferences(defaultDir: string | undefined): Transformer {
  return (v, path, run) => {
    if (v === null) return v;
    if (!Array.isArray(v)) return run.fail(path, 'must be a list');
    const refs = run.descend(v, path) as Obj[];
    if (defaultDir === undefined) return refs;
    return unique(refs, (ref) => (typeof ref['target'] === 'string' ? ref['target'] : `${defaultDir}/${scalarText(ref['source'])}`), run);
  };
}

/** `devices` lists: one mapping per container path. */
const toDeviceMappings: Transformer = (v, path, run) => {
  if (v === null) return v;
  if (!Array.isArray(v)) return run.fail(path, 'must be a list');
  return unique(run.descend(v, path) as Obj[], (d) => scalarText(d['target'] ?? d['source']), run);
};

/** `nofile: 1024` → `{soft: 1024, hard: 1024}`. */
const toUlimit: Transformer = (v, path, run) => {
  if (isObj(v)) {
    const out = run.descend(v, path) as Obj;
    out['soft'] = toInt(v['soft'] ?? 0, [...path, 'soft'], run);
    out['hard'] = toInt(v['hard'] ?? 0, [...path, 'hard'], run);
    return out;
  }
  const limit = toInt(v, path, run);
  return { soft: limit, hard: limit };
};

/** `source[:target[:permissions]]` → `{source, target, permissions}`. */
const toDeviceMapping: Transformer = (v, path, run) => {
  if (isObj(v)) return run.descend(v, path);
  if (typeof v !== 'string') return run.fail(path, `invalid type ${show(v)} for device`);
  const parts = v.split(':');
  if (parts.length > 3) return run.fail(path, `confusing device mapping, please use long syntax: ${v}`);
  const source = parts[0] as string;
  const target = parts[1] === undefined || parts[1] === '' ? source : parts[1];
  return { source, target, permissions: parts[2] ?? 'rwm' };
};

/** Device requests (deploy devices, gpus): count `all` is -1, compose-go's DeviceCount; none given means all. */
const toDeviceRequest: Transformer = (v, path, run) => {
  const out = run.mapping(v, path);
  if (out['count'] === undefined && out['device_ids'] === undefined) out['count'] = -1;
  else if (out['count'] !== undefined) {
    const count = out['count'];
    if (typeof count === 'string' && count.toLowerCase() === 'all') out['count'] = -1;
    else if (typeof count === 'number' && Number.isInteger(count)) out['count'] = count;
    else if (typeof count === 'string' && /^[-+]?\d+$/.test(count)) out['count'] = Number(count);
    else run.fail([...path, 'count'], `invalid value ${show(count)}, the only value allowed is 'all' or a number`);
  }
  return out;
};

const toGpus: Transformer = (v, path, run) => {
  if (typeof v === 'string') return [{ count: -1 }];
  if (!Array.isArray(v)) return run.fail(path, `invalid type ${show(v)} for gpus`);
  return run.descend(v, path);
};

/** `[a, b]` → `{a: null, b: null}` (service networks and models). */
const toNameMap: Transformer = (v, path, run) => {
  if (Array.isArray(v)) {
    const out: Obj = {};
    v.forEach((name, i) => {
      out[scalarText(name)] = null;
      run.carry(v, i, out, scalarText(name));
    });
    return out;
  }
  if (v === null) return v;
  return run.descend(v, path);
};

/** A service network entry: null stays null (join with the defaults). */
const toServiceNetwork: Transformer = (v, path, run) => (v === null ? null : run.mapping(v, path));

const toExtends: Transformer = (v, path, run) => (typeof v === 'string' ? { service: v } : run.mapping(v, path));

const toLogging: Transformer = (v, path, run) => run.mapping(v, path);

// ---- top-level resources ---------------------------------------------------------

/** networks/volumes/secrets/configs entries: null → {}, deprecated `external: {name}` → `name` + `external: true`. */
const toResource: Transformer = (v, path, run) => {
  const out = run.mapping(v, path);
  const external = isObj(v) ? v['external'] : undefined;
  if (isObj(external)) {
    out['external'] = true;
    if (external['name'] !== undefined) {
      run.warn(path, 'external.name is deprecated. Please set name and external: true');
      if (out['name'] !== undefined && out['name'] !== external['name']) run.fail(path, 'name and external.name conflict; only use name');
      out['name'] ??= external['name'];
    }
  } else if (external !== undefined) {
    if (toBool(external, [...path, 'external'], run)) out['external'] = true;
    else delete out['external'];
  }
  return out;
};

const toIncludeEntry: Transformer = (v, path, run) => (typeof v === 'string' ? { path: v } : run.descend(v, path));

// ---- the service as a whole ---------------------------------------------------------

/**
 * A service: its keys through the table, then what needs several keys:
 * env_file under environment, label_file under labels, and `cpus`/`mem_limit`/
 * `mem_reservation`/`pids_limit` against `deploy.resources`.
 */
const toService: Transformer = (v, path, run) => {
  const service = run.mapping(v, path);
  mergeEnvironment(service, path, run);
  mergeLabelFiles(service, path, run);
  checkResourceAgreement(service, path, run);
  return service;
};

/** env_file values (later files win) under the service's own `environment`; pass-through entries resolved. */
function mergeEnvironment(service: Obj, path: Path, run: Run): void {
  const declared = (service['environment'] ?? {}) as Record<string, string | null>;
  const own = resolveEquals(declared, run.lookup, run);
  const files = Array.isArray(service['env_file']) ? (service['env_file'] as Obj[]) : [];
  if (files.length === 0) {
    if (service['environment'] === null) delete service['environment'];
    else if (service['environment'] !== undefined) service['environment'] = own;
    return;
  }
  const fromFiles = new Map<string, string>();
  // compose-go resolves ${VAR} in env files from the project environment, then the service's own values, then earlier files.
  const lookup: VariableLookup = (name) => run.lookup(name) ?? own[name] ?? fromFiles.get(name);
  files.forEach((file, i) => {
    const at = [...path, 'env_file', i];
    const filePath = String(file['path']);
    if (!run.ctx.reader.exists(filePath)) {
      if (file['required'] === false) return;
      run.fail(at, `env file ${filePath} not found`, 'TSC_ENV_FILE_NOT_FOUND');
    }
    const format = file['format'] === undefined || file['format'] === null ? '' : scalarText(file['format']);
    if (format !== '' && format !== 'raw') run.fail([...at, 'format'], `unsupported env_file format "${format}"`);
    const text = run.ctx.reader.readText(filePath);
    const vars = format === 'raw' ? parseRawEnvFile(text, filePath) : parseDotenv(text, filePath, lookup);
    for (const [key, value] of vars) fromFiles.set(key, value);
  });
  const merged: Record<string, string> = {};
  for (const [key, value] of fromFiles) merged[key] = value;
  for (const key of Object.keys(declared)) {
    // A pass-through entry left unset still hides the env_file value (compose-go overrides it with null).
    if (own[key] === undefined) delete merged[key];
  }
  Object.assign(merged, own);
  run.ctx.positions.copyAll(own, merged);
  // Like compose-go's omitempty: no environment key for an empty result nobody wrote.
  if (Object.keys(merged).length === 0 && service['environment'] === undefined) return;
  service['environment'] = merged;
}

/** label_file values (later files win) under the service's own labels, as compose-go's WithServicesLabelsResolved. */
function mergeLabelFiles(service: Obj, path: Path, run: Run): void {
  const files = Array.isArray(service['label_file']) ? (service['label_file'] as unknown[]) : [];
  if (files.length === 0) return;
  const fromFiles = new Map<string, string>();
  files.forEach((file, i) => {
    const filePath = scalarText(file);
    if (!run.ctx.reader.exists(filePath)) run.fail([...path, 'label_file', i], `label file ${filePath} not found`, 'TSC_LABEL_FILE_NOT_FOUND');
    const vars = parseDotenv(run.ctx.reader.readText(filePath), filePath, (name) => fromFiles.get(name));
    for (const [key, value] of vars) fromFiles.set(key, value);
  });
  const own = (service['labels'] ?? {}) as Record<string, string>;
  const merged: Record<string, string> = Object.fromEntries(fromFiles);
  Object.assign(merged, own);
  run.ctx.positions.copyAll(own, merged);
  service['labels'] = merged;
}

/** compose-go refuses a service-level limit that disagrees with the same limit under deploy.resources. */
function checkResourceAgreement(service: Obj, path: Path, run: Run): void {
  const resources = isObj(service['deploy']) && isObj(service['deploy']['resources']) ? service['deploy']['resources'] : undefined;
  if (!resources) return;
  const pairs: Array<[string, string, string]> = [
    ['cpus', 'limits', 'cpus'],
    ['mem_limit', 'limits', 'memory'],
    ['mem_reservation', 'reservations', 'memory'],
    ['pids_limit', 'limits', 'pids'],
  ];
  for (const [key, section, field] of pairs) {
    const own = service[key];
    const block = resources[section];
    const other = isObj(block) ? block[field] : undefined;
    if (own === undefined || own === null || other === undefined || other === null || own === other) continue;
    const deployPath = `deploy.resources.${section}.${field}`;
    run.fail(
      [...path, key],
      `can't set distinct values on '${key}' and '${deployPath}': ${key} ${scalarText(own)} conflicts with ${deployPath} ${scalarText(other)}`,
    );
  }
}

// ---- the rules (compose-go's transformers map, plus the type casts) -----------

const S = 'services.*';

function buildRules(): Rule[] {
  const rules: Rule[] = [];
  const rule = (patterns: string | string[], transformer: Transformer): void => {
    for (const pattern of Array.isArray(patterns) ? patterns : [patterns]) rules.push({ pattern, segments: pattern.split('.'), transformer });
  };

  rule(S, toService);

  // Types compose-go casts after interpolation (loader/interpolate.go) and decodes (types/).
  rule(
    [
      'cpu_count',
      'cpu_period',
      'cpu_quota',
      'cpu_rt_period',
      'cpu_rt_runtime',
      'cpu_shares',
      'oom_score_adj',
      'pids_limit',
      'scale',
      'mem_swappiness',
      'blkio_config.weight',
      'blkio_config.weight_device.*.weight',
      'healthcheck.retries',
      'deploy.replicas',
      'deploy.update_config.parallelism',
      'deploy.rollback_config.parallelism',
      'deploy.restart_policy.max_attempts',
      'deploy.placement.max_replicas_per_node',
      'deploy.resources.limits.pids',
      'deploy.resources.reservations.pids',
      'deploy.resources.limits.generic_resources.*.discrete_resource_spec.value',
      'deploy.resources.reservations.generic_resources.*.discrete_resource_spec.value',
      'networks.*.priority',
      'networks.*.gw_priority',
      'volumes.*.tmpfs.mode',
    ].map((p) => `${S}.${p}`),
    toInt,
  );
  rule(
    [
      'cpus',
      'cpu_percent',
      'deploy.resources.limits.cpus',
      'deploy.resources.reservations.cpus',
      'deploy.update_config.max_failure_ratio',
      'deploy.rollback_config.max_failure_ratio',
    ].map((p) => `${S}.${p}`),
    toFloat,
  );
  // Pointer booleans in compose-go: false is kept.
  rule(['init', 'attach'].map((p) => `${S}.${p}`), toBool);
  // Plain booleans in compose-go: false is dropped, as docker compose config prints them.
  rule(
    [
      'privileged',
      'read_only',
      'stdin_open',
      'tty',
      'oom_kill_disable',
      'use_api_socket',
      'volumes.*.read_only',
      'volumes.*.volume.nocopy',
      'healthcheck.disable',
      'build.no_cache',
      'build.pull',
      'build.privileged',
      'develop.watch.*.initial_sync',
      'develop.watch.*.exec.privileged',
      'post_start.*.privileged',
      'pre_stop.*.privileged',
      'pre_start.*.privileged',
      'post_start.*.per_replica',
      'pre_stop.*.per_replica',
      'pre_start.*.per_replica',
    ].map((p) => `${S}.${p}`),
    toFlag,
  );
  rule(`${S}.volumes.*.bind.create_host_path`, toBool);
  rule(
    [
      'mem_limit',
      'mem_reservation',
      'memswap_limit',
      'shm_size',
      'build.shm_size',
      'deploy.resources.limits.memory',
      'deploy.resources.reservations.memory',
      'volumes.*.tmpfs.size',
      'blkio_config.device_read_bps.*.rate',
      'blkio_config.device_read_iops.*.rate',
      'blkio_config.device_write_bps.*.rate',
      'blkio_config.device_write_iops.*.rate',
    ].map((p) => `${S}.${p}`),
    toBytes,
  );
  rule(
    [
      'stop_grace_period',
      'healthcheck.interval',
      'healthcheck.timeout',
      'healthcheck.start_period',
      'healthcheck.start_interval',
      'deploy.restart_policy.delay',
      'deploy.restart_policy.window',
      'deploy.update_config.delay',
      'deploy.update_config.monitor',
      'deploy.rollback_config.delay',
      'deploy.rollback_config.monitor',
    ].map((p) => `${S}.${p}`),
    toDuration,
  );

  // Short syntax → long syntax.
  rule(`${S}.ports`, toPorts);
  rule(`${S}.volumes`, toVolumes);
  rule(`${S}.volumes.*`, toVolumeMount);
  rule(`${S}.volumes.*.bind`, toVolumeBind);
  rule(`${S}.volumes.*.volume.labels`, toStringMap);
  rule(`${S}.depends_on`, toDependsOn);
  rule(`${S}.environment`, toEnvironment);
  rule(`${S}.env_file`, toEnvFiles);
  rule([`${S}.label_file`, `${S}.dns_search`, `${S}.tmpfs`, `${S}.expose`, `${S}.group_add`], toStringList);
  rule(`${S}.dns`, toDnsList);
  rule([`${S}.labels`, `${S}.annotations`, `${S}.sysctls`, `${S}.storage_opt`, `${S}.deploy.labels`, `${S}.logging.options`], toStringMap);
  rule(`${S}.networks.*.driver_opts`, toStringMap);
  rule(`${S}.logging`, toLogging);
  rule([`${S}.extra_hosts`, `${S}.build.extra_hosts`], toHostsList);
  rule([`${S}.command`, `${S}.entrypoint`], toCommand);
  rule([`${S}.post_start.*.command`, `${S}.pre_stop.*.command`, `${S}.pre_start.*.command`, `${S}.develop.watch.*.exec.command`], toCommand);
  rule(
    [`${S}.post_start.*.environment`, `${S}.pre_stop.*.environment`, `${S}.pre_start.*.environment`, `${S}.develop.watch.*.exec.environment`],
    toResolvedEnvironment,
  );
  rule([`${S}.develop.watch.*.ignore`, `${S}.develop.watch.*.include`], toStringList);
  rule(`${S}.healthcheck`, toHealthcheck);
  rule(`${S}.build`, toBuild);
  rule(`${S}.build.args`, toResolvedEnvironment);
  rule(`${S}.build.labels`, toStringMap);
  rule(`${S}.build.additional_contexts`, toKeyValueStrict);
  rule(`${S}.build.ssh`, toSsh);
  rule([`${S}.build.provenance`, `${S}.build.sbom`], toText);
  rule([`${S}.build.cache_from`, `${S}.build.cache_to`, `${S}.build.tags`, `${S}.build.platforms`, `${S}.build.entitlements`], toStringList);
  rule(`${S}.secrets`, fileReferences('/run/secrets'));
  rule(`${S}.configs`, fileReferences(''));
  rule(`${S}.build.secrets`, fileReferences(undefined));
  rule(`${S}.devices`, toDeviceMappings);
  rule([`${S}.secrets.*`, `${S}.configs.*`, `${S}.build.secrets.*`], toFileReference);
  rule([`${S}.ulimits.*`, `${S}.build.ulimits.*`], toUlimit);
  rule(`${S}.devices.*`, toDeviceMapping);
  rule([`${S}.deploy.resources.limits.devices.*`, `${S}.deploy.resources.reservations.devices.*`, `${S}.gpus.*`], toDeviceRequest);
  rule(`${S}.gpus`, toGpus);
  rule([`${S}.networks`, `${S}.models`], toNameMap);
  rule(`${S}.networks.*`, toServiceNetwork);
  rule(`${S}.extends`, toExtends);
  rule(`${S}.provider.options`, toMultiOptions);

  // Top-level resources.
  rule(['networks.*', 'volumes.*', 'secrets.*', 'configs.*'], toResource);
  rule(
    ['networks.*.labels', 'volumes.*.labels', 'secrets.*.labels', 'configs.*.labels', 'networks.*.driver_opts', 'volumes.*.driver_opts'],
    toStringMap,
  );
  rule(['secrets.*.driver_opts', 'configs.*.driver_opts', 'networks.*.ipam.options', 'networks.*.ipam.config.*.aux_addresses'], toStringMap);
  rule(['networks.*.internal', 'networks.*.attachable'], toFlag);
  rule(['networks.*.enable_ipv4', 'networks.*.enable_ipv6'], toBool);
  rule('models.*.context_size', toInt);
  rule('models.*.runtime_flags', toStringList);
  rule('include.*', toIncludeEntry);

  return rules;
}

const RULES: readonly Rule[] = Object.freeze(buildRules());
