/**
 * Phase 8: short syntax to long syntax, the shape `docker compose config`
 * prints. A table keyed by key path (compose-go's transform/canonical.go),
 * one small function per key. The input was validated by the file schema,
 * so each function can rely on the forms the specification allows.
 */
import { ComposeFileError } from '../../errors/index.js';
import type { ComposeTree, LoadContext, VariableLookup } from '../context.js';
import type { PathSegment } from '../positions.js';
import { formatKeyPath } from '../positions.js';
import { parseDotenv, parseRawEnvFile } from '../dotenv.js';
import { parseDuration, formatDuration } from '../../util/duration.js';
import { parseBytes } from '../../util/bytes.js';
import { splitShellWords } from '../../util/shell-words.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

interface Transform {
  ctx: LoadContext;
  lookup: VariableLookup;
  root: ComposeTree;
  /** The key path of the value being transformed. */
  path: PathSegment[];
}

function fail(t: Transform, message: string, path: PathSegment[] = t.path): never {
  const keyPath = formatKeyPath(path);
  throw new ComposeFileError('TSC_SPEC_INVALID', `${keyPath} ${message}`, {
    location: t.ctx.positions.locate(t.root, path),
    keyPath,
    service: path[0] === 'services' ? String(path[1]) : undefined,
  });
}

// ---- scalars --------------------------------------------------------------

function toInt(t: Transform, v: unknown): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^[-+]?\d+$/.test(v.trim())) return Number(v.trim());
  return fail(t, `must be an integer, got ${JSON.stringify(v)}`);
}

function toNumber(t: Transform, v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return fail(t, `must be a number, got ${JSON.stringify(v)}`);
}

function toBool(t: Transform, v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (['true', 'yes', 'y', 'on', '1'].includes(s)) return true;
    if (['false', 'no', 'n', 'off', '0', ''].includes(s)) return false;
  }
  return fail(t, `must be a boolean, got ${JSON.stringify(v)}`);
}

function toDuration(t: Transform, v: unknown): string {
  const ms = typeof v === 'number' || typeof v === 'string' ? parseDuration(v) : undefined;
  if (ms === undefined) return fail(t, `invalid duration ${JSON.stringify(v)}: expected a duration like 1m30s`);
  return formatDuration(ms);
}

function toBytes(t: Transform, v: unknown): number {
  const n = typeof v === 'number' || typeof v === 'string' ? parseBytes(v) : undefined;
  if (n === undefined) return fail(t, `invalid size ${JSON.stringify(v)}: expected bytes like 512m or 1g`);
  return n;
}

function stringify(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

// ---- lists and maps -------------------------------------------------------

/** `K=V` list or map → map of strings; `K` / `K: null` → null (resolved by the caller). */
function keyValueMap(v: unknown, separator = '='): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  if (Array.isArray(v)) {
    for (const item of v) {
      const s = String(item);
      const i = s.indexOf(separator);
      if (i === -1) out[s] = null;
      else out[s.slice(0, i)] = s.slice(i + 1);
    }
  } else if (isObj(v)) {
    for (const [k, val] of Object.entries(v)) out[k] = stringify(val);
  }
  return out;
}

function labelsMap(_t: Transform, v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(keyValueMap(v))) out[k] = val ?? '';
  return out;
}

