/**
 * The two YAML tags compose gives meaning to. They survive parsing as wrapper
 * values so that `extends` and the merge of several files can act on them;
 * `stripTags` removes them once merging is over.
 */
export type MergeTagName = 'reset' | 'override';

const TAG_BRAND = Symbol.for('tsc-compose.yaml-tag');

export class MergeTag {
  readonly tag: MergeTagName;
  readonly value: unknown;
  constructor(tag: MergeTagName, value: unknown) {
    this.tag = tag;
    this.value = value;
    Object.defineProperty(this, TAG_BRAND, { value: true });
  }
  static [Symbol.hasInstance](v: unknown): boolean {
    return typeof v === 'object' && v !== null && (v as Record<symbol, unknown>)[TAG_BRAND] === true;
  }
}

export function isReset(value: unknown): boolean {
  return value instanceof MergeTag && value.tag === 'reset';
}

/** Replaces `!override x` by `x` and drops `!reset` entries, recursively. */
export function stripTags(value: unknown): unknown {
  if (value instanceof MergeTag) return value.tag === 'reset' ? undefined : stripTags(value.value);
  if (Array.isArray(value)) {
    for (let i = value.length - 1; i >= 0; i--) {
      if (isReset(value[i])) value.splice(i, 1);
      else value[i] = stripTags(value[i]);
    }
    return value;
  }
  if (typeof value === 'object' && value !== null) {
    const obj = value as Record<string, unknown>;
    for (const key of Object.keys(obj)) {
      if (isReset(obj[key])) delete obj[key];
      else obj[key] = stripTags(obj[key]);
    }
  }
  return value;
}
