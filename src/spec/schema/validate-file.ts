/**
 * Phase 7: the merged file against the zod file schema, with compose-go's
 * wording and one message per offending path, each with file:line:column.
 */
import type { z } from 'zod';
import { ComposeFileError } from '../../errors/index.js';
import type { PositionTable, PathSegment } from '../positions.js';
import { formatKeyPath } from '../positions.js';
import { ComposeFileSchema } from './file-schema.js';

type Issue = z.core.$ZodIssue;

const TYPE_NAMES: Record<string, string> = {
  object: 'mapping',
  record: 'mapping',
  map: 'mapping',
  array: 'list',
  tuple: 'list',
  string: 'string',
  number: 'number',
  int: 'integer',
  boolean: 'boolean',
  null: 'null',
};

function valueAt(root: unknown, path: readonly PathSegment[]): unknown {
  let current = root;
  for (const seg of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<PathSegment, unknown>)[seg];
  }
  return current;
}

function typeName(expected: string): string {
  return TYPE_NAMES[expected] ?? expected;
}

/** The types a union accepted, from the first issue of each branch at the union's own path. */
function unionExpectations(issue: Extract<Issue, { code: 'invalid_union' }>): string[] {
  const names = new Set<string>();
  for (const branch of issue.errors) {
    for (const sub of branch) {
      if (sub.path.length !== 0) continue;
      if (sub.code === 'invalid_type') names.add(typeName(sub.expected));
      else if (sub.code === 'invalid_union') for (const n of unionExpectations(sub)) names.add(n);
      else if (sub.code === 'invalid_value') names.add(sub.values.map((v) => JSON.stringify(v)).join(', '));
    }
  }
  return [...names];
}

interface Problem {
  path: PathSegment[];
  message: string;
  /** Where to point, when not at `path` itself (an unknown key points at that key). */
  at?: PathSegment[];
}

function describe(issue: Issue, base: PathSegment[], root: unknown, out: Problem[]): void {
  const path = [...base, ...(issue.path as PathSegment[])];
  const where = formatKeyPath(path);
  const prefix = where === '' ? '' : `${where} `;
  switch (issue.code) {
    case 'invalid_type': {
      const parentPath = path.slice(0, -1);
      if (path.length > 0 && valueAt(root, path) === undefined && typeof valueAt(root, parentPath) === 'object') {
        const parent = formatKeyPath(parentPath);
        out.push({ path: parentPath, message: `${parent === '' ? '' : `${parent} `}missing property '${String(path[path.length - 1])}'` });
      } else {
        out.push({ path, message: where === '' ? 'top-level object must be a mapping' : `${where} must be a ${typeName(issue.expected)}` });
      }
      return;
    }
    case 'invalid_union': {
      // A branch whose issues are all deeper than the union matched the value's shape: report its issues.
      const deeper = issue.errors
        .filter((branch) => branch.length > 0 && branch.every((sub) => sub.path.length > 0))
        .sort((a, b) => a.length - b.length)[0];
      if (deeper) {
        for (const sub of deeper) describe(sub, path, root, out);
        return;
      }
      const expected = unionExpectations(issue);
      out.push({ path, message: `${where} must be a ${expected.length > 0 ? expected.join(' or ') : 'valid value'}` });
      return;
    }
    case 'invalid_value':
      if (path.length > 0 && valueAt(root, path) === undefined) {
        const parentPath = path.slice(0, -1);
        const parent = formatKeyPath(parentPath);
        out.push({ path: parentPath, message: `${parent === '' ? '' : `${parent} `}missing property '${String(path[path.length - 1])}'` });
        return;
      }
      out.push({ path, message: `${where} must be one of the following: ${issue.values.map((v) => JSON.stringify(v)).join(', ')}` });
      return;
    case 'invalid_key':
      out.push({ path: path.slice(0, -1), at: path, message: `${formatKeyPath(path.slice(0, -1))} additional properties '${String(path[path.length - 1])}' not allowed`.trimStart() });
      return;
    case 'invalid_format':
      out.push({ path, message: `${prefix}does not match pattern ${'pattern' in issue ? String(issue.pattern) : issue.format}` });
      return;
    case 'too_small':
      out.push({ path, message: `${prefix}must be ${issue.inclusive === false ? '>' : '>='} ${String(issue.minimum)}` });
      return;
    case 'too_big':
      out.push({ path, message: `${prefix}must be ${issue.inclusive === false ? '<' : '<='} ${String(issue.maximum)}` });
      return;
    case 'custom': {
      const extra = (issue.params as { additionalProperty?: string } | undefined)?.additionalProperty;
      out.push({ path, message: `${prefix}${issue.message}`, ...(extra !== undefined ? { at: [...path, extra] } : {}) });
      return;
    }
    default:
      out.push({ path, message: `${prefix}${issue.message}` });
  }
}

export function validateComposeFile(tree: unknown, ctx: { positions: PositionTable }): ComposeFileError[] {
  const result = ComposeFileSchema.safeParse(tree);
  if (result.success) return [];
  const problems: Problem[] = [];
  for (const issue of result.error.issues) describe(issue, [], tree, problems);
  const seen = new Set<string>();
  const errors: ComposeFileError[] = [];
  for (const p of problems) {
    const keyPath = formatKeyPath(p.path);
    const dedupKey = `${keyPath}\0${p.message}`;
    if (seen.has(dedupKey)) continue;
    seen.add(dedupKey);
    errors.push(
      new ComposeFileError('TSC_SPEC_INVALID', p.message, {
        location: ctx.positions.locate(tree, p.at ?? p.path),
        keyPath,
        service: p.path[0] === 'services' && typeof p.path[1] === 'string' ? p.path[1] : undefined,
      }),
    );
  }
  return errors.sort((a, b) => {
    const la = a.location;
    const lb = b.location;
    if (!la || !lb) return la ? -1 : lb ? 1 : 0;
    return la.file.localeCompare(lb.file) || la.line - lb.line || la.column - lb.column;
  });
}
