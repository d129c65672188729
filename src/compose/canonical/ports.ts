/**
 * `ports`: the short syntax as docker/go-connections' ParsePortSpec and
 * compose-go's ParsePortConfig read it (ranges become one entry per port), the
 * long syntax typed with compose-go's defaults; one entry per published port.
 */
import { isIP } from 'node:net';
import type { KeyPath } from '../positions.js';
import { toInt } from './scalars.js';
import { isObj, scalarText, show, unique } from './transformer.js';
import type { CanonicalRun, Obj, Transformer } from './transformer.js';

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
function longPort(item: Obj, path: KeyPath, run: CanonicalRun): Obj {
  const out: Obj = {};
  run.positions.copyAll(item, out);
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

export const toPorts: Transformer = (v, path, run) => {
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
