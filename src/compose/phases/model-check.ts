/** The typed model's check of a completed project (zod), and defaults followed by it. */
import { ComposeFileError } from '../../errors/index.js';
import type { ComposeTree } from '../context.js';
import { formatKeyPath } from '../positions.js';
import { ProjectSchema } from '../model.js';
import type { Project } from '../model.js';
import { fillDefaults } from './defaults.js';
import type { DefaultsOptions } from './defaults.js';

export function applyDefaults(tree: ComposeTree, opts: DefaultsOptions): Project {
  return validateModel(fillDefaults(tree, opts));
}

/**
 * Checks the completed tree against the model. A failure here is a value the
 * file schema let through but the model cannot hold (or a bug in the phases
 * before); the tree itself is returned, not zod's copy, to keep its positions.
 */
export function validateModel(project: Project): Project {
  const parsed = ProjectSchema.safeParse(project);
  if (parsed.success) return project;
  const issue = parsed.error.issues[0];
  const path = (issue?.path ?? []).map((p) => (typeof p === 'symbol' ? String(p) : p));
  const keyPath = formatKeyPath(path);
  const service = path[0] === 'services' && path.length > 1 ? String(path[1]) : undefined;
  const message = issue?.message ?? 'is invalid';
  throw new ComposeFileError('TSC_SPEC_INVALID', keyPath === '' ? message : `${keyPath} ${message}`, { keyPath, service });
}
