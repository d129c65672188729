/**
 * zod issues → compose-go's wording. One problem per offending key path:
 * `services.web.image must be a string`, `services.web additional properties
 * 'imagee' not allowed`, `services.web.develop.watch.0 missing property
 * 'action'`. A union that fails is explained by the branch whose type the value
 * has (its deeper problems), or else by one "must be a X or Y" line, never by
 * the wall of every branch's complaints.
 */
import type { z } from 'zod';
import type { PathSegment } from '../positions.js';
import { formatKeyPath } from '../positions.js';
import type { CheckParams } from './schema-kit.js';

type Issue = z.core.$ZodIssue;
type UnionIssue = Extract<Issue, { code: 'invalid_union' }>;

/** What is wrong at one key path. */
export interface SchemaProblem {
  path: PathSegment[];
  /** The message, key path included (compose-go style). */
  message: string;
  /** The position to report, when not the key at `path` itself (an unknown key points at itself). */
  at: PathSegment[];
}

/** What is wrong at one path, before the parts are joined into a sentence. */
interface Findings {
  path: PathSegment[];
  at: PathSegment[];
  missing: string[];
  additional: string[];
  other: string[];
}

/** The root has no key path to prefix, so its type error names it (compose-go's wording). */
const TOP_LEVEL_NOT_MAPPING = 'top-level object must be a mapping';

const TYPE_NAMES: Record<string, string> = {
  object: 'mapping',
  record: 'mapping',
  map: 'mapping',
  array: 'list',
  tuple: 'list',
  set: 'list',
  int: 'integer',
};

/** Types listed in "must be a X or Y" in this order, so the message does not depend on branch order. */
const TYPE_ORDER = ['string', 'number', 'integer', 'boolean', 'mapping', 'list', 'null'];

function typeName(zodType: string): string {
  return TYPE_NAMES[zodType] ?? zodType;
}

function withArticle(text: string): string {
  return /^[aeiou]/i.test(text) ? `an ${text}` : `a ${text}`;
}

function quoteList(values: readonly string[]): string {
  return values.map((v) => `'${v}'`).join(', ');
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function valueAt(root: unknown, path: readonly PathSegment[]): unknown {
  let current = root;
  for (const segment of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<PathSegment, unknown>)[segment];
  }
  return current;
}

/** The JSON type of a value, in the words the messages use. */
function jsonTypeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'object') return 'mapping';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function checkParams(issue: Issue): CheckParams | undefined {
  if (issue.code !== 'custom') return undefined;
  const params = issue.params as CheckParams | undefined;
  return params && typeof params === 'object' && 'kind' in params ? params : undefined;
}

/**
 * The types a failing branch wanted, when it failed because the value has
 * another type; undefined when the value has the branch's type (and the
 * branch failed deeper, or on a bound, a pattern or an enum value).
 */
function wantedTypes(issue: Issue, value: unknown): string[] | undefined {
  if (issue.path.length !== 0) return undefined;
  switch (issue.code) {
    case 'invalid_type':
      return [typeName(issue.expected)];
    case 'custom': {
      const params = checkParams(issue);
      return params?.kind === 'type' ? [params.expected] : undefined;
    }
    case 'invalid_value': {
      const types = new Set<string>(issue.values.map((v) => (v === null ? 'null' : typeof v)));
      if (types.has(jsonTypeOf(value)) || (types.has('number') && typeof value === 'number')) return undefined;
      return [`one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`];
    }
    case 'invalid_union': {
      const all: string[] = [];
      for (const branch of issue.errors) {
        const wanted = branchWants(branch, value);
        if (!wanted) return undefined;
        all.push(...wanted);
      }
      return issue.errors.length > 0 ? all : undefined;
    }
    // The value has the wanted type; it failed on a bound, a format, a key or an element.
    case 'invalid_element':
    case 'invalid_format':
    case 'invalid_key':
    case 'not_multiple_of':
    case 'too_big':
    case 'too_small':
    case 'unrecognized_keys':
      return undefined;
  }
}

function branchWants(branch: readonly Issue[], value: unknown): string[] | undefined {
  for (const issue of branch) {
    const wanted = wantedTypes(issue, value);
    if (wanted) return wanted;
  }
  return undefined;
}

function orderTypes(types: readonly string[]): string[] {
  const unique = [...new Set(types)];
  const rank = (t: string) => {
    const i = TYPE_ORDER.indexOf(t);
    return i === -1 ? TYPE_ORDER.length : i;
  };
  return unique.sort((a, b) => rank(a) - rank(b));
}

class ProblemCollector {
  private readonly byPath = new Map<string, Findings>();

  constructor(private readonly root: unknown) {}

  problems(): SchemaProblem[] {
    const out: SchemaProblem[] = [];
    for (const f of this.byPath.values()) {
      const parts: string[] = [];
      if (f.missing.length === 1) parts.push(`missing property ${quoteList(f.missing)}`);
      else if (f.missing.length > 1) parts.push(`missing properties ${quoteList(f.missing)}`);
      if (f.additional.length > 0) parts.push(`additional properties ${quoteList(f.additional)} not allowed`);
      parts.push(...f.other);
      const where = formatKeyPath(f.path);
      const text = parts.join('; ');
      out.push({ path: f.path, at: f.at, message: where === '' ? text : `${where} ${text}` });
    }
    return out;
  }