function stringList(v: unknown): string[] {
  if (v === null || v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map((x) => String(x));
}

function command(t: Transform, v: unknown): string[] | null {
  if (v === null) return null;
  if (Array.isArray(v)) return v.map((x) => String(x));
  try {
    return splitShellWords(String(v));
  } catch (err) {
    return fail(t, (err as Error).message);
  }
}

// ---- ports ----------------------------------------------------------------

interface PortConfig {
  name?: string;
  mode: string;
  host_ip?: string;
  target: number;
  published?: string;
  protocol: string;
  app_protocol?: string;
}

function range(t: Transform, text: string): [number, number] {
  const m = /^(\d+)(?:-(\d+))?$/.exec(text);
  if (!m) return fail(t, `invalid port "${text}"`);
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  if (lo > 65535 || hi > 65535 || hi < lo) return fail(t, `invalid port range "${text}"`);
  return [lo, hi];
}

function shortPort(t: Transform, spec: string): PortConfig[] {
  let rest = spec.trim();
  let protocol = 'tcp';
  const slash = rest.lastIndexOf('/');
  if (slash !== -1) {
    protocol = rest.slice(slash + 1).toLowerCase();
    rest = rest.slice(0, slash);
    if (!['tcp', 'udp', 'sctp'].includes(protocol)) fail(t, `invalid protocol "${protocol}" in port "${spec}"`);
  }
  let hostIp: string | undefined;
  let published: string | undefined;
  let target: string;
  const bracket = /^\[([0-9a-fA-F:.]+)\]:(.*)$/.exec(rest);
  if (bracket) {
    hostIp = bracket[1];
    const parts = (bracket[2] as string).split(':');
    if (parts.length !== 2) return fail(t, `invalid port "${spec}"`);
    published = parts[0];
    target = parts[1] as string;
  } else {
    const parts = rest.split(':');
    if (parts.length === 1) target = parts[0] as string;
    else if (parts.length === 2) [published, target] = parts as [string, string];
    else if (parts.length === 3) [hostIp, published, target] = parts as [string, string, string];
    else return fail(t, `invalid port "${spec}": expected [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL]`);
  }
  if (!/^\d+(-\d+)?$/.test(target)) return fail(t, `invalid containerPort: ${target}`);
  const [tlo, thi] = range(t, target);
  let plo: number | undefined;
  let phi: number | undefined;
  if (published !== undefined && published !== '') {
    if (!/^\d+(-\d+)?$/.test(published)) return fail(t, `invalid hostPort: ${published}`);
    [plo, phi] = range(t, published);
  }
  const count = thi - tlo + 1;
  const out: PortConfig[] = [];
  const base = (p: Partial<PortConfig>): PortConfig => {
    const port: PortConfig = { mode: 'ingress', target: 0, protocol };
    if (hostIp) port.host_ip = hostIp;
    return { ...port, ...p };
  };
  if (plo !== undefined && phi !== undefined && phi - plo + 1 !== count) {
    if (count === 1) {
      // One container port, a host range: docker publishes the range to it (any free one); compose keeps the range.
      out.push(base({ target: tlo, published: `${plo}-${phi}` }));
      return out;
    }
    return fail(t, `port ranges don't match: ${published} and ${target}`);
  }
  for (let i = 0; i < count; i++) {
    const p = base({ target: tlo + i });
    if (plo !== undefined) p.published = String(plo + i);
    out.push(orderPort(p));
  }
  return out;
}

function orderPort(p: PortConfig): PortConfig {
  const out: Partial<PortConfig> = {};
  if (p.name !== undefined) out.name = p.name;
  out.mode = p.mode;
  if (p.host_ip !== undefined) out.host_ip = p.host_ip;
  out.target = p.target;
  if (p.published !== undefined) out.published = p.published;
  out.protocol = p.protocol;
  if (p.app_protocol !== undefined) out.app_protocol = p.app_protocol;
  return out as PortConfig;
}

function ports(t: Transform, v: unknown): PortConfig[] {
  const out: PortConfig[] = [];
  (v as unknown[]).forEach((item, i) => {
    const sub: Transform = { ...t, path: [...t.path, i] };
    if (typeof item === 'number') out.push(...shortPort(sub, String(item)));
    else if (typeof item === 'string') out.push(...shortPort(sub, item));
    else if (isObj(item)) {
      const p: PortConfig = {
        mode: typeof item['mode'] === 'string' ? item['mode'] : 'ingress',
        target: toInt({ ...sub, path: [...sub.path, 'target'] }, item['target']),
        protocol: typeof item['protocol'] === 'string' ? item['protocol'].toLowerCase() : 'tcp',
      };
      if (typeof item['name'] === 'string') p.name = item['name'];
      if (typeof item['host_ip'] === 'string') p.host_ip = item['host_ip'];
      if (item['published'] !== undefined && item['published'] !== null && item['published'] !== '') p.published = String(item['published']);
      if (typeof item['app_protocol'] === 'string') p.app_protocol = item['app_protocol'];
      out.push(orderPort(p));
    }
  });
  return out;
}

// ---- volumes --------------------------------------------------------------

const PROPAGATIONS = ['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave'];

function shortVolume(t: Transform, spec: string): Obj {
  const parts = spec.split(':');
  if (parts.length === 1) return { type: 'volume', target: spec, volume: {} };
  if (parts.length > 3) return fail(t, `invalid volume specification "${spec}"`);
  const [source, target, modeText] = parts as [string, string, string?];
  if (target === '') return fail(t, `invalid volume specification "${spec}": empty target`);
  const isPath = source.startsWith('/') || source.startsWith('.') || source.startsWith('~');
  const out: Obj = { type: isPath ? 'bind' : 'volume', source, target };
  const modes = modeText ? modeText.split(',') : [];
  const bind: Obj = {};
  const volume: Obj = {};
  for (const mode of modes) {
    if (mode === 'ro') out['read_only'] = true;
    else if (mode === 'rw') out['read_only'] = false;
    else if (mode === 'nocopy') volume['nocopy'] = true;
    else if (mode === 'z' || mode === 'Z') bind['selinux'] = mode;
    else if (PROPAGATIONS.includes(mode)) bind['propagation'] = mode;
    else if (mode === 'cached' || mode === 'delegated' || mode === 'consistent') out['consistency'] = mode;
    else return fail(t, `invalid volume mode "${mode}" in "${spec}"`);
  }
  if (out['read_only'] === false) delete out['read_only'];
  if (isPath) out['bind'] = { create_host_path: true, ...bind };
  else out['volume'] = volume;
  return out;
}

function volumes(t: Transform, v: unknown): Obj[] {
  return (v as unknown[]).map((item, i) => {
    const sub: Transform = { ...t, path: [...t.path, i] };
    if (typeof item === 'string') return shortVolume(sub, item);
    const vol = { ...(item as Obj) };
    if (typeof vol['target'] !== 'string' || vol['target'] === '') return fail(sub, "missing property 'target'");
    if (vol['read_only'] !== undefined) vol['read_only'] = toBool({ ...sub, path: [...sub.path, 'read_only'] }, vol['read_only']);
    if (vol['read_only'] === false) delete vol['read_only'];
    if (vol['type'] === 'bind' && isObj(vol['bind']) && vol['bind']['create_host_path'] !== undefined) {
      vol['bind'] = { ...vol['bind'], create_host_path: toBool(sub, vol['bind']['create_host_path']) };
    }
    if (isObj(vol['tmpfs'])) {
      const tmpfs = { ...vol['tmpfs'] };
      if (tmpfs['size'] !== undefined) tmpfs['size'] = toBytes({ ...sub, path: [...sub.path, 'tmpfs', 'size'] }, tmpfs['size']);
      if (tmpfs['mode'] !== undefined) tmpfs['mode'] = toInt(sub, tmpfs['mode']);
      vol['tmpfs'] = tmpfs;
    }
    if (vol['type'] === 'volume' && vol['volume'] === undefined) vol['volume'] = {};
    return vol;
  });
}

// ---- the rest of the service ----------------------------------------------

function dependsOn(t: Transform, v: unknown): Obj {
  const out: Obj = {};
  if (Array.isArray(v)) {
    for (const name of v) out[String(name)] = { condition: 'service_started', required: true };
    return out;
  }
  for (const [name, spec] of Object.entries(v as Obj)) {
    const s = isObj(spec) ? spec : {};
    const dep: Obj = { condition: typeof s['condition'] === 'string' ? s['condition'] : 'service_started' };
    dep['required'] = s['required'] === undefined ? true : toBool({ ...t, path: [...t.path, name, 'required'] }, s['required']);
    if (s['restart'] !== undefined && toBool(t, s['restart'])) dep['restart'] = true;
    out[name] = dep;
  }
  return out;
}

function healthcheck(t: Transform, v: unknown): Obj {
  const hc = { ...(v as Obj) };
  if (typeof hc['test'] === 'string') hc['test'] = ['CMD-SHELL', hc['test']];
  for (const key of ['interval', 'timeout', 'start_period', 'start_interval']) {
    if (hc[key] !== undefined && hc[key] !== null) hc[key] = toDuration({ ...t, path: [...t.path, key] }, hc[key]);
  }
  if (hc['retries'] !== undefined && hc['retries'] !== null) hc['retries'] = toInt({ ...t, path: [...t.path, 'retries'] }, hc['retries']);
  if (hc['disable'] !== undefined) hc['disable'] = toBool(t, hc['disable']);
  if (Array.isArray(hc['test']) && hc['test'][0] === 'NONE') hc['disable'] = true;
  if (hc['disable'] === false) delete hc['disable'];
  return hc;
}

function build(t: Transform, v: unknown): Obj {
  const b: Obj = typeof v === 'string' ? { context: v } : { ...(v as Obj) };
  if (b['context'] === undefined) b['context'] = '.';
  if (b['dockerfile'] === undefined && b['dockerfile_inline'] === undefined) b['dockerfile'] = 'Dockerfile';
  for (const key of ['args', 'labels']) if (b[key] !== undefined) b[key] = key === 'labels' ? labelsMap(t, b[key]) : resolveEnv(t, b[key]);
  if (b['additional_contexts'] !== undefined) b['additional_contexts'] = labelsMap(t, b['additional_contexts']);
  if (b['shm_size'] !== undefined) b['shm_size'] = toBytes({ ...t, path: [...t.path, 'shm_size'] }, b['shm_size']);
  if (b['extra_hosts'] !== undefined) b['extra_hosts'] = extraHosts(t, b['extra_hosts']);
  for (const key of ['no_cache', 'privileged']) if (b[key] !== undefined) b[key] = toBool(t, b[key]);
  if (b['secrets'] !== undefined) b['secrets'] = fileRefs(b['secrets']);
  return b;
}

/** Values left null (`KEY` alone) come from the environment, or disappear when unset. */
function resolveEnv(t: Transform, v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(keyValueMap(v))) {
    if (val !== null) out[k] = val;
    else {
      const fromEnv = t.lookup(k);
      if (fromEnv !== undefined) out[k] = fromEnv;
    }
  }
  return out;
}

