/** `build`: a string is the context; the long form gets compose-go's defaults; `ssh` entries as texts. */
import { isObj, scalarText } from './transformer.js';
import type { Transformer } from './transformer.js';

export const toBuild: Transformer = (v, path, run) => {
  const out = typeof v === 'string' ? { context: v } : run.mapping(v, path);
  out['context'] ??= '.';
  if (out['dockerfile'] === undefined && out['dockerfile_inline'] === undefined) out['dockerfile'] = 'Dockerfile';
  return out;
};

/** `build.ssh`: `default`, `id=path` entries or a mapping → `default` / `id=path` strings. */
export const toSsh: Transformer = (v, path, run) => {
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
