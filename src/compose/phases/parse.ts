/**
 * Phase 1: YAML text → plain JS tree, with a position for every key.
 * Anchors and aliases are resolved, `<<` merge keys applied (explicit keys win,
 * earlier merge sources win over later ones), `!reset`/`!override` kept as
 * MergeTag wrappers, duplicate keys and non-string keys rejected.
 */
import { LineCounter, parseAllDocuments, isAlias, isMap, isScalar, isSeq } from 'yaml';
import type { Document, Node as YamlNode, Scalar, YAMLParseError } from 'yaml';
import { ComposeFileError } from '../../errors/index.js';
import type { SourceLocation } from '../../errors/index.js';
import type { PositionTable } from '../positions.js';
import { MergeTag } from '../tags.js';

const MAX_ALIAS_EXPANSION = 10_000;

interface Walker {
  file: string;
  lines: LineCounter;
  table: PositionTable;
  doc: Document.Parsed;
  /** Guards against "billion laughs": aliases expanded so far. */
  aliasBudget: number;
  /** Aliases currently being expanded (a self-referencing alias is an error). */
  expanding: Set<YamlNode>;
}

/** Parses every YAML document of `text`; a compose file normally holds one. */
export function parseYamlDocuments(text: string, file: string, table: PositionTable): unknown[] {
  const lines = new LineCounter();
  const docs = parseAllDocuments(stripBom(text), {
    lineCounter: lines,
    uniqueKeys: true,
    merge: true,
    prettyErrors: false,
    strict: true,
    version: '1.2',
  });
  if (!Array.isArray(docs)) {
    // An empty stream comes back as an EmptyStream object.
    return [];
  }
  const out: unknown[] = [];
  for (const doc of docs) {
    const first = doc.errors[0];
    if (first) throw yamlError(first, file, lines, text);
    const walker: Walker = { file, lines, table, doc, aliasBudget: MAX_ALIAS_EXPANSION, expanding: new Set() };
    out.push(doc.contents === null ? null : toJs(doc.contents, walker));
  }
  return out;
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function yamlError(err: YAMLParseError, file: string, lines: LineCounter, text: string): ComposeFileError {
  const pos = err.linePos?.[0] ?? lines.linePos(err.pos[0]);
  const location = { file, line: pos.line, column: pos.col };
  if (err.code === 'DUPLICATE_KEY') {
    const name = duplicateKeyAt(err, text);
    return new ComposeFileError('TSC_YAML_DUPLICATE_KEY', `mapping key "${name}" already defined`, { location });
  }
  const firstLine = err.message.split('\n')[0] ?? err.message;
  return new ComposeFileError('TSC_YAML_SYNTAX', `YAML syntax error: ${firstLine.replace(/ at line \d+, column \d+:?$/, '')}`, { location });
}

/** The yaml library does not name the duplicated key; read it from the source. */
function duplicateKeyAt(err: YAMLParseError, text: string): string {
  const rest = stripBom(text).slice(err.pos[0]);
  const m = /^\s*(?:"([^"]*)"|'([^']*)'|([^:\n]*?))\s*:/.exec(rest);
  return (m?.[1] ?? m?.[2] ?? m?.[3] ?? rest.split(/[:\n]/)[0] ?? '').trim();
}

function loc(node: YamlNode | null | undefined, w: Walker): SourceLocation | undefined {
  const range = node?.range;
  if (!range) return undefined;
  const p = w.lines.linePos(range[0]);
  return { file: w.file, line: p.line, column: p.col };
}

function toJs(node: YamlNode | null, w: Walker): unknown {
  if (node === null || node === undefined) return null;
  if (isAlias(node)) {
    w.aliasBudget -= 1;
    if (w.aliasBudget < 0) {
      throw new ComposeFileError('TSC_YAML_ALIAS', 'too many alias expansions (possible alias bomb)', { location: loc(node, w) });
    }
    const target = node.resolve(w.doc);
    if (!target) {
      throw new ComposeFileError('TSC_YAML_ALIAS', `unknown anchor "${node.source}"`, { location: loc(node, w) });
    }
    if (w.expanding.has(target)) {
      throw new ComposeFileError('TSC_YAML_ALIAS', `alias "${node.source}" refers to itself`, { location: loc(node, w) });
    }
    w.expanding.add(target);
    try {
      return toJs(target, w);
    } finally {
      w.expanding.delete(target);
    }
  }
  const tag = node.tag;
  if (tag === '!reset') return new MergeTag('reset', plain(node, w));
  if (tag === '!override') return new MergeTag('override', plain(node, w));
  return plain(node, w);
}