  add(issues: readonly Issue[], base: PathSegment[] = []): void {
    for (const issue of issues) this.describe(issue, base);
  }

  private findings(path: PathSegment[], at: PathSegment[] = path): Findings {
    const key = formatKeyPath(path);
    let f = this.byPath.get(key);
    if (!f) {
      f = { path, at, missing: [], additional: [], other: [] };
      this.byPath.set(key, f);
    }
    return f;
  }

  private other(path: PathSegment[], text: string): void {
    const f = this.findings(path);
    if (!f.other.includes(text)) f.other.push(text);
  }

  private additional(path: PathSegment[], keys: readonly string[]): void {
    const first = keys[0];
    const f = this.findings(path, first === undefined ? path : [...path, first]);
    for (const k of keys) if (!f.additional.includes(k)) f.additional.push(k);
  }

  private describe(issue: Issue, base: PathSegment[]): void {
    const path = [...base, ...(issue.path as PathSegment[])];
    const value = valueAt(this.root, path);
    const parentPath = path.slice(0, -1);
    const last = path[path.length - 1];
    // A required key that is absent fails its own schema; compose-go reports it on the parent.
    if (last !== undefined && value === undefined && isMapping(valueAt(this.root, parentPath)) && issue.code !== 'invalid_key') {
      const f = this.findings(parentPath);
      if (!f.missing.includes(String(last))) f.missing.push(String(last));
      return;
    }
    switch (issue.code) {
      case 'invalid_type':
        this.other(path, path.length === 0 ? TOP_LEVEL_NOT_MAPPING : `must be ${withArticle(typeName(issue.expected))}`);
        return;
      case 'invalid_union':
        this.describeUnion(issue, path, value);
        return;
      case 'invalid_value':
        this.other(path, `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`);
        return;
      case 'unrecognized_keys':
        this.additional(path, issue.keys);
        return;
      case 'invalid_key':
        // A record key that fails the key pattern: the specification's additionalProperties: false.
        if (last !== undefined) this.additional(parentPath, [String(last)]);
        return;
      case 'invalid_format': {
        const pattern = 'pattern' in issue && typeof issue.pattern === 'string' ? issue.pattern.replace(/^\/(.*)\/[a-z]*$/su, '$1') : issue.format;
        this.other(path, `does not match pattern '${pattern}'`);
        return;
      }
      case 'too_small':
        this.other(path, `must be ${issue.inclusive === false ? '>' : '>='} ${String(issue.minimum)}`);
        return;
      case 'too_big':
        this.other(path, `must be ${issue.inclusive === false ? '<' : '<='} ${String(issue.maximum)}`);
        return;
      case 'custom':
        this.describeCheck(issue, path);
        return;
      case 'invalid_element':
      case 'not_multiple_of':
        // The file schema has neither (no map value schemas apart from records, no multipleOf): zod's own words.
        this.other(path, issue.message);
        return;
    }
  }

  private describeCheck(issue: Issue, path: PathSegment[]): void {
    const params = checkParams(issue);
    switch (params?.kind) {
      case 'type':
        this.other(path, `must be ${withArticle(params.expected)}`);
        return;
      case 'bounds': {
        const value = valueAt(this.root, path);
        if (params.minimum !== undefined && !(typeof value === 'number' && value >= params.minimum)) this.other(path, `must be >= ${params.minimum}`);
        else if (params.maximum !== undefined) this.other(path, `must be <= ${params.maximum}`);
        return;
      }
      case 'additional':
        this.additional(path, params.keys);
        return;
      case 'duplicate':
        // The issue sits on the later copy; name the list and both indices.
        this.other(path.slice(0, -1), `items at ${params.first} and ${params.second} are equal`);
        return;
      case undefined:
        this.other(path, issue.message);
        return;
    }
  }

  private describeUnion(issue: UnionIssue, path: PathSegment[], value: unknown): void {
    if (issue.errors.length === 0) {
      // xor (oneOf) with several matches; the specification's branches never overlap, so this is a schema bug.
      this.other(path, 'must match exactly one of the allowed forms');
      return;
    }
    const wanted: string[] = [];
    for (const branch of issue.errors) {
      const types = branchWants(branch, value);
      if (types === undefined) {
        // The value has this branch's type: what is wrong is inside it.
        this.add(branch, path);
        return;
      }
      wanted.push(...types);
    }
    const types = orderTypes(wanted);
    this.other(path, path.length === 0 ? TOP_LEVEL_NOT_MAPPING : `must be ${withArticle(types.join(' or '))}`);
  }
}

/** One problem per offending key path, in the order zod found them. */
export function describeIssues(issues: readonly Issue[], root: unknown): SchemaProblem[] {
  const collector = new ProblemCollector(root);
  collector.add(issues);
  return collector.problems();
}