function envFiles(t: Transform, v: unknown): Obj[] {
  return stringOrObjects(v).map((item) => {
    if (typeof item === 'string') return { path: item, required: true };
    const o: Obj = { path: item['path'], required: item['required'] === undefined ? true : toBool(t, item['required']) };
    if (item['format'] !== undefined) o['format'] = item['format'];
    return o;
  });
}

function stringOrObjects(v: unknown): Array<string | Obj> {
  if (typeof v === 'string') return [v];
  return Array.isArray(v) ? (v as Array<string | Obj>) : [];
}

/** Loads `env_file`s into the environment: later files win, `environment` wins over all. */
function loadEnvFiles(t: Transform, files: Obj[]): Record<string, string> {
  const out: Record<string, string> = {};
  files.forEach((f, i) => {
    const file = String(f['path']);
    if (!t.ctx.reader.exists(file)) {
      if (f['required'] === false) return;
      throw new ComposeFileError('TSC_ENV_FILE_NOT_FOUND', `env file ${file} not found`, {
        location: t.ctx.positions.locate(t.root, [...t.path, i]),
        keyPath: formatKeyPath([...t.path, i]),
        service: String(t.path[1]),
      });
    }
    const text = t.ctx.reader.readText(file);
    const vars = f['format'] === 'raw' ? parseRawEnvFile(text, file) : parseDotenv(text, file, (name) => out[name] ?? t.lookup(name));
    for (const [k, val] of vars) out[k] = val;
  });
  return out;
}

