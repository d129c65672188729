/**
 * Service `volumes`: the short syntax as compose-go's format.ParseVolume reads
 * it, the long syntax kept with its booleans cast, targets cleaned as Go's
 * path.Clean does; one mount per target, later entries winning.
 */
import * as posixPath from 'node:path/posix';
import { formatKeyPath } from '../positions.js';
import { isObj, scalarText, show, unique } from './transformer.js';
import type { Obj, Transformer } from './transformer.js';

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

export const toVolumeMount: Transformer = (v, path, run) => {
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
export const toVolumeBind: Transformer = (v, path, run) => {
  const out = run.mapping(v, path);
  out['create_host_path'] ??= true;
  return out;
};

export const toVolumes: Transformer = (v, path, run) => {
  if (v === null) return v;
  if (!Array.isArray(v)) return run.fail(path, 'must be a list');
  const out = run.descend(v, path) as Obj[];
  return unique(out, (m) => scalarText(m['target']), run);
};
