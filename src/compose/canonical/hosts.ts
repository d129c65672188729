/** `extra_hosts` (service and build): compose-go's HostsList. */
import { isObj, scalarText } from './transformer.js';
import type { Transformer } from './transformer.js';

/** extra_hosts (compose-go's HostsList): `host=ip` or `host:ip` entries or a mapping → sorted `host=ip`. */
export const toHostsList: Transformer = (v, path, run) => {
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