function extraHosts(_t: Transform, v: unknown): string[] {
  if (Array.isArray(v)) {
    return v.map((entry) => {
      const s = String(entry);
      // `host:ip` (legacy) and `host=ip` both become `host=ip`; IPv6 addresses keep their colons.
      if (s.includes('=')) return s;
      const i = s.indexOf(':');
      return i === -1 ? s : `${s.slice(0, i)}=${s.slice(i + 1)}`;
    });
  }
  const out: string[] = [];
  for (const [host, ips] of Object.entries(v as Obj)) for (const ip of stringList(ips)) out.push(`${host}=${ip}`);
  return out;
}

function fileRefs(v: unknown): Obj[] {
  return (v as unknown[]).map((item) => (typeof item === 'string' ? { source: item } : { ...(item as Obj) }));
}

function mountRefs(t: Transform, v: unknown): Obj[] {
  return fileRefs(v).map((ref, i) => {
    for (const key of ['uid', 'gid']) if (typeof ref[key] === 'number') ref[key] = String(ref[key]);
    if (typeof ref['mode'] === 'string') ref['mode'] = Number.parseInt(ref['mode'], 8);
    if (ref['mode'] !== undefined) ref['mode'] = toInt({ ...t, path: [...t.path, i, 'mode'] }, ref['mode']);
    return ref;
  });
}

