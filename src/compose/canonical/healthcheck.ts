/** `healthcheck`: a string test runs in a shell; `disable: true` and `test: [NONE]` read the same. */
import { scalarText } from './transformer.js';
import type { Transformer } from './transformer.js';

export const toHealthcheck: Transformer = (v, path, run) => {
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
