/** `devices` mappings and device requests (`deploy.resources.*.devices`, `gpus`). */
import { isObj, scalarText, show, unique } from './transformer.js';
import type { Obj, Transformer } from './transformer.js';

/** `devices` lists: one mapping per container path. */
export const toDeviceMappings: Transformer = (v, path, run) => {
  if (v === null) return v;
  if (!Array.isArray(v)) return run.fail(path, 'must be a list');
  return unique(run.descend(v, path) as Obj[], (d) => scalarText(d['target'] ?? d['source']), run);
};

/** `source[:target[:permissions]]` → `{source, target, permissions}`. */
export const toDeviceMapping: Transformer = (v, path, run) => {
  if (isObj(v)) return run.descend(v, path);
  if (typeof v !== 'string') return run.fail(path, `invalid type ${show(v)} for device`);
  const parts = v.split(':');
  if (parts.length > 3) return run.fail(path, `confusing device mapping, please use long syntax: ${v}`);
  const source = parts[0] as string;
  const target = parts[1] === undefined || parts[1] === '' ? source : parts[1];
  return { source, target, permissions: parts[2] ?? 'rwm' };
};

/** Device requests (deploy devices, gpus): count `all` is -1, compose-go's DeviceCount; none given means all. */
export const toDeviceRequest: Transformer = (v, path, run) => {
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

export const toGpus: Transformer = (v, path, run) => {
  if (typeof v === 'string') return [{ count: -1 }];
  if (!Array.isArray(v)) return run.fail(path, `invalid type ${show(v)} for gpus`);
  return run.descend(v, path);
};