function serviceNetworks(_t: Transform, v: unknown): Obj {
  if (Array.isArray(v)) return Object.fromEntries(v.map((n) => [String(n), null]));
  const out: Obj = {};
  for (const [name, spec] of Object.entries(v as Obj)) out[name] = isObj(spec) ? { ...spec } : null;
  return out;
}

function ulimits(t: Transform, v: unknown): Obj {
  const out: Obj = {};
  for (const [name, spec] of Object.entries(v as Obj)) {
    const sub = { ...t, path: [...t.path, name] };
    out[name] = isObj(spec) ? { soft: toInt(sub, spec['soft']), hard: toInt(sub, spec['hard']) } : toInt(sub, spec);
  }
  return out;
}

function deploy(t: Transform, v: unknown): Obj {
  const d = { ...(v as Obj) };
  const at = (...p: PathSegment[]): Transform => ({ ...t, path: [...t.path, ...p] });
  if (d['replicas'] !== undefined && d['replicas'] !== null) d['replicas'] = toInt(at('replicas'), d['replicas']);
  if (d['labels'] !== undefined) d['labels'] = labelsMap(t, d['labels']);
  if (isObj(d['resources'])) {
    const r: Obj = { ...d['resources'] };
    for (const kind of ['limits', 'reservations']) {
      if (!isObj(r[kind])) continue;
      const spec: Obj = { ...(r[kind] as Obj) };
      if (spec['cpus'] !== undefined) spec['cpus'] = toNumber(at('resources', kind, 'cpus'), spec['cpus']);
      if (spec['memory'] !== undefined) spec['memory'] = toBytes(at('resources', kind, 'memory'), spec['memory']);
      if (spec['pids'] !== undefined) spec['pids'] = toInt(at('resources', kind, 'pids'), spec['pids']);
      r[kind] = spec;
    }
    d['resources'] = r;
  }
  if (isObj(d['restart_policy'])) {
    const rp: Obj = { ...d['restart_policy'] };
    for (const key of ['delay', 'window']) if (rp[key] !== undefined) rp[key] = toDuration(at('restart_policy', key), rp[key]);
    if (rp['max_attempts'] !== undefined) rp['max_attempts'] = toInt(at('restart_policy', 'max_attempts'), rp['max_attempts']);
    d['restart_policy'] = rp;
  }
  for (const cfg of ['update_config', 'rollback_config']) {
    if (!isObj(d[cfg])) continue;
    const c: Obj = { ...(d[cfg] as Obj) };
    for (const key of ['delay', 'monitor']) if (c[key] !== undefined) c[key] = toDuration(at(cfg, key), c[key]);
    if (c['parallelism'] !== undefined) c['parallelism'] = toInt(at(cfg, 'parallelism'), c['parallelism']);
    if (c['max_failure_ratio'] !== undefined) c['max_failure_ratio'] = toNumber(at(cfg, 'max_failure_ratio'), c['max_failure_ratio']);
    d[cfg] = c;
  }
  return d;
}