function plain(node: YamlNode, w: Walker): unknown {
  if (isScalar(node)) return scalarValue(node);
  if (isSeq(node)) {
    const arr: unknown[] = [];
    const here = loc(node, w);
    if (here) w.table.setNode(arr, here);
    for (const item of node.items) {
      const itemLoc = loc(item as YamlNode, w);
      if (itemLoc) w.table.setKey(arr, arr.length, itemLoc);
      arr.push(toJs(item as YamlNode, w));
    }
    return arr;
  }
  if (isMap(node)) {
    const obj: Record<string, unknown> = {};
    const here = loc(node, w);
    if (here) w.table.setNode(obj, here);
    const merged: Array<Record<string, unknown>> = [];
    for (const pair of node.items) {
      const keyNode = pair.key as YamlNode | null;
      if (isMergeKey(keyNode)) {
        merged.push(...mergeSources(pair.value as YamlNode, w));
        continue;
      }
      const key = keyString(keyNode, w);
      if (Object.prototype.hasOwnProperty.call(obj, key)) {
        throw new ComposeFileError('TSC_YAML_DUPLICATE_KEY', `mapping key "${key}" already defined`, { location: loc(keyNode, w) });
      }
      const keyLoc = loc(keyNode, w);
      if (keyLoc) w.table.setKey(obj, key, keyLoc);
      defineEntry(obj, key, toJs(pair.value as YamlNode | null, w));
    }
    for (const source of merged) {
      for (const key of Object.keys(source)) {
        if (Object.prototype.hasOwnProperty.call(obj, key)) continue;
        defineEntry(obj, key, source[key]);
        w.table.copyKey(source, key, obj, key);
      }
    }
    return obj;
  }
  return null;
}

/** Own data property even for "__proto__", so a key can never touch the prototype chain. */
function defineEntry(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function isMergeKey(node: YamlNode | null): boolean {
  if (!node || !isScalar(node)) return false;
  if (node.tag === 'tag:yaml.org,2002:merge') return true;
  return node.type === 'PLAIN' && (node.value === '<<' || node.source === '<<');
}

function mergeSources(value: YamlNode, w: Walker): Array<Record<string, unknown>> {
  const items = isSeq(value) ? (value.items as YamlNode[]) : [value];
  const out: Array<Record<string, unknown>> = [];
  for (const item of items) {
    const js = toJs(item, w);
    if (typeof js !== 'object' || js === null || Array.isArray(js) || js instanceof MergeTag) {
      throw new ComposeFileError('TSC_YAML_MERGE', 'merge key "<<" needs a mapping or a list of mappings', { location: loc(item, w) });
    }
    out.push(js as Record<string, unknown>);
  }
  return out;
}

function keyString(node: YamlNode | null, w: Walker): string {
  if (node && isScalar(node)) {
    const v = node.value;
    if (v === null || v === undefined) {
      throw new ComposeFileError('TSC_YAML_KEY', 'mapping key must not be empty', { location: loc(node, w) });
    }
    if (typeof v === 'string') return v;
    // Numbers and booleans as keys keep the text the user wrote (`8080:` → "8080").
    const scalar = v as number | boolean | bigint;
    return node.source ?? String(scalar);
  }
  throw new ComposeFileError('TSC_YAML_KEY', 'mapping keys must be strings', { location: loc(node, w) });
}

function scalarValue(node: Scalar): unknown {
  const v = node.value;
  if (typeof v === 'bigint') return Number(v);
  if (node.tag === '!reset' || node.tag === '!override') {
    // Unknown tags leave the scalar as text; resolve it as an untagged plain scalar would be.
    if (node.type === 'PLAIN' && typeof node.source === 'string') return resolvePlain(node.source);
  }
  return v;
}

function resolvePlain(source: string): unknown {
  if (source === '' || source === '~' || /^null$/i.test(source)) return null;
  if (/^(true|True|TRUE)$/.test(source)) return true;
  if (/^(false|False|FALSE)$/.test(source)) return false;
  if (/^[-+]?(0|[1-9][0-9]*)$/.test(source)) return Number(source);
  if (/^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/.test(source)) return Number(source);
  return source;
}
