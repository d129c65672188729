/**
 * Phase 7: the merged compose tree (interpolated, tags stripped) against the
 * zod file schema. Every problem of the file comes back at once, one per
 * offending key path, worded as compose-go words it and placed at
 * file:line:column, sorted by position.
 */
import { ComposeFileError } from '../../errors/index.js';
import type { SourceLocation } from '../../errors/index.js';
import type { PositionTable } from '../positions.js';
import { formatKeyPath } from '../positions.js';
import { ComposeFileSchema } from './file-schema.js';
import { describeIssues } from './issue-messages.js';

export const SCHEMA_ERROR_CODE = 'TSC_SPEC_INVALID';

/**
 * The schema problems of `tree`, empty when it is valid. `file` stands in as
 * the location of a problem whose key has no recorded position.
 */
export function validateComposeFile(tree: unknown, ctx: { positions: PositionTable }, file?: string): ComposeFileError[] {
  const result = ComposeFileSchema.safeParse(tree);
  if (result.success) return [];
  const errors = describeIssues(result.error.issues, tree).map((problem) => {
    const location = ctx.positions.locate(tree, problem.at) ?? (file === undefined ? undefined : { file, line: 1, column: 1 });
    const [section, name] = problem.path;
    return new ComposeFileError(SCHEMA_ERROR_CODE, problem.message, {
      location,
      keyPath: formatKeyPath(problem.path),
      service: section === 'services' && typeof name === 'string' ? name : undefined,
    });
  });
  return sortByPosition(errors);
}

function sortByPosition(errors: ComposeFileError[]): ComposeFileError[] {
  const compare = (a: SourceLocation | undefined, b: SourceLocation | undefined): number => {
    if (!a || !b) return a ? -1 : b ? 1 : 0;
    return a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column;
  };
  // Array.prototype.sort is stable: problems at one position keep zod's order.
  return [...errors].sort((x, y) => compare(x.location, y.location));
}