function develop(t: Transform, v: unknown): Obj {
  const d = { ...(v as Obj) };
  if (Array.isArray(d['watch'])) {
    d['watch'] = d['watch'].map((rule, i) => {
      const r = { ...(rule as Obj) };
      if (r['ignore'] !== undefined) r['ignore'] = stringList(r['ignore']);
      if (r['include'] !== undefined) r['include'] = stringList(r['include']);
      if (r['initial_sync'] !== undefined) r['initial_sync'] = toBool({ ...t, path: [...t.path, 'watch', i] }, r['initial_sync']);
      return r;
    });
  }
  return d;
}

type ServiceTransform = (t: Transform, v: unknown, svc: Obj) => unknown;

const intKey: ServiceTransform = (t, v) => toInt(t, v);
const boolKey: ServiceTransform = (t, v) => toBool(t, v);
const numberKey: ServiceTransform = (t, v) => toNumber(t, v);
const bytesKey: ServiceTransform = (t, v) => toBytes(t, v);
const durationKey: ServiceTransform = (t, v) => toDuration(t, v);
const listKey: ServiceTransform = (_t, v) => stringList(v);

/** `services.*.<key>` → its canonical form. */
const SERVICE_TRANSFORMS: Record<string, ServiceTransform> = {
  annotations: (t, v) => labelsMap(t, v),
  build: (t, v) => build(t, v),
  blkio_config: (t, v) => {
    const b = { ...(v as Obj) };
    if (b['weight'] !== undefined) b['weight'] = toInt(t, b['weight']);
    return b;
  },
  command: (t, v) => command(t, v),
  entrypoint: (t, v) => command(t, v),
  configs: (t, v) => mountRefs(t, v),
  secrets: (t, v) => mountRefs(t, v),
  cpu_count: intKey,
  cpu_percent: intKey,
  cpu_shares: intKey,
  cpu_quota: intKey,
  cpu_period: intKey,
  cpu_rt_period: intKey,
  cpu_rt_runtime: intKey,
  cpus: numberKey,
  depends_on: (t, v) => dependsOn(t, v),
  deploy: (t, v) => deploy(t, v),
  develop: (t, v) => develop(t, v),
  dns: listKey,
  dns_search: listKey,
  dns_opt: listKey,
  env_file: (t, v) => envFiles(t, v),
  label_file: listKey,
  expose: listKey,
  extra_hosts: (t, v) => extraHosts(t, v),
  healthcheck: (t, v) => healthcheck(t, v),
  init: boolKey,
  labels: (t, v) => labelsMap(t, v),
  mem_limit: bytesKey,
  mem_reservation: bytesKey,
  memswap_limit: (t, v) => (v === -1 || v === '-1' ? -1 : toBytes(t, v)),
  mem_swappiness: intKey,
  networks: (t, v) => serviceNetworks(t, v),
  oom_kill_disable: boolKey,
  oom_score_adj: intKey,
  pids_limit: intKey,
  ports: (t, v) => ports(t, v),
  privileged: boolKey,
  read_only: boolKey,
  scale: intKey,
  shm_size: bytesKey,
  stdin_open: boolKey,
  stop_grace_period: durationKey,
  sysctls: (t, v) => labelsMap(t, v),
  tmpfs: listKey,
  tty: boolKey,
  ulimits: (t, v) => ulimits(t, v),
  volumes: (t, v) => volumes(t, v),
  use_api_socket: boolKey,
};

