/** A text or a list of texts → a list of strings (compose-go's StringList family). */
import { scalarText } from './transformer.js';
import type { Transformer } from './transformer.js';

/** `text` or `[text, ...]` → list of strings (compose-go's StringList / StringOrNumberList). */
export const toStringList: Transformer = (v, path, run) => {
  if (v === null) return v;
  const items = Array.isArray(v) ? v : [v];
  const out = items.map((item) => scalarText(item));
  if (Array.isArray(v)) run.positions.copyAll(v, out);
  return out;
};

/** compose-go's OmitEmpty for `dns`: empty entries are dropped. */
export const toDnsList: Transformer = (v, path, run) => {
  const list = toStringList(v, path, run);
  return Array.isArray(list) ? list.filter((s) => s !== '') : list;
};