function canonicalService(name: string, svc: Obj, t: Transform): Obj {
  const out: Obj = {};
  t.ctx.positions.copyAll(svc, out);
  for (const [key, value] of Object.entries(svc)) {
    const transform = SERVICE_TRANSFORMS[key];
    const sub: Transform = { ...t, path: ['services', name, key] };
    out[key] = transform && value !== null && value !== undefined ? transform(sub, value, svc) : value;
  }
  // environment: env_file values first, then the service's own; `KEY` alone comes from the shell.
  const fileEnv = Array.isArray(out['env_file']) ? loadEnvFiles({ ...t, path: ['services', name, 'env_file'] }, out['env_file'] as Obj[]) : {};
  if (out['environment'] !== undefined || Object.keys(fileEnv).length > 0) {
    out['environment'] = { ...fileEnv, ...resolveEnv({ ...t, path: ['services', name, 'environment'] }, out['environment'] ?? {}) };
  }
  reconcileResources(out, { ...t, path: ['services', name] });
  return out;
}

/** `cpus`/`mem_limit`/`pids_limit` and `deploy.resources.limits` describe the same thing; both must agree. */
function reconcileResources(svc: Obj, t: Transform): void {
  const deploy = isObj(svc['deploy']) ? (svc['deploy'] as Obj) : undefined;
  const limits = deploy && isObj(deploy['resources']) && isObj((deploy['resources'] as Obj)['limits']) ? ((deploy['resources'] as Obj)['limits'] as Obj) : undefined;
  const reservations = deploy && isObj(deploy['resources']) && isObj((deploy['resources'] as Obj)['reservations']) ? ((deploy['resources'] as Obj)['reservations'] as Obj) : undefined;
  const pairs: Array<[string, Obj | undefined, string]> = [
    ['cpus', limits, 'cpus'],
    ['mem_limit', limits, 'memory'],
    ['pids_limit', limits, 'pids'],
    ['mem_reservation', reservations, 'memory'],
  ];
  for (const [key, section, field] of pairs) {
    if (svc[key] === undefined || !section || section[field] === undefined) continue;
    if (svc[key] !== section[field]) {
      fail({ ...t, path: [...t.path, key] }, `conflicts with deploy.resources.${section === limits ? 'limits' : 'reservations'}.${field} (${String(section[field])})`);
    }
  }
}

function canonicalTopLevel(section: string, entries: Obj, t: Transform): Obj {
  const out: Obj = {};
  t.ctx.positions.copyAll(entries, out);
  for (const [name, raw] of Object.entries(entries)) {
    const def: Obj = isObj(raw) ? { ...raw } : {};
    t.ctx.positions.copyAll(isObj(raw) ? raw : {}, def);
    const sub: Transform = { ...t, path: [section, name] };
    if (def['labels'] !== undefined) def['labels'] = labelsMap(sub, def['labels']);
    if (def['external'] !== undefined) {
      if (isObj(def['external'])) {
        if (typeof def['external']['name'] === 'string' && def['name'] === undefined) def['name'] = def['external']['name'];
        def['external'] = true;
      } else def['external'] = toBool({ ...sub, path: [...sub.path, 'external'] }, def['external']);
      if (def['external'] === false) delete def['external'];
    }
    for (const key of ['internal', 'attachable', 'enable_ipv6', 'enable_ipv4']) {
      if (def[key] !== undefined) def[key] = toBool({ ...sub, path: [...sub.path, key] }, def[key]);
    }
    if (def['driver_opts'] !== undefined) def['driver_opts'] = labelsMap(sub, def['driver_opts']);
    out[name] = def;
  }
  return out;
}

export function toCanonical(tree: ComposeTree, ctx: LoadContext, opts: { lookup: VariableLookup }): ComposeTree {
  const t: Transform = { ctx, lookup: opts.lookup, root: tree, path: [] };
  const out: ComposeTree = {};
  ctx.positions.copyAll(tree, out);
  for (const [key, value] of Object.entries(tree)) {
    if (key === 'services' && isObj(value)) {
      const services: Obj = {};
      ctx.positions.copyAll(value, services);
      for (const [name, svc] of Object.entries(value)) services[name] = canonicalService(name, isObj(svc) ? svc : {}, t);
      out[key] = services;
    } else if (['networks', 'volumes', 'secrets', 'configs', 'models'].includes(key) && isObj(value)) {
      out[key] = canonicalTopLevel(key, value, t);
    } else {
      out[key] = value;
    }
  }
  return out;
}
